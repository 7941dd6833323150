"""Snapshots: the computation (one ModelRun, idempotent, only when something changed), the cached
read side (series, headline, breakdown, query counts), the task, beat and the report page."""

import datetime as dt

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from insights.models import ModelRun, Plan, Region, RunStatus, Segment
from insights.roles import Role
from metrics import services
from metrics.models import MetricSnapshot
from metrics.selectors import (
    MONTH,
    QUARTER,
    YEAR,
    headline,
    snapshot_breakdown,
    snapshot_series,
)
from metrics.services import metric_snapshots_compute
from metrics.tasks import metric_snapshots_nightly, metric_snapshots_refresh
from tests.conftest import user_with_role
from tests.insights.factories import (
    ChurnScoreFactory,
    ContactFactory,
    CustomerFactory,
    FeedbackFactory,
    ImportJobFactory,
    ModelRunFactory,
    UsageSnapshotFactory,
)
from tests.metrics.factories import MetricSnapshotFactory
from tests.touchpoints.factories import TeamFactory, TouchpointFactory, TouchpointGoalFactory

pytestmark = pytest.mark.django_db

Metric = MetricSnapshot.Metric
AS_OF = dt.datetime(2026, 5, 15, 12, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 5, 15)


def _at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _snapshot(metric, kind, start, field="", value=""):
    return MetricSnapshot.objects.get(
        metric=metric,
        period_kind=kind,
        period_start=start,
        segment_field=field,
        segment_value=value,
    )


def given_a_customer_base():
    """Two accounts. March 2026: ten NPS answers from the SMB account (NPS 30), one detractor
    from the enterprise one; February: two CSAT answers. Usage in February and March."""
    smb = CustomerFactory(segment=Segment.SMB, plan=Plan.STARTER, region=Region.APAC)
    big = CustomerFactory(segment=Segment.ENTERPRISE, plan=Plan.BUSINESS, region=Region.EMEA)
    for score in (9, 10, 9, 10, 9, 7, 8, 7, 3, 6):
        FeedbackFactory(nps=score, customer=smb, received_at=_at(dt.date(2026, 3, 10)))
    FeedbackFactory(nps=0, customer=big, received_at=_at(dt.date(2026, 3, 11)))
    FeedbackFactory(csat=5, ces=6, customer=big, received_at=_at(dt.date(2026, 2, 3)))
    FeedbackFactory(csat=2, ces=2, customer=big, received_at=_at(dt.date(2026, 2, 4)))
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
    return smb, big


# --- the computation ---------------------------------------------------------------------------


def test_compute_writes_every_period_for_every_account_and_the_groups_with_data():
    given_a_customer_base()

    run = metric_snapshots_compute(as_of=AS_OF, force=True)

    assert run.kind == ModelRun.Kind.METRICS
    assert run.status == RunStatus.SUCCEEDED
    assert run.parameters["reason"] == "forced"
    assert {"scores_month", "usage_quarter", "adherence", "write"} <= set(run.timings)
    assert run.metrics["answers_counted"] == {"nps": 11, "csat": 2, "ces": 2}
    assert run.metrics["periods"] == {MONTH: 24, QUARTER: 9, YEAR: 3}
    assert run.data_size == MetricSnapshot.objects.count()
    # Every account: a row for each of the 24 months, with or without answers
    overall_months = MetricSnapshot.objects.filter(
        metric=Metric.NPS, period_kind=MONTH, segment_field=""
    )
    assert overall_months.count() == 24
    assert overall_months.filter(n=0, value__isnull=True).count() == 23
    march = _snapshot(Metric.NPS, MONTH, dt.date(2026, 3, 1))
    # 5 promoters, 3 passives, 3 detractors of 11
    assert march.n == 11
    assert march.value == pytest.approx((5 - 3) / 11 * 100)
    assert _snapshot(Metric.NPS, QUARTER, dt.date(2026, 1, 1)).n == 11
    assert _snapshot(Metric.NPS, YEAR, dt.date(2026, 1, 1)).n == 11
    # Groups with data only
    assert _snapshot(Metric.NPS, MONTH, dt.date(2026, 3, 1), "segment", "smb").value == 30.0
    assert _snapshot(Metric.NPS, MONTH, dt.date(2026, 3, 1), "region", "emea").value == -100.0
    assert not MetricSnapshot.objects.filter(
        metric=Metric.NPS, segment_field="segment", period_start=dt.date(2026, 2, 1)
    ).exists()
    assert _snapshot(Metric.CSAT, QUARTER, dt.date(2026, 1, 1), "plan", "business").value == 50.0
    assert _snapshot(Metric.CES, MONTH, dt.date(2026, 2, 1)).value == 4.0
    # Usage: per month and pooled per quarter, by group and by feature
    q1 = dt.date(2026, 1, 1)
    assert _snapshot(Metric.TASK_SUCCESS, QUARTER, q1).value == pytest.approx(92.5)
    assert _snapshot(Metric.TASK_SUCCESS, MONTH, dt.date(2026, 2, 1), "segment", "smb").n == 100
    assert _snapshot(Metric.ADOPTION, QUARTER, q1, "feature", "export").value == 50.0
    assert _snapshot(Metric.ADOPTION, QUARTER, q1, "feature", "search").value == 100.0
    assert _snapshot(Metric.ADOPTION, QUARTER, q1).value == 75.0
    assert not MetricSnapshot.objects.filter(
        metric=Metric.TASK_SUCCESS, segment_field="feature"
    ).exists()


