"""Promoting a hackathon outcome to the backlog: one item per outcome, linked to its pain point."""

import pytest
from django.urls import reverse

from insights.roles import Role
from roadmap.models import BacklogItem, BacklogThemeLink
from roadmap.services import backlog_item_promote_from_outcome
from tests.conftest import user_with_role
from tests.insights.factories import ThemeFactory
from tests.touchpoints.factories import (
    HackathonFactory,
    HackathonOutcomeFactory,
    HackathonProblemFactory,
    HackathonTeamFactory,
)

pytestmark = pytest.mark.django_db


def given_an_outcome_of_a_team_on_a_pain_point():
    theme = ThemeFactory(label="Slow exports")
    hackathon = HackathonFactory(name="Exports week")
    problem = HackathonProblemFactory(
        hackathon=hackathon, statement="Exports of a year of invoices time out.", theme=theme
    )
    team = HackathonTeamFactory(hackathon=hackathon, name="Streamers", problem=problem)
    outcome = HackathonOutcomeFactory(
        team=team, title="Streaming export", description="Rows stream as they are read."
    )
    return outcome, theme


def test_promote_makes_an_idea_from_the_outcome_linked_to_the_pain_point():
    # Given an outcome of a team whose problem is a pain point
    pm = user_with_role(Role.PRODUCT_MANAGER)
    outcome, theme = given_an_outcome_of_a_team_on_a_pain_point()

    # When it is promoted
    item = backlog_item_promote_from_outcome(outcome=outcome, user=pm)

    # Then an idea carries the outcome's title and the team's problem, linked with the reason
    assert item.status == BacklogItem.Status.IDEA
    assert item.title == "Streaming export"
    assert item.customer_problem == "Exports of a year of invoices time out."
    assert item.desired_outcome == "Rows stream as they are read."
    assert item.hackathon_outcome == outcome
    assert (item.owner, item.created_by) == (pm, pm)
    link = BacklogThemeLink.objects.get(item=item)
    assert link.theme == theme
    assert link.rationale == (
        "From hackathon “Exports week”, team “Streamers”: “Streaming export”."
    )


def test_promoting_twice_returns_the_same_item():
    pm = user_with_role(Role.PRODUCT_MANAGER)
    outcome, _ = given_an_outcome_of_a_team_on_a_pain_point()

    first = backlog_item_promote_from_outcome(outcome=outcome, user=pm)
    second = backlog_item_promote_from_outcome(outcome=outcome, user=pm)

    assert first == second
    assert BacklogItem.objects.count() == 1
    assert BacklogThemeLink.objects.count() == 1


def test_an_outcome_without_a_problem_uses_its_description_and_links_no_theme():
    pm = user_with_role(Role.PRODUCT_MANAGER)
    outcome = HackathonOutcomeFactory(title="Keyboard shortcuts", description="Power users ask.")

    item = backlog_item_promote_from_outcome(outcome=outcome, user=pm)

    assert item.customer_problem == "Power users ask."
    assert item.metric_kind == ""
    assert not BacklogThemeLink.objects.exists()


def test_the_promote_view_redirects_to_the_item_and_again_to_the_same_one(client):
    outcome, _ = given_an_outcome_of_a_team_on_a_pain_point()
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))
    url = reverse("roadmap:promote-outcome", args=[outcome.pk])

    first = client.post(url)
    second = client.post(url)

    item = BacklogItem.objects.get()
    assert first.status_code == second.status_code == 302
    assert (
        first["Location"] == second["Location"] == reverse("roadmap:backlog-detail", args=[item.pk])
    )


@pytest.mark.parametrize("role", [Role.ENGINEER, Role.EXECUTIVE])
def test_only_backlog_editors_may_promote(client, role):
    outcome, _ = given_an_outcome_of_a_team_on_a_pain_point()
    client.force_login(user_with_role(role))

    response = client.post(reverse("roadmap:promote-outcome", args=[outcome.pk]))

    assert response.status_code == 403
    assert not BacklogItem.objects.exists()


def test_promoting_a_missing_outcome_is_404(client):
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))

    response = client.post(reverse("roadmap:promote-outcome", args=[999_999]))

    assert response.status_code == 404
