import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from insights.roles import Role
from tests.conftest import user_with_role
from tests.touchpoints.factories import (
    TeamFactory,
    TouchpointFactory,
    TouchpointGoalFactory,
    UserFactory,
)
from touchpoints.adherence import (
    BEHIND,
    DONE,
    NO_GOAL,
    ON_TRACK,
    EngineerRef,
    GoalRule,
    TouchpointRef,
    adherence_default_as_of,
    adherence_report,
    engineer_adherence_compute,
    expected_by,
)
from touchpoints.models import PartnerTeam, TouchpointGoal, TouchpointKind

Scope = TouchpointGoal.Scope


def _engineer(username: str, *teams):
    engineer = user_with_role(Role.ENGINEER, username=username)
    for team in teams:
        team.members.add(engineer)
    return engineer


def _touchpoints(engineer, *dates, kind=TouchpointKind.CUSTOMER_CALL, partner_team=""):
    for day in dates:
        TouchpointFactory(
            engineers=[engineer], occurred_on=day, kind=kind, partner_team=partner_team
        )


def _row(report, username):
    return next(row for row in report.engineers if row.username == username)


# --- pure computation -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (dt.date(2026, 1, 1), 0),
        (dt.date(2026, 3, 31), 1),  # 3/12 of 4
        (dt.date(2026, 6, 29), 1),  # (5 + 29/30)/12 of 4 = 1.99
        (dt.date(2026, 7, 1), 2),  # (6 + 1/31)/12 of 4 = 2.01
        (dt.date(2026, 12, 31), 4),
    ],
)
def test_expected_by_now_is_pro_rated_by_date_and_rounded_down(as_of, expected):
    # given a target of 4 / when pro-rated / then
    assert expected_by(target=4, as_of=as_of) == expected


@pytest.mark.parametrize(("count", "status"), [(1, BEHIND), (2, ON_TRACK), (4, DONE)])
def test_on_july_first_two_of_four_are_on_track(count, status):
    # given an organisation goal of 4 and `count` touchpoints of two kinds
    goal = GoalRule(
        scope=Scope.ORGANISATION, effective_from=dt.date(2026, 1, 1), target_count=4,
        min_distinct_kinds=1,
    )  # fmt: skip
    touchpoints = [
        TouchpointRef(engineer_id=1, occurred_on=dt.date(2026, 2, day), kind="customer_call")
        for day in range(1, count + 1)
    ]
    # when
    result = engineer_adherence_compute(
        engineer=EngineerRef(id=1, username="ada"),
        team_names=[],
        goals=[goal],
        touchpoints=touchpoints,
        as_of=dt.date(2026, 7, 1),
    )
    # then
    assert result.expected_by_now == 2
    assert result.status == status


def test_default_evaluation_date_is_clamped_to_the_year():
    today = dt.date(2026, 11, 28)
    assert adherence_default_as_of(year=2026, today=today) == today
    assert adherence_default_as_of(year=2025, today=today) == dt.date(2025, 12, 31)
    assert adherence_default_as_of(year=2027, today=today) == dt.date(2027, 1, 1)


# --- the selector -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_december_31_counts_for_its_year_and_january_1_for_the_next():
    # given touchpoints on both sides of two new years
    ada = _engineer("ada")
    TouchpointGoalFactory(year=2025, effective_from=dt.date(2025, 1, 1), target_count=2)
    TouchpointGoalFactory(year=2026, effective_from=dt.date(2026, 1, 1), target_count=2)
    _touchpoints(
        ada, dt.date(2025, 12, 31), dt.date(2026, 1, 1), dt.date(2026, 12, 31), dt.date(2027, 1, 1)
    )
    # when
    report_2025 = adherence_report(year=2025, as_of=dt.date(2025, 12, 31))
    report_2026 = adherence_report(year=2026, as_of=dt.date(2026, 12, 31))
    # then
    assert _row(report_2025, "ada").count == 1
    assert _row(report_2026, "ada").count == 2


@pytest.mark.django_db
def test_a_policy_change_applies_from_its_date_with_the_whole_year_counting():
    # given target 4 from January, raised to 6 from July, and 3 touchpoints in February
    ada = _engineer("ada")
    TouchpointGoalFactory(effective_from=dt.date(2026, 1, 1), target_count=4, min_distinct_kinds=1)
    TouchpointGoalFactory(effective_from=dt.date(2026, 7, 1), target_count=6, min_distinct_kinds=1)
    _touchpoints(ada, dt.date(2026, 2, 2), dt.date(2026, 2, 3), dt.date(2026, 2, 4))
    # when
    june = _row(adherence_report(year=2026, as_of=dt.date(2026, 6, 30)), "ada")
    july = _row(adherence_report(year=2026, as_of=dt.date(2026, 7, 1)), "ada")
    december = _row(adherence_report(year=2026, as_of=dt.date(2026, 12, 31)), "ada")
    # then: June expects 2 of 4; 1 July expects floor(6 × (6 + 1/31)/12) = 3 of 6
    assert (june.target, june.count, june.expected_by_now, june.status) == (4, 3, 2, ON_TRACK)
    assert june.missing == ("needs 1 more touchpoint",)
    assert (july.target, july.count, july.expected_by_now, july.status) == (6, 3, 3, ON_TRACK)
    assert (december.target, december.status) == (6, BEHIND)
    assert december.missing == ("needs 3 more touchpoints",)