@override_settings(TIME_ZONE="America/New_York")
def test_snapshots_count_answers_in_the_organisations_month():
    # 03:00 UTC on 1 March is 22:00 on 28 February in New York
    FeedbackFactory(received_at=dt.datetime(2026, 3, 1, 3, 0, tzinfo=dt.UTC), nps=10)

    metric_snapshots_compute(as_of=AS_OF, force=True)

    assert _snapshot(Metric.NPS, MONTH, dt.date(2026, 2, 1)).n == 1
    assert _snapshot(Metric.NPS, MONTH, dt.date(2026, 3, 1)).n == 0
    assert headline(Metric.NPS, MONTH, complete=True, today=dt.date(2026, 3, 2)).current.n == 1


def test_compute_is_idempotent():
    given_a_customer_base()

    def stored():
        return sorted(
            MetricSnapshot.objects.values_list(
                "metric",
                "period_kind",
                "period_start",
                "segment_field",
                "segment_value",
                "value",
                "n",
                "ci_low",
                "ci_high",
            )
        )

    metric_snapshots_compute(as_of=AS_OF, force=True)
    first = stored()
    metric_snapshots_compute(as_of=AS_OF, force=True)

    assert stored() == first
    assert ModelRun.objects.filter(kind=ModelRun.Kind.METRICS).count() == 2


def test_compute_replaces_a_group_that_no_longer_has_data():
    smb, _ = given_a_customer_base()
    metric_snapshots_compute(as_of=AS_OF, force=True)

    smb.segment = Segment.MID_MARKET
    smb.save()
    metric_snapshots_compute(as_of=AS_OF, force=True)

    march = dict(
        MetricSnapshot.objects.filter(
            metric=Metric.NPS, period_kind=MONTH, segment_field="segment"
        ).values_list("segment_value", "n")
    )
    assert march == {"mid_market": 10, "enterprise": 1}


def test_compute_leaves_history_outside_its_window_alone():
    old = MetricSnapshotFactory(metric=Metric.NPS, period_start=dt.date(2020, 1, 1))

    metric_snapshots_compute(as_of=AS_OF, force=True)

    assert MetricSnapshot.objects.filter(pk=old.pk).exists()


def _scoring_run(*, finished_at: dt.datetime, **scores) -> ModelRun:
    run = ModelRunFactory(
        kind=ModelRun.Kind.CHURN_SCORE, status=RunStatus.SUCCEEDED, finished_at=finished_at
    )
    for customer, probability in scores.values():
        ChurnScoreFactory(
            customer=customer, run=run, probability=probability, scored_at=finished_at
        )
    return run


def test_the_churn_forecast_of_each_period_is_that_of_the_latest_scoring_run_by_its_end():
    # Given two scoring runs: one in April, one in May (the as-of month)
    acme = CustomerFactory(arr=100_000, segment=Segment.ENTERPRISE)
    globex = CustomerFactory(arr=20_000, segment=Segment.SMB)
    _scoring_run(finished_at=dt.datetime(2026, 4, 10, tzinfo=dt.UTC), acme=(acme, 0.5))
    _scoring_run(finished_at=AS_OF - dt.timedelta(days=1), acme=(acme, 0.2), globex=(globex, 0.5))

    # When the snapshots are computed
    metric_snapshots_compute(as_of=AS_OF, force=True)

    # Then each month holds the forecast of the latest run by its end: Σ probability × ARR
    def month(start: dt.date, segment: tuple[str, str] = ("", "")):
        row = MetricSnapshot.objects.get(
            metric=Metric.CHURN_FORECAST,
            period_kind=MONTH,
            period_start=start,
            segment_field=segment[0],
            segment_value=segment[1],
        )
        return row.value, row.n

    current = AS_OF.date().replace(day=1)
    assert month(current) == (30_000.0, 2)
    assert month(dt.date(2026, 4, 1)) == (50_000.0, 1)
    assert month(dt.date(2026, 3, 1)) == (None, 0)
    # And per segment, from the same run
    assert month(current, ("segment", Segment.SMB)) == (10_000.0, 1)
    assert month(current, ("segment", Segment.ENTERPRISE)) == (20_000.0, 1)
    # And the executive report's headline reads it like any other metric
    assert headline(Metric.CHURN_FORECAST, MONTH, today=AS_OF.date()).current.value == 30_000.0


