import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from insights.roles import Role
from tests.conftest import user_with_role
from tests.touchpoints.factories import TeamFactory, TouchpointFactory, TouchpointGoalFactory
from touchpoints.models import TouchpointKind

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command("touchpoint_adherence", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def small_dataset():
    """2025, target 2 of 2 kinds: ada done, bea one short, cy in no team with nothing."""
    team = TeamFactory(name="Platform")
    ada = user_with_role(Role.ENGINEER, username="ada")
    bea = user_with_role(Role.ENGINEER, username="bea")
    user_with_role(Role.ENGINEER, username="cy")
    team.members.add(ada, bea)
    TouchpointGoalFactory(year=2025, effective_from=dt.date(2025, 1, 1), target_count=2)
    TouchpointFactory(
        engineers=[ada], occurred_on=dt.date(2025, 1, 1), kind=TouchpointKind.SITE_VISIT
    )
    TouchpointFactory(
        engineers=[ada, bea], occurred_on=dt.date(2025, 12, 31), kind=TouchpointKind.RIDE_ALONG
    )
    # the next year's first day does not count for 2025
    TouchpointFactory(engineers=[bea], occurred_on=dt.date(2026, 1, 1))


def test_json_lists_every_engineer_with_the_pages_figures(small_dataset):
    # when
    rows = json.loads(_run("--year", "2025", "--json"))
    # then
    assert rows == [
        {
            "username": "ada",
            "team": "Platform",
            "count": 2,
            "target": 2,
            "kinds_done": ["ride_along", "site_visit"],
            "status": "done",
        },
        {
            "username": "bea",
            "team": "Platform",
            "count": 1,
            "target": 2,
            "kinds_done": ["ride_along"],
            "status": "behind",
        },
        {
            "username": "cy",
            "team": "",
            "count": 0,
            "target": 2,
            "kinds_done": [],
            "status": "behind",
        },
    ]


def test_as_of_evaluates_mid_year(small_dataset):
    # when: on 1 July 2025 target 2 expects 1
    rows = json.loads(_run("--year", "2025", "--as-of", "2025-07-01", "--json"))
    # then
    assert [(row["username"], row["count"], row["status"]) for row in rows] == [
        ("ada", 1, "on_track"),
        ("bea", 0, "behind"),
        ("cy", 0, "behind"),
    ]


def test_text_output_has_a_line_per_engineer(small_dataset):
    # when
    text = _run("--year", "2025")
    # then
    assert "ada\tPlatform\t2/2\tride_along, site_visit\tdone" in text
    assert "cy\t-\t0/2\t-\tbehind" in text
    assert "On track or done: 33% of 3 with a goal" in text


def test_as_of_outside_the_year_is_refused():
    with pytest.raises(CommandError, match="not in 2025"):
        _run("--year", "2025", "--as-of", "2026-01-01")