@pytest.mark.django_db
def test_engineer_override_beats_team_override_which_beats_the_organisation_from_its_date():
    # given an organisation goal of 4, a team goal of 2 from April and an override of 8 for bea
    team = TeamFactory(name="Platform")
    _engineer("ada", team)
    bea = _engineer("bea", team)
    _engineer("cy")
    TouchpointGoalFactory(effective_from=dt.date(2026, 1, 1), target_count=4)
    TouchpointGoalFactory(
        scope=Scope.TEAM, team=team, effective_from=dt.date(2026, 4, 1), target_count=2
    )
    TouchpointGoalFactory(
        scope=Scope.ENGINEER,
        engineer=bea,
        effective_from=dt.date(2026, 1, 1),
        target_count=8,
    )
    # when
    march = adherence_report(year=2026, as_of=dt.date(2026, 3, 31))
    april = adherence_report(year=2026, as_of=dt.date(2026, 4, 1))
    # then
    assert [_row(march, name).target for name in ("ada", "bea", "cy")] == [4, 8, 4]
    assert [_row(april, name).target for name in ("ada", "bea", "cy")] == [2, 8, 4]
    assert _row(april, "ada").team == "Platform"


@pytest.mark.django_db
def test_required_kinds_and_partner_teams_are_named_when_missing():
    # given a goal of 2 touchpoints of 2 kinds, an empathy session and one with sales or support
    TouchpointGoalFactory(
        target_count=2,
        min_distinct_kinds=2,
        required_kinds=[TouchpointKind.EMPATHY_SESSION],
        required_partner_teams=[PartnerTeam.SALES, PartnerTeam.SUPPORT],
    )
    ada = _engineer("ada")
    _touchpoints(
        ada, dt.date(2026, 3, 1), dt.date(2026, 3, 2), kind=TouchpointKind.RIDE_ALONG,
        partner_team=PartnerTeam.DESIGN,
    )  # fmt: skip
    bea = _engineer("bea")
    _touchpoints(bea, dt.date(2026, 3, 1), kind=TouchpointKind.EMPATHY_SESSION)
    _touchpoints(
        bea, dt.date(2026, 3, 2), kind=TouchpointKind.RIDE_ALONG, partner_team=PartnerTeam.SALES
    )
    # when
    mid_year = adherence_report(year=2026, as_of=dt.date(2026, 6, 30))
    year_end = adherence_report(year=2026, as_of=dt.date(2026, 12, 31))
    # then: ada has the count but still can meet the rest by year end
    assert _row(mid_year, "ada").missing == (
        "needs 1 more kind of touchpoint",
        "no digital empathy session yet",
        "needs 1 more with sales or support",
    )
    assert _row(mid_year, "ada").status == ON_TRACK
    assert _row(year_end, "ada").status == BEHIND
    assert _row(year_end, "bea").status == DONE
    assert _row(year_end, "bea").kinds_done == ("empathy_session", "ride_along")


@pytest.mark.django_db
def test_team_and_organisation_percentages_count_engineers_on_track_or_done():
    # given a goal of 2 with 1 expected by 1 July, and four engineers (one without a team)
    platform, mobile = TeamFactory(name="Platform"), TeamFactory(name="Mobile")
    TouchpointGoalFactory(target_count=2, min_distinct_kinds=1)
    _touchpoints(_engineer("ada", platform), dt.date(2026, 1, 5), dt.date(2026, 2, 5))  # done
    _touchpoints(_engineer("bea", platform), dt.date(2026, 1, 5))  # on track
    _engineer("cy", platform, mobile)  # behind
    _touchpoints(_engineer("dee"), dt.date(2026, 1, 5))  # on track, no team
    _touchpoints(UserFactory(username="pm"), dt.date(2026, 1, 5))  # not an engineer: left out
    # when
    report = adherence_report(year=2026, as_of=dt.date(2026, 7, 1))
    # then
    assert [row.username for row in report.engineers] == ["ada", "bea", "cy", "dee"]
    teams = {team.name: team for team in report.teams}
    assert (teams["Platform"].engineers, teams["Platform"].percent) == (3, 66)
    assert (teams["Mobile"].engineers, teams["Mobile"].percent) == (1, 0)
    assert (report.organisation.covered, report.organisation.percent) == (3, 75)
    assert report.monthly[_row(report, "ada").engineer_id][:3] == [1, 1, 0]