def test_a_new_scoring_run_makes_the_refresh_recompute():
    metric_snapshots_compute(force=True)
    assert metric_snapshots_compute() is None
    _scoring_run(finished_at=timezone.now())

    run = metric_snapshots_compute()

    assert run is not None
    assert run.parameters["reason"] == "churn scored"


def test_compute_runs_only_when_something_changed():
    customer = CustomerFactory()
    FeedbackFactory(nps=9, customer=customer, received_at=_at(dt.date(2026, 5, 2)))

    first = metric_snapshots_compute(as_of=AS_OF)
    unchanged = metric_snapshots_compute(as_of=AS_OF)
    FeedbackFactory(nps=0, customer=customer, received_at=_at(dt.date(2026, 5, 3)))
    after_feedback = metric_snapshots_compute(as_of=AS_OF)
    nothing_new = metric_snapshots_compute(as_of=AS_OF)
    ImportJobFactory(status=RunStatus.SUCCEEDED, finished_at=timezone.now())
    after_import = metric_snapshots_compute(as_of=AS_OF)
    UsageSnapshotFactory(customer=customer, period=dt.date(2026, 5, 1))
    after_usage = metric_snapshots_compute(as_of=AS_OF)
    next_day = metric_snapshots_compute(as_of=AS_OF + dt.timedelta(days=1))

    assert first.parameters["reason"] == "first"
    assert unchanged is None
    assert after_feedback.parameters["reason"] == "changed"
    assert _snapshot(Metric.NPS, MONTH, dt.date(2026, 5, 1)).n == 2
    assert nothing_new is None
    assert after_import.parameters["reason"] == "changed"
    assert after_usage.parameters["reason"] == "changed"
    assert next_day.parameters["reason"] == "stale"


def test_compute_skips_while_another_computation_runs():
    ModelRun.objects.create(
        kind=ModelRun.Kind.METRICS, status=RunStatus.RUNNING, started_at=timezone.now()
    )

    assert metric_snapshots_compute(as_of=AS_OF, force=True) is None


