"""Churn on the database: a run trains on the history and scores the active accounts, the runs
are started once and only when there is something new, the selectors read the latest scores,
the pain-point ranking takes them in, and on the seeded demo the accounts that fade before they
leave come out on top with the right reasons."""

import datetime as dt
import io
import json
import random
from decimal import Decimal
from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from insights.models import (
    ChurnScore,
    Customer,
    ModelRun,
    Plan,
    Region,
    RunStatus,
    Segment,
    Theme,
    UsageSnapshot,
)
from insights.selectors.churn import (
    FEATURE_LABELS,
    HIGH_RISK,
    ChurnFilters,
    churn_at_risk,
    churn_forecast,
    churn_forecast_by,
    churn_model_card,
    churn_probabilities_latest,
    churn_score_run_latest,
    customer_churn_history,
)
from insights.services.churn import (
    churn_refresh_if_changed,
    churn_run_now,
    churn_run_process,
    churn_run_request,
)
from insights.services.theme_ranking import themes_rank
from insights.tasks import churn_nightly, churn_refresh
from insights.tasks import churn_run_process as churn_task
from tests.insights.factories import (
    ChurnScoreFactory,
    CustomerFactory,
    FeedbackFactory,
    ImportJobFactory,
    ModelRunFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 3, 1)
# The usage figures of insights.ml.churn_features: levels and three-month trends.
USAGE_DRIVERS = {
    "active_users_latest",
    "active_users_change_3m",
    "seat_utilisation",
    "adoption_latest",
    "adoption_change_3m",
    "task_success_rate_3m",
    "task_success_change_3m",
}


