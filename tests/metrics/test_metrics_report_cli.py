"""`manage.py metrics_report`: the range, the JSON and text shapes, segments, bad input, and the
same figures as the snapshots the pages read."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from insights.models import Plan, Segment
from metrics.management.commands import metrics_report
from metrics.models import MetricSnapshot
from metrics.services import metric_snapshots_compute
from tests.insights.factories import CustomerFactory, FeedbackFactory, UsageSnapshotFactory

pytestmark = pytest.mark.django_db

Metric = MetricSnapshot.Metric
TODAY = dt.date(2026, 5, 15)
FIGURE_KEYS = {"value", "n", "ci_low", "ci_high"}


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr(metrics_report, "org_today", lambda: TODAY)


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def given_a_quarter_of_answers_and_usage():
    """Q1 2026: SMB on Starter (NPS 30 over ten answers), Enterprise on Business (one detractor,
    CSAT 5 and 2); usage in February and March. Q2 2026: one promoter."""
    smb = CustomerFactory(segment=Segment.SMB, plan=Plan.STARTER)
    big = CustomerFactory(segment=Segment.ENTERPRISE, plan=Plan.BUSINESS)
    for score in (9, 10, 9, 10, 9, 7, 8, 7, 3, 6):
        FeedbackFactory(nps=score, customer=smb, received_at=_at(dt.date(2026, 3, 10)))
    FeedbackFactory(nps=0, customer=big, received_at=_at(dt.date(2026, 1, 11)))
    FeedbackFactory(csat=5, ces=6, customer=big, received_at=_at(dt.date(2026, 2, 3)))
    FeedbackFactory(csat=2, ces=2, customer=big, received_at=_at(dt.date(2026, 2, 4)))
    FeedbackFactory(nps=10, customer=smb, received_at=_at(dt.date(2026, 4, 2)))
    UsageSnapshotFactory(
        customer=smb,
        period=dt.date(2026, 2, 1),
        active_users=10,
        feature_adoption={"export": 5, "search": 10},
        task_attempts=100,
        task_successes=80,
    )
    UsageSnapshotFactory(
        customer=big,
        period=dt.date(2026, 3, 1),
        active_users=30,
        feature_adoption={"export": 15, "search": 30},
        task_attempts=300,
        task_successes=290,
    )


def _run(*args: str) -> str:
    out = StringIO()
    call_command("metrics_report", *args, stdout=out)
    return out.getvalue()


def test_json_of_the_default_range_is_the_last_full_quarter():
    given_a_quarter_of_answers_and_usage()

    data = json.loads(_run("--json"))

    assert set(data) == {"nps", "csat", "ces", "adoption", "task_success"}
    for key in data:
        assert FIGURE_KEYS <= set(data[key])
    # Q1 2026 only: the April promoter is outside
    assert data["nps"]["n"] == 11
    assert data["nps"]["value"] == pytest.approx((5 - 3) / 11 * 100)
    assert data["csat"] == {
        "value": 50.0,
        "n": 2,
        "ci_low": pytest.approx(9.45, abs=0.01),
        "ci_high": pytest.approx(90.55, abs=0.01),
    }
    assert data["ces"]["value"] == 4.0
    assert data["task_success"]["value"] == pytest.approx(92.5)
    assert data["task_success"]["n"] == 400
    assert data["adoption"]["value"] == pytest.approx(75.0)
    assert data["adoption"]["features"]["export"]["value"] == pytest.approx(50.0)


def test_the_command_and_the_quarterly_snapshots_agree():
    given_a_quarter_of_answers_and_usage()
    metric_snapshots_compute(as_of=_at(TODAY), force=True)

    data = json.loads(_run("--json"))

    for key, metric in [
        ("nps", Metric.NPS),
        ("csat", Metric.CSAT),
        ("ces", Metric.CES),
        ("adoption", Metric.ADOPTION),
        ("task_success", Metric.TASK_SUCCESS),
    ]:
        snapshot = MetricSnapshot.objects.get(
            metric=metric, period_kind="quarter", period_start=dt.date(2026, 1, 1), segment_field=""
        )
        figure = data[key]
        assert (figure["value"], figure["n"]) == (snapshot.value, snapshot.n), key
        assert (figure["ci_low"], figure["ci_high"]) == (snapshot.ci_low, snapshot.ci_high), key


def test_text_prints_each_metric_with_n_and_interval():
    given_a_quarter_of_answers_and_usage()

    text = _run("--from", "2026-01-01", "--to", "2026-03-31")

    assert text.startswith("Metrics 2026-01-01 to 2026-03-31\n")
    assert "All accounts" in text
    assert "NPS                       18.2  n=11 answers, 95 % CI" in text
    assert "CSAT                     50.0%  n=2 answers, 95 % CI 9.5% to 90.5%" in text
    assert "CES                       4.00  n=2 answers" in text
    assert "Task success             92.5%  n=400 tasks" in text
    assert "Adoption                 75.0%  n=40 active user-months" in text
    assert "  export" in text


def test_segment_prints_one_block_per_value_and_json_gets_a_mapping():
    given_a_quarter_of_answers_and_usage()

    text = _run("--segment", "plan")
    data = json.loads(_run("--segment", "plan", "--json"))

    assert "Plan: Starter" in text
    assert "Plan: Business" in text
    assert set(data["segments"]) == {"starter", "business"}
    assert data["segments"]["starter"]["nps"]["value"] == pytest.approx(30.0)
    assert data["segments"]["business"]["csat"]["n"] == 2
    assert data["segments"]["starter"]["task_success"]["n"] == 100
    assert data["nps"]["n"] == 11


def test_from_alone_runs_to_today_and_to_alone_covers_ninety_days():
    given_a_quarter_of_answers_and_usage()

    from_april = json.loads(_run("--from", "2026-04-01", "--json"))
    ninety_days = json.loads(_run("--to", "2026-03-31", "--json"))

    assert from_april["nps"]["n"] == 1
    # 1 January … 31 March is 90 days
    assert ninety_days["nps"]["n"] == 11


def test_no_answers_prints_no_values():
    data = json.loads(_run("--json"))
    text = _run()

    assert data["nps"] == {"value": None, "n": 0, "ci_low": None, "ci_high": None}
    assert data["adoption"]["value"] is None
    assert "n/a" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-13-01"], "--from must be a date as YYYY-MM-DD, not '2026-13-01'."),
        (["--to", "yesterday"], "--to must be a date as YYYY-MM-DD, not 'yesterday'."),
        (
            ["--from", "2026-05-01", "--to", "2026-04-01"],
            "--from 2026-05-01 is after the end of the range, 2026-04-01.",
        ),
        (["--from", "2026-06-01"], "--from 2026-06-01 is after the end of the range, 2026-05-15."),
        (["--segment", "colour"], "--segment must be one of segment, plan, region, not 'colour'."),
    ],
)
def test_bad_input_is_one_sentence(args, message):
    with pytest.raises(CommandError) as error:
        _run(*args)

    assert str(error.value) == message