def test_a_failed_computation_is_recorded_and_releases_its_lock(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("usage table is on fire")

    monkeypatch.setattr(services, "usage_grouped", broken)
    with pytest.raises(RuntimeError, match="on fire"):
        metric_snapshots_compute(as_of=AS_OF, force=True)
    monkeypatch.undo()

    failed = ModelRun.objects.get(kind=ModelRun.Kind.METRICS)
    assert failed.status == RunStatus.FAILED
    assert "on fire" in failed.error
    assert not MetricSnapshot.objects.exists()
    assert metric_snapshots_compute(as_of=AS_OF, force=True).status == RunStatus.SUCCEEDED


def test_touchpoint_adherence_for_the_organisation_and_per_team():
    # Given an organisation goal of 4 touchpoints in 2026 and two engineers of one team,
    # one with two touchpoints in January, one with none
    team = TeamFactory(name="Payments")
    alice = user_with_role(Role.ENGINEER, username="alice")
    bob = user_with_role(Role.ENGINEER, username="bob")
    team.members.set([alice, bob])
    TouchpointGoalFactory(target_count=4, min_distinct_kinds=0)
    TouchpointFactory(engineers=[alice], logged_by=alice, occurred_on=dt.date(2026, 1, 10))
    TouchpointFactory(engineers=[alice], logged_by=alice, occurred_on=dt.date(2026, 1, 20))

    metric_snapshots_compute(as_of=AS_OF, force=True)

    # By 31 January nothing was expected yet (both on track); by 31 March one each (Bob behind)
    january = _snapshot(Metric.TOUCHPOINT_ADHERENCE, MONTH, dt.date(2026, 1, 1))
    assert (january.value, january.n) == (100.0, 2)
    assert _snapshot(Metric.TOUCHPOINT_ADHERENCE, QUARTER, dt.date(2026, 1, 1)).value == 50.0
    assert _snapshot(Metric.TOUCHPOINT_ADHERENCE, MONTH, dt.date(2026, 5, 1)).value == 50.0
    team_row = _snapshot(
        Metric.TOUCHPOINT_ADHERENCE, MONTH, dt.date(2026, 3, 1), "team", "Payments"
    )
    assert (team_row.value, team_row.n) == (50.0, 2)
    # No goal in 2025: no value
    assert _snapshot(Metric.TOUCHPOINT_ADHERENCE, YEAR, dt.date(2025, 1, 1)).value is None


# --- the read side -------------------------------------------------------------------------------


def test_series_lists_every_period_oldest_first_with_gaps():
    given_a_customer_base()
    metric_snapshots_compute(as_of=AS_OF, force=True)

    series = snapshot_series(Metric.NPS, MONTH, today=TODAY)
    quarters = snapshot_series(Metric.NPS, QUARTER, "segment", today=TODAY)

    assert series.has_snapshots
    assert len(series.period_starts) == 24
    assert series.period_starts[0] == dt.date(2024, 6, 1)
    assert series.period_starts[-1] == dt.date(2026, 5, 1)
    overall = series.line()
    assert overall.label == "All accounts"
    points = dict(zip(series.period_starts, overall.points, strict=True))
    assert points[dt.date(2026, 3, 1)].n == 11
    assert points[dt.date(2026, 3, 1)].partial is False
    assert points[dt.date(2026, 5, 1)].partial is True
    assert points[dt.date(2026, 2, 1)].value is None
    assert [line.label for line in quarters.lines] == ["Enterprise", "SMB"]
    assert len(quarters.period_starts) == 9


def test_series_without_snapshots_says_so():
    series = snapshot_series(Metric.CSAT, MONTH, today=TODAY)

    assert not series.has_snapshots
    assert series.line().points[0].computed_at is None
    assert all(point.value is None for point in series.line().points)


def test_headline_compares_with_the_period_before():
    # Given NPS −50 (n 4) in Q4 2025 and NPS 30 (n 10) in Q1 2026
    customer = CustomerFactory()
    for score in (10, 0, 0, 0):
        FeedbackFactory(nps=score, customer=customer, received_at=_at(dt.date(2025, 11, 5)))
    for score in (9, 10, 9, 10, 9, 7, 8, 7, 3, 6):
        FeedbackFactory(nps=score, customer=customer, received_at=_at(dt.date(2026, 2, 5)))
    metric_snapshots_compute(as_of=AS_OF, force=True)

    current = headline(Metric.NPS, QUARTER, today=TODAY)
    complete = headline(Metric.NPS, QUARTER, complete=True, today=TODAY)

    assert current.current.period_start == dt.date(2026, 4, 1)
    assert current.current.value is None
    assert current.change is None
    assert current.significant is False
    assert complete.current.period_start == dt.date(2026, 1, 1)
    assert complete.previous.value == pytest.approx(-50.0)
    assert complete.change == pytest.approx(80.0)
    # −50 lies outside Q1's interval (−18.4 … 78.4)
    assert complete.significant is True


def test_headline_is_not_significant_when_the_previous_value_is_inside_the_interval():
    customer = CustomerFactory()
    for day, scores in ((dt.date(2026, 3, 5), (10, 0, 9)), (dt.date(2026, 4, 5), (10, 0))):
        for score in scores:
            FeedbackFactory(nps=score, customer=customer, received_at=_at(day))
    metric_snapshots_compute(as_of=AS_OF, force=True)

    result = headline(Metric.NPS, MONTH, complete=True, today=TODAY)

    assert result.change == pytest.approx(0 - 100 / 3)
    assert result.significant is False


def test_breakdown_orders_groups_by_value():
    given_a_customer_base()
    metric_snapshots_compute(as_of=AS_OF, force=True)

    breakdown = snapshot_breakdown(
        Metric.NPS, "segment", dt.date(2026, 2, 14), period_kind=QUARTER, today=TODAY
    )
    features = snapshot_breakdown(Metric.ADOPTION, "feature", dt.date(2026, 1, 1), today=TODAY)

    assert breakdown.period_start == dt.date(2026, 1, 1)
    assert [(row.label, row.point.value) for row in breakdown.rows] == [
        ("SMB", 30.0),
        ("Enterprise", -100.0),
    ]
    assert breakdown.overall.n == 11
    assert [row.segment_value for row in features.rows] == ["search", "export"]


def test_selectors_refuse_unknown_names():
    with pytest.raises(ValueError, match="Unknown metric"):
        snapshot_series("arr", MONTH)
    with pytest.raises(ValueError, match="Unknown segment field"):
        headline(Metric.NPS, segment_field="colour")
    with pytest.raises(ValueError, match="needs a segment field"):
        snapshot_breakdown(Metric.NPS, "", dt.date(2026, 1, 1))


@pytest.mark.parametrize("answers", [5, 120])
def test_reads_cost_three_queries_cold_and_none_warm(answers, django_assert_num_queries):
    # Given snapshots computed over few or many answers
    customer = CustomerFactory(segment=Segment.SMB)
    contacts = [ContactFactory(customer=customer) for _ in range(3)]
    for index in range(answers):
        FeedbackFactory(
            nps=index % 11,
            csat=index % 5 + 1,
            customer=customer,
            contact=contacts[index % 3] if index % 2 else None,
            received_at=_at(dt.date(2026, 1 + index % 5, 1 + index % 28)),
        )
    metric_snapshots_compute(as_of=AS_OF, force=True)

    def read():
        headline(Metric.NPS, QUARTER, today=TODAY)
        snapshot_series(Metric.CSAT, MONTH, "segment", today=TODAY)
        snapshot_breakdown(Metric.NPS, "segment", dt.date(2026, 1, 1), today=TODAY)

    # When the cache is cold, then one query each
    with django_assert_num_queries(3):
        read()
    # and when it is warm, none
    with django_assert_num_queries(0):
        read()


def test_a_computation_makes_the_cached_figures_stale():
    customer = CustomerFactory()
    FeedbackFactory(nps=10, customer=customer, received_at=_at(dt.date(2026, 5, 2)))
    metric_snapshots_compute(as_of=AS_OF, force=True)
    before = headline(Metric.NPS, MONTH, today=TODAY)

    FeedbackFactory(nps=0, customer=customer, received_at=_at(dt.date(2026, 5, 3)))
    metric_snapshots_compute(as_of=AS_OF)
    after = headline(Metric.NPS, MONTH, today=TODAY)

    assert (before.current.value, before.current.n) == (100.0, 1)
    assert (after.current.value, after.current.n) == (0.0, 2)


# --- task, beat, page --------------------------------------------------------------------------


def test_tasks_call_the_service():
    first = metric_snapshots_refresh.delay().get()
    again = metric_snapshots_refresh.delay().get()
    nightly = metric_snapshots_nightly.delay().get()

    assert ModelRun.objects.get(pk=first).kind == ModelRun.Kind.METRICS
    assert again is None
    assert ModelRun.objects.get(pk=nightly).parameters["reason"] == "forced"


def test_beat_refreshes_every_five_minutes_and_nightly():
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert schedule["metric-snapshots-refresh"]["task"] == metric_snapshots_refresh.name
    assert schedule["metric-snapshots-refresh"]["schedule"] == dt.timedelta(minutes=5)
    assert schedule["metric-snapshots-nightly"]["task"] == metric_snapshots_nightly.name
    assert metric_snapshots_refresh.queue == "default"


def test_report_page_before_any_computation_asks_for_one(
    client, django_capture_on_commit_callbacks
):
    given_a_customer_base()
    client.force_login(user_with_role(Role.EXECUTIVE))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        waiting = client.get(reverse("metrics:report"))
    ready = client.get(reverse("metrics:report"))

    assert "Figures are being computed" in waiting.content.decode()
    assert "plotly" not in waiting.content.decode()
    assert callbacks
    assert ModelRun.objects.filter(kind=ModelRun.Kind.METRICS).count() == 1
    content = ready.content.decode()
    assert 'id="nps-chart-data" type="application/json"' in content
    assert "Figures computed" in content
    assert len(ready.context["periods"]) == 24


def test_report_page_reads_snapshots_not_feedback(client, django_assert_max_num_queries):
    given_a_customer_base()
    metric_snapshots_compute(force=True)
    client.force_login(user_with_role(Role.EXECUTIVE))

    # session, user, savepoints, permissions, navigation and three series; never feedback
    with django_assert_max_num_queries(10) as queries:
        response = client.get(reverse("metrics:report"))

    assert response.status_code == 200
    assert not any("insights_feedback" in query["sql"] for query in queries.captured_queries)
    recent = next(p for p in response.context["periods"] if p.nps.n == 11)
    assert recent.nps.value == pytest.approx(200 / 11)


def test_report_page_with_snapshots_but_no_answers_says_so(client):
    metric_snapshots_compute(force=True)
    client.force_login(user_with_role(Role.PRODUCT_MANAGER))

    content = client.get(reverse("metrics:report")).content.decode()

    assert "No survey answers in the last 24 months" in content