def _month(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _history(*, accounts: int = 80, churners: int = 16, months: int = 20, seed: int = 3):
    """Accounts with monthly usage up to AS_OF. `churners` of them leave at dates spread over the
    history, fading over their last four months; two more are fading right now and have not left.
    Returns (the fading active accounts, a steady big one)."""
    rng = random.Random(seed)
    start = _month(AS_OF, -months)
    customers = [
        Customer(
            external_id=f"H-{i:03d}",
            name=f"Account {i:03d}",
            segment=rng.choice(Segment.values),
            plan=rng.choice(Plan.values),
            region=rng.choice(Region.values),
            arr=Decimal(rng.choice([12_000, 24_000, 60_000])),
            seats=50,
            customer_since=start - dt.timedelta(days=400),
        )
        for i in range(accounts)
    ]
    Customer.objects.bulk_create(customers)
    leaving = customers[:churners]
    for index, customer in enumerate(leaving):
        month = 6 + index * (months - 7) // max(1, churners - 1)
        customer.churned = True
        customer.churned_on = _month(start, month) + dt.timedelta(days=rng.randint(2, 25))
    Customer.objects.bulk_update(leaving, ["churned", "churned_on"])
    fading_now = customers[churners : churners + 2]
    steady = customers[-1]
    Customer.objects.filter(pk=steady.pk).update(arr=Decimal("900000"))
    snapshots = []
    for customer in customers:
        end = customer.churned_on or (
            AS_OF + dt.timedelta(days=60) if customer in fading_now else None
        )
        for m in range(months):
            period = _month(start, m)
            if customer.churned_on and period >= customer.churned_on:
                break
            health = 1.0
            if end is not None:
                months_left = (end.year - period.year) * 12 + end.month - period.month
                health = 1 - 0.55 * max(0.0, min(1.0, (4 - months_left) / 4))
            users = max(1, round(40 * health * rng.uniform(0.93, 1.07)))
            attempts = users * 20
            successes = round(
                attempts * min(0.99, (0.93 - 0.3 * (1 - health)) * rng.uniform(0.98, 1.02))
            )
            adoption = {
                "export": round(users * 0.4 * health),
                "search": round(users * 0.6 * health),
            }
            snapshots.append(
                UsageSnapshot(
                    customer=customer,
                    period=period,
                    active_users=users,
                    task_attempts=attempts,
                    task_successes=min(successes, attempts),
                    feature_adoption=adoption,
                )
            )
    UsageSnapshot.objects.bulk_create(snapshots)
    return fading_now, Customer.objects.get(pk=steady.pk)


def _scored_run(*, finished_at=None, **scores) -> ModelRun:
    """A succeeded scoring run with `customer=probability` scores."""
    finished_at = finished_at or timezone.now()
    run = ModelRunFactory(
        kind=ModelRun.Kind.CHURN_SCORE, status=RunStatus.SUCCEEDED, finished_at=finished_at
    )
    for customer, probability in scores.values():
        ChurnScoreFactory(
            customer=customer, run=run, probability=probability, scored_at=finished_at
        )
    return run


# --- the run ------------------------------------------------------------------------------------


def test_a_run_trains_on_the_history_then_scores_the_active_accounts():
    # Given two years of accounts, some of which faded and left, two fading now
    fading_now, steady = _history()

    # When the churn model is trained and applied as of AS_OF
    summary = churn_run_now(as_of=AS_OF, reason="test")

    # Then a training run and a scoring run succeeded, the second pointing at the first
    train = ModelRun.objects.get(pk=summary.train_run_id)
    score = ModelRun.objects.get(pk=summary.score_run_id)
    assert (train.kind, train.status) == (ModelRun.Kind.CHURN_TRAIN, RunStatus.SUCCEEDED)
    assert (score.kind, score.status) == (ModelRun.Kind.CHURN_SCORE, RunStatus.SUCCEEDED)
    assert score.parameters["train_run_id"] == train.pk
    assert score.parameters["as_of"] == AS_OF.isoformat()
    # And the training run keeps its model card: data size, time-split validation, importance
    assert train.data_size == summary.snapshots > 500
    validation = train.metrics["validation"]
    assert validation["auc"] > 0.8
    assert 0 <= validation["brier"] < 0.1
    assert validation["cutoff"] > validation["trained_until"]
    assert sum(item["count"] for item in validation["calibration"]) == validation["rows"]
    assert train.metrics["importance"][0][0] in USAGE_DRIVERS
    assert set(train.timings) == {"load", "snapshots", "validate", "fit", "card"}
    # And only the accounts still active were scored, each once, with drivers in words
    active = Customer.objects.filter(churned=False)
    assert summary.accounts_scored == active.count() == score.data_size
    assert set(ChurnScore.objects.values_list("customer_id", flat=True)) == set(
        active.values_list("pk", flat=True)
    )
    # And the accounts fading now are the riskiest, for the usage decline
    ranked = list(ChurnScore.objects.order_by("-probability").select_related("customer"))
    assert {s.customer_id for s in ranked[:2]} == {c.pk for c in fading_now}
    for top in ranked[:2]:
        assert top.drivers[0]["feature"] in USAGE_DRIVERS
        assert top.drivers[0]["effect"] > 0
        assert "raises risk" in top.drivers[0]["text"]
    assert next(s for s in ranked if s.customer_id == steady.pk).probability < 0.1
    # And the forecast adds up the scores
    forecast = churn_forecast()
    expected = sum(s.probability * float(s.customer.arr) for s in ranked)
    assert float(forecast.expected_arr) == pytest.approx(expected, abs=0.01)
    assert forecast.run_id == score.pk


def test_a_history_without_churn_fails_the_run_with_the_reason():
    # Given accounts that never churned
    _history(churners=0)

    # When the model is trained
    summary = churn_run_now(as_of=AS_OF)

    # Then the training run failed and says why, nothing was scored, nothing was raised
    train = ModelRun.objects.get(pk=summary.train_run_id)
    assert train.status == RunStatus.FAILED
    assert "Not enough history" in train.error
    assert summary.score_run_id is None
    assert not ChurnScore.objects.exists()


def test_an_empty_organisation_fails_the_run_with_the_reason():
    summary = churn_run_now(as_of=AS_OF)

    assert summary.status == RunStatus.FAILED
    assert "Not enough history" in summary.error


def test_a_run_is_claimed_once():
    # Given a requested run that already ran
    run = ModelRunFactory(kind=ModelRun.Kind.CHURN_TRAIN, status=RunStatus.SUCCEEDED)

    # When its task is delivered again, then nothing happens
    assert churn_run_process(run_id=run.pk) is None
    assert not ModelRun.objects.filter(kind=ModelRun.Kind.CHURN_SCORE).exists()


def test_a_request_queues_one_run_on_the_ml_queue(django_capture_on_commit_callbacks):
    # Given the task's delay watched
    # When a run is requested twice
    with (
        mock.patch("insights.tasks.churn_run_process.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = churn_run_request(reason="button")
        second = churn_run_request(reason="button again")

    # Then the second request got the first run, and one task was queued for it
    assert first.pk == second.pk
    assert first.status == RunStatus.PENDING
    delay.assert_called_once_with(run_id=first.pk)
    assert churn_task.queue == "ml"
    assert churn_nightly.queue == "ml"


def test_refresh_requests_a_run_only_when_something_arrived(django_capture_on_commit_callbacks):
    # Given no accounts: nothing to do
    assert churn_refresh_if_changed() is None
    # Given an account and no run yet: a first run
    customer = CustomerFactory()
    with django_capture_on_commit_callbacks(execute=False):
        first = churn_refresh_if_changed()
    assert first is not None
    ModelRun.objects.filter(pk=first.pk).update(
        status=RunStatus.SUCCEEDED, finished_at=timezone.now()
    )
    # When nothing arrived since, then no run
    assert churn_refresh_if_changed() is None
    # When feedback arrives, then a run
    FeedbackFactory(customer=customer)
    with django_capture_on_commit_callbacks(execute=False):
        again = churn_refresh_if_changed()
    assert again is not None
    assert again.pk != first.pk
    assert again.parameters["reason"] == "new data"
    # When an import finishes after a run, then a run (usage imports bring no feedback)
    ModelRun.objects.filter(pk=again.pk).update(status=RunStatus.SUCCEEDED)
    assert churn_refresh_if_changed() is None
    ImportJobFactory(status=RunStatus.SUCCEEDED, finished_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=False):
        assert churn_refresh_if_changed() is not None


def test_the_beat_tasks_are_scheduled(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"insights.tasks.churn_nightly", "insights.tasks.churn_refresh"} <= tasks
    assert churn_refresh.name == "insights.tasks.churn_refresh"


# --- the selectors ------------------------------------------------------------------------------


def test_churn_forecast_is_risk_times_arr_of_the_latest_run(django_assert_num_queries):
    # Given an older run, and a newer one in which a churned account was also scored
    a = CustomerFactory(arr=Decimal("100000"))
    b = CustomerFactory(arr=Decimal("20000"))
    gone = CustomerFactory(arr=Decimal("50000"), churned=True, churned_on=dt.date(2026, 1, 1))
    now = timezone.now()
    _scored_run(finished_at=now - dt.timedelta(days=1), a=(a, 0.9))
    latest = _scored_run(finished_at=now, a=(a, 0.6), b=(b, 0.1), gone=(gone, 0.9))

    # When the forecast is read
    with django_assert_num_queries(2):
        forecast = churn_forecast()

    # Then it is Σ probability × ARR of the latest run's accounts that have not churned
    assert forecast.expected_arr == Decimal("62000.00")
    assert forecast.accounts_scored == 2
    assert forecast.high_risk_accounts == 1  # 0.6 ≥ HIGH_RISK
    assert (forecast.run_id, forecast.scored_at) == (latest.pk, latest.finished_at)
    # And as of a day before the latest run, the run before counts
    assert churn_forecast(as_of=now - dt.timedelta(hours=1)).expected_arr == Decimal("90000.00")
    # And before any run there is nothing
    assert churn_forecast(as_of=dt.date(2020, 1, 1)).run_id is None
    assert HIGH_RISK == 0.5


def test_churn_forecast_by_segment_splits_the_same_run(django_assert_num_queries):
    smb = CustomerFactory(arr=Decimal("10000"), segment=Segment.SMB)
    smb_too = CustomerFactory(arr=Decimal("30000"), segment=Segment.SMB)
    big = CustomerFactory(arr=Decimal("200000"), segment=Segment.ENTERPRISE)
    run = _scored_run(a=(smb, 0.5), b=(smb_too, 0.1), c=(big, 0.05))

    with django_assert_num_queries(2):
        by_segment = churn_forecast_by(dimension="segment")

    assert set(by_segment) == {Segment.SMB, Segment.ENTERPRISE}
    assert by_segment[Segment.SMB].expected_arr == Decimal("8000.00")
    assert by_segment[Segment.SMB].accounts_scored == 2
    assert by_segment[Segment.SMB].high_risk_accounts == 1
    assert by_segment[Segment.ENTERPRISE].expected_arr == Decimal("10000.00")
    assert by_segment[Segment.ENTERPRISE].run_id == run.pk
    with pytest.raises(ValueError, match="dimension"):
        churn_forecast_by(dimension="name")


def test_a_failed_run_is_never_the_latest():
    customer = CustomerFactory()
    good = _scored_run(c=(customer, 0.3))
    ModelRunFactory(
        kind=ModelRun.Kind.CHURN_SCORE, status=RunStatus.FAILED, finished_at=timezone.now()
    )

    assert churn_score_run_latest() == good
    assert churn_probabilities_latest() == {customer.pk: 0.3}


def test_the_at_risk_list_sorts_filters_and_shows_the_change(django_assert_num_queries):
    # Given three accounts scored twice
    small = CustomerFactory(name="Small", arr=Decimal("10000"), segment=Segment.SMB)
    big = CustomerFactory(name="Big", arr=Decimal("500000"), segment=Segment.ENTERPRISE)
    mid = CustomerFactory(name="Mid", arr=Decimal("60000"), segment=Segment.MID_MARKET)
    now = timezone.now()
    _scored_run(finished_at=now - dt.timedelta(days=1), s=(small, 0.5))
    run = _scored_run(finished_at=now, s=(small, 0.9), b=(big, 0.05), m=(mid, 0.4))

    def names(**kwargs):
        with django_assert_num_queries(1):
            return [score.customer.name for score in churn_at_risk(run=run, **kwargs)]

    # Then risk × ARR puts Big (25,000) before Mid (24,000) before Small (9,000)
    assert names() == ["Big", "Mid", "Small"]
    assert names(order="risk") == ["Small", "Mid", "Big"]
    assert names(order="arr") == ["Big", "Mid", "Small"]
    assert names(filters=ChurnFilters(segment=Segment.SMB)) == ["Small"]
    # And each row carries its ARR at risk and its score in the run before
    rows = {s.customer.name: s for s in churn_at_risk(run=run)}
    assert rows["Small"].arr_at_risk == pytest.approx(9000)
    assert rows["Small"].previous_probability == pytest.approx(0.5)
    assert rows["Big"].previous_probability is None
    assert list(churn_at_risk(run=None)) == []


def test_an_accounts_history_is_its_scores_oldest_first():
    customer = CustomerFactory()
    now = timezone.now()
    for days, probability in ((3, 0.1), (2, 0.2), (1, 0.4)):
        _scored_run(finished_at=now - dt.timedelta(days=days), c=(customer, probability))

    history = customer_churn_history(customer=customer, limit=2)

    assert [s.probability for s in history] == [0.2, 0.4]


def test_the_model_card_reads_the_last_training_run():
    assert churn_model_card() is None
    _history()
    summary = churn_run_now(as_of=AS_OF)

    card = churn_model_card()

    assert card.run.pk == summary.train_run_id
    assert card.score_run.pk == summary.score_run_id
    assert card.data_size == summary.snapshots
    assert card.validation_auc == summary.validation_auc
    assert card.calibration
    assert card.importance
    assert card.importance[0][0] in FEATURE_LABELS.values()  # for people, not a column name
    assert "month starts" in card.snapshot_dates


# --- the pain-point ranking ---------------------------------------------------------------------


def test_themes_raised_by_risky_accounts_rank_with_their_churn_risk():
    # Given two themes with the same feedback, one raised by an account at high risk
    risky, safe = CustomerFactory(arr=Decimal("50000")), CustomerFactory(arr=Decimal("50000"))
    hot, calm = ThemeFactory(label="hot"), ThemeFactory(label="calm")
    for theme, customer in ((hot, risky), (calm, safe)):
        FeedbackFactory.create_batch(3, theme=theme, customer=customer, sentiment_label="negative")
    _scored_run(r=(risky, 0.8), s=(safe, 0.05))

    # When the themes are ranked
    themes_rank()

    # Then the churn part counts, ARR-weighted, and puts the risky account's theme first
    hot.refresh_from_db()
    calm.refresh_from_db()
    assert hot.statistics["churn_risk"] == pytest.approx(0.8)
    assert hot.statistics["parts"]["churn_risk"] > calm.statistics["parts"]["churn_risk"] > 0
    assert hot.impact > calm.impact


# --- the command --------------------------------------------------------------------------------


def test_train_churn_prints_the_model_card_figures():
    _history()
    out = io.StringIO()

    call_command("train_churn", "--json", "--as-of", AS_OF.isoformat(), stdout=out)

    result = json.loads(out.getvalue())
    assert result["validation_auc"] > 0.8
    assert result["snapshots"] == ModelRun.objects.get(pk=result["train_run"]).data_size
    assert result["accounts_scored"] == Customer.objects.filter(churned=False).count()
    assert result["expected_churned_arr"] > 0
    assert Theme.objects.count() == 0  # nothing to re-rank, and nothing broke


# --- the demo -----------------------------------------------------------------------------------

DEMO_TODAY = dt.date(2026, 3, 15)


@pytest.mark.slow
def test_on_the_demo_the_accounts_fading_before_they_leave_top_the_at_risk_list():
    """The seeded demo as it stood on an earlier day: accounts that churned after it are turned
    back into customers (their later rows stay, dated after the day, so the model never reads
    them). Scored as of that day, the accounts that then left within 90 days — the demo's
    accounts fade for three to six months before they leave — lead the at-risk list, each for
    its fading usage."""
    from roadmap.demo import demo_organisation_seed

    # Given the demo organisation (200 accounts), looked at as of 1 October 2025
    demo_organisation_seed(seed=7, today=DEMO_TODAY, scale=0.5)
    day = dt.date(2025, 10, 1)
    later = dict(Customer.objects.filter(churned_on__gte=day).values_list("pk", "churned_on"))
    Customer.objects.filter(pk__in=later).update(churned=False, churned_on=None)

    # When the churn model is trained and applied on that day
    summary = churn_run_now(as_of=day)

    # Then the model validated well on the months before
    assert summary.status == RunStatus.SUCCEEDED
    assert summary.validation_auc > 0.85
    # And the top of the at-risk list are accounts that left within 90 days
    leaving = {pk for pk, churned_on in later.items() if churned_on < day + dt.timedelta(days=90)}
    assert len(leaving) >= 5
    ranked = list(churn_at_risk(run=churn_score_run_latest(), order="risk"))
    top = ranked[:5]
    assert {score.customer_id for score in top} <= leaving
    # And they are there for their fading usage: it is the first reason of each
    for score in top:
        assert score.probability >= HIGH_RISK
        assert score.drivers[0]["feature"] in USAGE_DRIVERS
        assert score.drivers[0]["effect"] > 0
        assert "raises risk" in score.drivers[0]["text"]
    # And most of the accounts that left are in the riskiest tenth
    tenth = {score.customer_id for score in ranked[: len(ranked) // 10]}
    assert len(leaving & tenth) >= 0.8 * len(leaving)


@pytest.mark.slow
def test_on_the_demo_today_the_accounts_on_their_way_out_top_the_at_risk_list():
    """The demo as `make demo` shows it: a few accounts have not left yet but fade now and will
    leave within three months. Trained on the organisation's history and scored today, they lead
    the at-risk list, each for its fading usage."""
    from roadmap.demo import demo_organisation_seed

    # Given the demo organisation (200 accounts) today
    summary = demo_organisation_seed(seed=7, today=DEMO_TODAY, scale=0.5)
    leaving = set(summary.leaving_ids)
    assert len(leaving) >= 3
    # When the churn model is trained and applied today
    assert churn_run_now(as_of=DEMO_TODAY).status == RunStatus.SUCCEEDED
    # Then the accounts on their way out are the riskiest, each for its fading usage
    ranked = list(churn_at_risk(run=churn_score_run_latest(), order="risk"))
    top = ranked[: len(leaving)]
    assert {score.customer_id for score in top} == leaving
    for score in top:
        assert score.drivers[0]["feature"] in USAGE_DRIVERS
        assert "raises risk" in score.drivers[0]["text"]
