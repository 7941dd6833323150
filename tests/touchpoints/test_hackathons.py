"""Hackathons: planning them, their problems, teams and outcomes, and their pages per role."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from insights.models import Theme
from insights.roles import Role
from tests.conftest import user_with_role
from tests.insights.factories import CustomerFactory, ThemeFactory
from tests.roadmap.factories import BacklogItemFactory
from tests.touchpoints.factories import (
    HackathonFactory,
    HackathonOutcomeFactory,
    HackathonProblemFactory,
    HackathonTeamFactory,
    UserFactory,
)
from touchpoints.hackathons import (
    hackathon_create,
    hackathon_get,
    hackathon_list,
    hackathon_outcome_add,
    hackathon_problem_add,
    hackathon_split,
    hackathon_team_add,
)
from touchpoints.models import Hackathon, HackathonOutcome, HackathonProblem, HackathonTeam

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------------------------------------
# Services
# ------------------------------------------------------------------------------------------------


def test_hackathon_create_stores_the_dates_and_customers():
    # Given a PM and two customers
    pm = user_with_role(Role.PRODUCT_MANAGER)
    customers = CustomerFactory.create_batch(2)

    # When a hackathon is planned
    hackathon = hackathon_create(
        name="  Exports week ",
        starts_on=dt.date(2026, 4, 1),
        ends_on=dt.date(2026, 4, 2),
        description="Two days on exports.",
        customers=customers,
        user=pm,
    )

    # Then it is stored, trimmed, with its customers
    hackathon.refresh_from_db()
    assert hackathon.name == "Exports week"
    assert set(hackathon.customers.all()) == set(customers)


def test_hackathon_create_refuses_an_end_before_the_start():
    with pytest.raises(ValidationError) as raised:
        hackathon_create(
            name="Backwards",
            starts_on=dt.date(2026, 4, 2),
            ends_on=dt.date(2026, 4, 1),
            user=UserFactory(),
        )

    assert "ends before it starts" in raised.value.message_dict["ends_on"][0]
    assert not Hackathon.objects.exists()


def test_a_problem_links_an_optional_pain_point():
    hackathon = HackathonFactory()
    theme = ThemeFactory(label="Slow exports")

    problem = hackathon_problem_add(hackathon=hackathon, statement="Exports time out", theme=theme)
    bare = hackathon_problem_add(hackathon=hackathon, statement="Nobody finds the filter")

    assert (problem.theme, bare.theme) == (theme, None)
    with pytest.raises(ValidationError):
        hackathon_problem_add(hackathon=hackathon, statement="   ")


def test_a_team_gets_members_and_one_of_its_hackathons_problems():
    # Given a hackathon with a problem, and two engineers
    hackathon = HackathonFactory()
    problem = HackathonProblemFactory(hackathon=hackathon)
    engineers = UserFactory.create_batch(2)

    # When a team is added
    team = hackathon_team_add(
        hackathon=hackathon, name="Streamers", members=engineers, problem=problem
    )

    # Then it works on that problem with those members
    assert team.problem == problem
    assert set(team.members.all()) == set(engineers)


def test_a_team_name_is_unique_within_its_hackathon_only():
    hackathon = HackathonFactory()
    HackathonTeamFactory(hackathon=hackathon, name="Streamers")

    with pytest.raises(ValidationError) as raised:
        hackathon_team_add(hackathon=hackathon, name="streamers", members=[])

    assert "already has a team called" in raised.value.message_dict["name"][0]
    other = hackathon_team_add(hackathon=HackathonFactory(), name="Streamers", members=[])
    assert other.pk is not None


def test_a_team_cannot_work_on_another_hackathons_problem():
    hackathon = HackathonFactory()
    elsewhere = HackathonProblemFactory()

    with pytest.raises(ValidationError) as raised:
        hackathon_team_add(hackathon=hackathon, name="Lost", members=[], problem=elsewhere)

    assert "another hackathon" in raised.value.message_dict["problem"][0]
    assert not HackathonTeam.objects.filter(name="Lost").exists()


def test_an_outcome_needs_a_title():
    team = HackathonTeamFactory()

    outcome = hackathon_outcome_add(team=team, title="Streaming export", description="Works.")

    assert outcome.team == team
    with pytest.raises(ValidationError):
        hackathon_outcome_add(team=team, title=" ")


# ------------------------------------------------------------------------------------------------
# Selectors
# ------------------------------------------------------------------------------------------------


def given_a_full_hackathon(teams: int = 2) -> Hackathon:
    hackathon = HackathonFactory()
    hackathon.customers.set(CustomerFactory.create_batch(2))
    problem = HackathonProblemFactory(hackathon=hackathon, theme=ThemeFactory())
    HackathonProblemFactory(hackathon=hackathon)
    for _ in range(teams):
        team = HackathonTeamFactory(
            hackathon=hackathon, problem=problem, members=UserFactory.create_batch(2)
        )
        promoted = HackathonOutcomeFactory(team=team)
        BacklogItemFactory(hackathon_outcome=promoted)
        HackathonOutcomeFactory(team=team)
    return hackathon


@pytest.mark.parametrize("teams", [1, 4])
def test_hackathon_get_reads_the_whole_page_in_six_queries(django_assert_num_queries, teams):
    # Given a hackathon with problems, teams, members, outcomes and backlog items
    hackathon = given_a_full_hackathon(teams=teams)

    # When everything its page shows is read: the count does not grow with the teams
    with django_assert_num_queries(6):
        found = hackathon_get(hackathon_id=hackathon.pk)
        names = [c.name for c in found.customers.all()]
        themes = [p.theme for p in found.problems.all()]
        for team in found.teams.all():
            _ = [m.username for m in team.members.all()], team.problem
            _ = [getattr(o, "backlog_item", None) for o in team.outcomes.all()]

    # Then it is all there
    assert len(names) == 2
    assert themes[0] is not None
    first = found.teams.all()[0]
    assert len(first.outcomes.all()) == 2
    assert sum(1 for o in first.outcomes.all() if getattr(o, "backlog_item", None)) == 1


def test_hackathon_get_of_a_missing_id_is_none():
    assert hackathon_get(hackathon_id=999_999) is None


def test_hackathon_list_counts_in_one_query_and_splits_upcoming_from_past(
    django_assert_num_queries,
):
    # Given a past, a running and a future hackathon
    past = HackathonFactory(starts_on=dt.date(2026, 1, 5), ends_on=dt.date(2026, 1, 6))
    running = HackathonFactory(starts_on=dt.date(2026, 3, 9), ends_on=dt.date(2026, 3, 11))
    future = HackathonFactory(starts_on=dt.date(2026, 6, 1), ends_on=dt.date(2026, 6, 2))
    HackathonTeamFactory.create_batch(2, hackathon=past)
    HackathonProblemFactory(hackathon=past)

    # When they are listed on 10 March
    with django_assert_num_queries(1):
        hackathons = list(hackathon_list())
    upcoming, done = hackathon_split(hackathons, today=dt.date(2026, 3, 10))

    # Then the running one comes first among the upcoming, and counts are there
    assert upcoming == [running, future]
    assert done == [past]
    assert (done[0].team_count, done[0].problem_count) == (2, 1)


# ------------------------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------------------------


def test_the_touchpoints_list_links_to_hackathons(client):
    client.force_login(user_with_role(Role.EXECUTIVE))

    response = client.get(reverse("touchpoints:touchpoint-list"))

    assert reverse("touchpoints:hackathon-list").encode() in response.content


def test_the_list_shows_upcoming_and_past(client):
    HackathonFactory(name="Long ago", starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2020, 1, 2))
    HackathonFactory(name="Far ahead", starts_on=dt.date(2099, 1, 1), ends_on=dt.date(2099, 1, 2))
    client.force_login(user_with_role(Role.EXECUTIVE))

    response = client.get(reverse("touchpoints:hackathon-list"))

    content = response.content.decode()
    assert response.status_code == 200
    upcoming, past = content.split('data-testid="hackathons-past"')
    assert "Far ahead" in upcoming
    assert "Long ago" in past


def test_a_pm_plans_a_hackathon(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))

    response = client.post(
        reverse("touchpoints:hackathon-new"),
        {"name": "Exports week", "starts_on": "2026-04-01", "ends_on": "2026-04-02"},
    )

    hackathon = Hackathon.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("touchpoints:hackathon-detail", args=[hackathon.pk])


def test_planning_with_the_end_before_the_start_shows_the_reason(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))

    response = client.post(
        reverse("touchpoints:hackathon-new"),
        {"name": "Backwards", "starts_on": "2026-04-02", "ends_on": "2026-04-01"},
    )

    assert response.status_code == 400
    assert "ends before it starts" in response.content.decode()
    assert not Hackathon.objects.exists()


def test_the_detail_page_shows_problems_teams_and_outcomes_with_their_links(client):
    # Given a hackathon whose problem comes from a pain point, a team and two outcomes
    theme = ThemeFactory(label="Slow exports", status=Theme.Status.ACTIVE)
    hackathon = HackathonFactory()
    problem = HackathonProblemFactory(
        hackathon=hackathon, statement="Exports time out", theme=theme
    )
    member = UserFactory(first_name="Ada", last_name="Lovelace")
    team = HackathonTeamFactory(
        hackathon=hackathon, name="Streamers", problem=problem, members=[member]
    )
    promoted = HackathonOutcomeFactory(team=team, title="Streaming export")
    item = BacklogItemFactory(hackathon_outcome=promoted, title="Stream exports")
    pending = HackathonOutcomeFactory(team=team, title="Export progress bar")
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))

    # When a PM opens it
    response = client.get(reverse("touchpoints:hackathon-detail", args=[hackathon.pk]))

    # Then the problem links its pain point, the team shows, each outcome its item or a button
    content = response.content.decode()
    assert response.status_code == 200
    assert reverse("insights:theme-detail", args=[theme.pk]) in content
    assert "Streamers" in content
    assert "Ada Lovelace" in content
    assert reverse("roadmap:backlog-detail", args=[item.pk]) in content
    assert reverse("roadmap:promote-outcome", args=[pending.pk]) in content
    assert reverse("roadmap:promote-outcome", args=[promoted.pk]) not in content
    assert "Make it a backlog item" in content
    assert 'data-testid="problem-form"' in content
    assert f'<option value="{theme.pk}">Slow exports</option>' in content


def test_an_executive_reads_the_detail_page_without_forms_or_buttons(client):
    team = HackathonTeamFactory()
    HackathonOutcomeFactory(team=team)
    client.force_login(user_with_role(Role.EXECUTIVE))

    response = client.get(reverse("touchpoints:hackathon-detail", args=[team.hackathon.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert team.name in content
    assert "Make it a backlog item" not in content
    for form in ("problem-form", "team-form", "outcome-form"):
        assert f'data-testid="{form}"' not in content


@pytest.mark.parametrize(
    ("route", "data"),
    [
        ("touchpoints:hackathon-problem-add", {"statement": "Something hurts"}),
        ("touchpoints:hackathon-team-add", {"name": "Execs"}),
        ("touchpoints:hackathon-outcome-add", {"title": "Idea"}),
    ],
)
def test_an_executive_may_not_add_anything(client, route, data):
    hackathon = HackathonFactory()
    client.force_login(user_with_role(Role.EXECUTIVE))

    response = client.post(reverse(route, args=[hackathon.pk]), data)

    assert response.status_code == 403
    assert not HackathonProblem.objects.exists()
    assert not HackathonTeam.objects.exists()


def test_a_pm_adds_a_problem_a_team_and_an_outcome(client):
    # Given a hackathon and an engineer
    hackathon = HackathonFactory()
    theme = ThemeFactory(status=Theme.Status.ACTIVE)
    engineer = user_with_role(Role.ENGINEER)
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    detail = reverse("touchpoints:hackathon-detail", args=[hackathon.pk])

    # When the PM adds a problem, a team on it and an outcome of the team
    first = client.post(
        reverse("touchpoints:hackathon-problem-add", args=[hackathon.pk]),
        {"statement": "Exports time out", "theme": theme.pk},
    )
    problem = HackathonProblem.objects.get()
    second = client.post(
        reverse("touchpoints:hackathon-team-add", args=[hackathon.pk]),
        {"name": "Streamers", "members": [engineer.pk], "problem": problem.pk},
    )
    team = HackathonTeam.objects.get()
    third = client.post(
        reverse("touchpoints:hackathon-outcome-add", args=[hackathon.pk]),
        {"team": team.pk, "title": "Streaming export"},
    )

    # Then each lands back on the page and is stored
    assert [r["Location"] for r in (first, second, third)] == [detail] * 3
    assert problem.theme == theme
    assert (team.problem, list(team.members.all())) == (problem, [engineer])
    assert HackathonOutcome.objects.get().team == team


def test_an_engineer_adds_a_team_but_not_a_problem(client):
    hackathon = HackathonFactory()
    client.force_login(user_with_role(Role.ENGINEER))

    team = client.post(
        reverse("touchpoints:hackathon-team-add", args=[hackathon.pk]), {"name": "Solo"}
    )
    problem = client.post(
        reverse("touchpoints:hackathon-problem-add", args=[hackathon.pk]), {"statement": "X"}
    )

    assert (team.status_code, problem.status_code) == (302, 403)
    assert HackathonTeam.objects.filter(name="Solo").exists()


def test_a_duplicate_team_comes_back_with_the_reason(client):
    hackathon = HackathonFactory()
    HackathonTeamFactory(hackathon=hackathon, name="Streamers")
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))

    response = client.post(
        reverse("touchpoints:hackathon-team-add", args=[hackathon.pk]),
        {"name": "Streamers"},
        follow=True,
    )

    assert "already has a team called" in response.content.decode()
    assert HackathonTeam.objects.count() == 1


def test_an_outcome_for_another_hackathons_team_is_refused(client):
    hackathon = HackathonFactory()
    stranger = HackathonTeamFactory()
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))

    response = client.post(
        reverse("touchpoints:hackathon-outcome-add", args=[hackathon.pk]),
        {"team": stranger.pk, "title": "Sneaky"},
        follow=True,
    )

    assert "Pick one of this hackathon’s teams" in response.content.decode()
    assert not HackathonOutcome.objects.exists()
