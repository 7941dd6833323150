"""`manage.py impact_report [--json] [--measure]`: every shipped item, its target, the measured
figures and the verdict, read from the same reviews as the item pages."""

import io
import json

import pytest
from django.core.management import call_command

from roadmap.impact import impact_reviews_measure_due, impact_reviews_schedule
from roadmap.models import BacklogItem
from tests.roadmap.factories import BacklogItemFactory
from tests.roadmap.impact_builders import ALL_DUE, SHIPPED_ON, fading_pain_point, shipped_item

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = io.StringIO()
    call_command("impact_report", *args, stdout=out)
    return out.getvalue()


def given_a_measured_and_a_fresh_item() -> tuple[BacklogItem, BacklogItem]:
    measured = shipped_item(themes=(fading_pain_point(),), title="Background exports")
    impact_reviews_schedule(item=measured)
    impact_reviews_measure_due(today=ALL_DUE)
    fresh = shipped_item(title="Invoices", shipped_on=ALL_DUE, target=-40)
    impact_reviews_schedule(item=fresh)
    BacklogItemFactory(title="Not shipped", status=BacklogItem.Status.NOW)
    return measured, fresh


def test_json_lists_every_shipped_item_with_its_latest_verdict():
    given_a_measured_and_a_fresh_item()

    rows = json.loads(_run("--json"))

    assert rows == [
        {
            "item": "Background exports",
            "shipped_at": SHIPPED_ON.isoformat(),
            "verdict": "met",
            "metric": "theme_volume",
            "before": 60,
            "after": 6,
            "target": -50,
        },
        {
            "item": "Invoices",
            "shipped_at": ALL_DUE.isoformat(),
            "verdict": "too_early",
            "metric": "theme_volume",
            "before": None,
            "after": None,
            "target": -40,
        },
    ]


def test_text_says_the_figures_and_why():
    given_a_measured_and_a_fresh_item()

    out = _run()

    assert "Background exports\n  shipped 2026-01-15, 90-day review" in out
    assert "before 60, after 6: met" in out
    assert "beyond noise" in out
    assert "Invoices" in out
    assert "No review is due yet." in out
    assert "Not shipped" not in out


def test_measure_first_measures_the_due_reviews(monkeypatch):
    item = shipped_item(themes=(fading_pain_point(),), title="Background exports")
    monkeypatch.setattr("roadmap.impact.org_today", lambda: ALL_DUE)

    rows = json.loads(_run("--json", "--measure"))

    assert [row["verdict"] for row in rows] == ["met"]
    item.refresh_from_db()
    assert item.status == BacklogItem.Status.MEASURED


def test_no_shipped_items():
    assert _run() == "No shipped items.\n"
    assert json.loads(_run("--json")) == []