@pytest.mark.django_db
def test_engineers_without_a_goal_in_force_are_left_out_of_percentages():
    # given a goal that starts in March
    TouchpointGoalFactory(effective_from=dt.date(2026, 3, 1))
    _engineer("ada")
    # when
    report = adherence_report(year=2026, as_of=dt.date(2026, 2, 1))
    # then
    assert _row(report, "ada").status == NO_GOAL
    assert report.organisation.percent is None


@pytest.mark.django_db
def test_report_reads_in_a_fixed_number_of_queries(django_assert_num_queries):
    # given several engineers in teams with touchpoints
    team = TeamFactory()
    TouchpointGoalFactory()
    for name in ("ada", "bea", "cy"):
        _touchpoints(_engineer(name, team), dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    # when / then
    with django_assert_num_queries(5):
        adherence_report(year=2026, as_of=dt.date(2026, 7, 1))


# --- the page and its export ------------------------------------------------------------------


@pytest.mark.django_db
def test_page_renders_for_a_product_manager(client, role_pm):
    # given
    team = TeamFactory(name="Platform")
    TouchpointGoalFactory(
        year=2025, effective_from=dt.date(2025, 1, 1), target_count=1, min_distinct_kinds=1
    )
    _touchpoints(_engineer("ada", team), dt.date(2025, 5, 1))
    client.force_login(role_pm)
    # when
    response = client.get(reverse("touchpoints:adherence"), {"year": 2025})
    # then
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-testid="organisation-percent">100%' in content
    assert "adherence-heatmap-data" in content
    assert "kind-chart-data" in content
    assert "partner-chart-data" in content
    assert "Platform" in content


@pytest.mark.django_db
def test_page_needs_the_goal_permission(client):
    # given a signed-in user with no role
    client.force_login(user_with_role(None))
    # when
    response = client.get(reverse("touchpoints:adherence"))
    # then
    assert response.status_code == 403


@pytest.mark.django_db
def test_csv_export_neutralises_a_formula_in_a_username(client, role_pm):
    # given an engineer whose username a spreadsheet would run
    TouchpointGoalFactory(
        year=2025, effective_from=dt.date(2025, 1, 1), target_count=1, min_distinct_kinds=1
    )
    _touchpoints(_engineer("=HYPERLINK(x)"), dt.date(2025, 5, 1))
    client.force_login(role_pm)
    # when
    response = client.get(reverse("touchpoints:adherence-csv"), {"year": 2025})
    # then
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["username", "team", "count", "target", "kinds_done", "status", "missing"]
    assert rows[1][0] == "'=HYPERLINK(x)"
    assert rows[1][2:6] == ["1", "1", "customer_call", "done"]


@pytest.mark.django_db
def test_the_engineer_s_home_shows_their_status_and_what_is_missing(client):
    # Given this year's organisation goal and an engineer with one call so far
    today = dt.date.today()  # noqa: DTZ011 -- the home page evaluates as of today
    TouchpointGoalFactory(
        year=today.year,
        effective_from=dt.date(today.year, 1, 1),
        target_count=4,
        min_distinct_kinds=2,
    )
    engineer = _engineer("kim")
    _touchpoints(engineer, dt.date(today.year, 1, 1))

    # When they open their home page
    client.force_login(engineer)
    content = client.get(reverse("home")).content.decode()

    # Then it shows the status the adherence page computes, and what is still to do
    report = adherence_report(year=today.year, as_of=today)
    row = _row(report, "kim")
    assert f"<strong>{row.status_label}</strong>" in content
    assert row.missing
    for missing in row.missing:
        assert missing in content


@pytest.mark.django_db
def test_a_report_for_some_engineers_has_only_their_rows_and_the_same_figures():
    TouchpointGoalFactory(year=2026, effective_from=dt.date(2026, 1, 1), target_count=2)
    ana, ben = _engineer("ana"), _engineer("ben")
    _touchpoints(ana, dt.date(2026, 2, 1), dt.date(2026, 3, 1))
    _touchpoints(ben, dt.date(2026, 2, 1))

    whole = adherence_report(year=2026, as_of=dt.date(2026, 6, 1))
    only_ana = adherence_report(year=2026, as_of=dt.date(2026, 6, 1), engineer_ids=[ana.pk])

    assert [row.username for row in only_ana.engineers] == ["ana"]
    assert only_ana.engineers[0] == _row(whole, "ana")
