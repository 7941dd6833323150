"""Churn on the database: learn from the organisation's own history, then score today's accounts.

One request makes two `ModelRun`s, worked by one task on the `ml` queue:

1. CHURN_TRAIN — read accounts, usage, feedback and touchpoints into frames (the only ORM part);
   build account snapshots as of month starts whose 90-day outcome is known by `as_of`
   (`insights.ml.churn_features.training_snapshots`); validate in time — train on the earlier
   snapshots, test on the later outcomes (`insights.ml.churn.time_split_validate`); fit on all of
   them; keep the model card (data size, AUC, Brier score, calibration, feature importance) in
   the run's metrics.
2. CHURN_SCORE — the accounts active on `as_of`, scored by that model with their drivers in words,
   written as `ChurnScore`s in one short transaction; then the pain points are re-ranked, so the
   churn-risk part of their impact is current.

The fitted model is not stored (see `insights.ml.churn`: a refit takes seconds, and a pickle is
tied to one scikit-learn release), which is why scoring follows training in the same task.

Runs start from `churn_run_request` (the at-risk page's button, beat every night, and beat when
new feedback, usage, accounts or imports arrived since the last run) or `churn_run_now`
(`manage.py train_churn`). Heavy work happens outside transactions; a run claims itself with a
conditional PENDING → RUNNING update, so a task delivered twice trains once.
"""

import datetime as dt
import logging
import time
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from insights.models import (
    ChurnScore,
    Customer,
    Feedback,
    ModelRun,
    RunStatus,
    Theme,
    UsageSnapshot,
)
from insights.selectors.churn import HIGH_RISK, HORIZON_DAYS, churn_inputs_changed_since
from insights.services.runs import run_claim

logger = logging.getLogger(__name__)

SEED = 0
# Snapshots start this many months after the first data, so their usage trends have history.
WARMUP_MONTHS = 4
# At most this many monthly snapshot dates (the latest ones): older outcomes teach little about
# today's accounts, and each date costs a feature pass.
MAX_SNAPSHOT_DATES = 36
# The time-split validation tests on about this share of the snapshot dates (the latest).
VALIDATION_SHARE = 0.3
# The themes whose feedback counts as pain-point exposure: the top of the ranking.
PAIN_THEMES = 10
DRIVERS_KEPT = 4
CHURN_KINDS = (ModelRun.Kind.CHURN_TRAIN, ModelRun.Kind.CHURN_SCORE)


class ChurnHistoryError(ValueError):
    """The organisation's history cannot teach churn yet; the message says why, for people."""


@dataclass(frozen=True)
class ChurnRunSummary:
    train_run_id: int
    score_run_id: int | None
    status: str
    error: str
    snapshots: int
    accounts: int
    positives: int
    validation_auc: float | None
    validation_brier: float | None
    accounts_scored: int
    expected_arr: Decimal
    high_risk_accounts: int
    importance: list
    seconds: float


@dataclass(frozen=True)
class _Frames:
    customers: object
    usage: object
    feedback: object
    touchpoints: object
    pain_theme_ids: list[int]


# --- starting runs ------------------------------------------------------------------------------


@transaction.atomic
def churn_run_request(
    *, user=None, reason: str = "manual", as_of: dt.date | None = None
) -> ModelRun:
    """Queue training and scoring on the `ml` queue, unless a churn run is waiting or running
    (that one is returned: a second would redo its work)."""
    active = (
        ModelRun.objects.select_for_update()
        .filter(kind__in=CHURN_KINDS, status__in=[RunStatus.PENDING, RunStatus.RUNNING])
        .order_by("created_at")
        .first()
    )
    if active is not None:
        return active
    run = _train_run_create(user=user, reason=reason, as_of=as_of)

    from insights.tasks import churn_run_process as task

    transaction.on_commit(lambda: task.delay(run_id=run.pk))
    return run


def churn_refresh_if_changed() -> ModelRun | None:
    """Request a run when feedback, usage, accounts or a finished import arrived since the last
    churn run started (whatever became of it) — or when there never was one and there are
    accounts. None when there is nothing new."""
    last = (
        ModelRun.objects.filter(kind=ModelRun.Kind.CHURN_TRAIN)
        .order_by("-created_at")
        .values_list("created_at", "parameters")
        .first()
    )
    if last is None:
        if not Customer.objects.exists():
            return None
    else:
        created_at, parameters = last
        if not churn_inputs_changed_since(
            since=created_at, feedback_after_id=parameters.get("feedback_max_id")
        ):
            return None
    return churn_run_request(reason="new data")


def churn_run_now(
    *, user=None, reason: str = "command line", as_of: dt.date | None = None
) -> ChurnRunSummary:
    """Train and score synchronously, in this process (`manage.py train_churn`)."""
    started = time.perf_counter()
    run = _train_run_create(user=user, reason=reason, as_of=as_of)
    churn_run_process(run_id=run.pk)
    return _summary(ModelRun.objects.get(pk=run.pk), seconds=time.perf_counter() - started)


def _train_run_create(*, user, reason: str, as_of: dt.date | None) -> ModelRun:
    parameters = {
        "reason": reason,
        "horizon_days": HORIZON_DAYS,
        "seed": SEED,
        # What the run can know of: feedback above this id arrived after it.
        "feedback_max_id": Feedback.objects.aggregate(top=Max("id"))["top"] or 0,
    }
    if as_of is not None:
        parameters["as_of"] = as_of.isoformat()
    return ModelRun.objects.create(
        kind=ModelRun.Kind.CHURN_TRAIN, parameters=parameters, triggered_by=user
    )


# --- the run ------------------------------------------------------------------------------------


def churn_run_process(*, run_id: int) -> ModelRun | None:
    """Train (the CHURN_TRAIN run `run_id`), then score with what it learnt (a CHURN_SCORE run it
    creates). Returns the training run; None when it was not ours to run. A history that cannot
    teach churn yet fails the run with the reason and raises nothing; any other error fails the
    run it happened in and is raised."""
    if not run_claim(model=ModelRun, run_id=run_id):
        return None
    run = ModelRun.objects.get(pk=run_id)
    as_of = dt.date.fromisoformat(run.parameters["as_of"]) if "as_of" in run.parameters else None
    as_of = as_of or timezone.localdate()
    try:
        model, frames = _train(run, as_of=as_of)
    except ChurnHistoryError as error:
        _fail(run.pk, str(error))
        return ModelRun.objects.get(pk=run_id)
    except Exception as error:
        logger.exception("Churn training run %s failed", run_id)
        _fail(run.pk, f"Training stopped on an unexpected error ({error.__class__.__name__}).")
        raise
    score_run = ModelRun.objects.create(
        kind=ModelRun.Kind.CHURN_SCORE,
        status=RunStatus.RUNNING,
        started_at=timezone.now(),
        triggered_by=run.triggered_by,
        parameters={
            "reason": run.parameters.get("reason", ""),
            "train_run_id": run.pk,
            "as_of": as_of.isoformat(),
            "horizon_days": HORIZON_DAYS,
        },
    )
    try:
        _score(score_run, model=model, frames=frames, as_of=as_of)
    except Exception as error:
        logger.exception("Churn scoring run %s failed", score_run.pk)
        _fail(score_run.pk, f"Scoring stopped on an unexpected error ({error.__class__.__name__}).")
        raise
    return ModelRun.objects.get(pk=run_id)


def _fail(run_id: int, message: str) -> None:
    ModelRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED, error=message, finished_at=timezone.now()
    )


class _Timer:
    def __init__(self, run_id: int, steps: tuple[str, ...]) -> None:
        self.run_id = run_id
        self.steps = steps
        self.timings: dict[str, float] = {}

    def step(self, name: str, work):
        started = time.perf_counter()
        result = work()
        self.timings[name] = round(time.perf_counter() - started, 2)
        done = self.steps.index(name) + 1
        ModelRun.objects.filter(pk=self.run_id).update(
            progress=round(done / len(self.steps), 3), timings=self.timings
        )
        return result


def _train(run: ModelRun, *, as_of: dt.date):
    from insights.ml.churn import churn_model_fit, model_card
    from insights.ml.churn_features import training_snapshots

    timer = _Timer(run.pk, ("load", "snapshots", "validate", "fit", "card"))
    dates = _snapshot_dates(as_of=as_of)
    frames = timer.step("load", lambda: _frames(start=dates[0] if dates else as_of))
    snapshots = timer.step(
        "snapshots",
        lambda: (
            training_snapshots(
                as_of_dates=dates,
                customers=frames.customers,
                usage=frames.usage,
                feedback=frames.feedback,
                touchpoints=frames.touchpoints,
                pain_theme_ids=frames.pain_theme_ids,
                horizon_days=HORIZON_DAYS,
            )
            if dates
            else None
        ),
    )
    if snapshots is None or snapshots.empty:
        raise ChurnHistoryError(
            "Not enough history to learn churn from: it needs accounts with at least "
            f"{WARMUP_MONTHS} months of usage or feedback before {_month(as_of, -3):%B %Y}."
        )
    y = snapshots.pop("churned").to_numpy()
    if y.min() == y.max():
        raise ChurnHistoryError(
            "Not enough history to learn churn from: no account churned in the "
            f"{HORIZON_DAYS} days after any snapshot up to {as_of:%d %B %Y}, or none stayed."
            if y.max() == 0
            else "Every account snapshot churned: there is nothing to compare them with."
        )
    row_dates = snapshots.index.get_level_values("as_of")
    validation = timer.step("validate", lambda: _validate(snapshots, y, row_dates))
    model = timer.step("fit", lambda: churn_model_fit(snapshots, y, seed=SEED))
    card = timer.step("card", lambda: model_card(model, validation[0]) if validation[0] else None)
    importance = (
        [list(item) for item in card.importance]
        if card is not None
        else [[name, value] for name, value in _importance(model)]
    )
    accounts = snapshots.index.get_level_values("customer_id").nunique()
    ModelRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
        status=RunStatus.SUCCEEDED,
        finished_at=timezone.now(),
        progress=1.0,
        data_size=len(snapshots),
        parameters={
            **run.parameters,
            "as_of": as_of.isoformat(),
            "snapshot_dates": [dates[0].isoformat(), dates[-1].isoformat(), len(dates)],
            "pain_theme_ids": frames.pain_theme_ids,
            "method": _method(),
        },
        metrics={
            "accounts": int(accounts),
            "snapshots": len(snapshots),
            "positives": int(y.sum()),
            "churn_rate": round(float(y.mean()), 4),
            "validation": validation[1],
            "importance": importance,
        },
    )
    return model, frames


def _method() -> str:
    from insights.ml.churn import METHOD

    return METHOD


def _importance(model) -> list[tuple[str, float]]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        return model.feature_importance()


def _validate(snapshots, y, row_dates) -> tuple[object | None, dict]:
    """Time-split validation: the latest ~30 % of snapshot dates are the test, the model learns
    from the snapshots whose outcome was known by the first of them. When those months hold no
    churn (or nothing else) the test window widens; the card says when it could not be done."""
    import numpy as np
    import pandas as pd

    from insights.ml.churn import time_split_validate

    unique = sorted(set(row_dates))
    first_k = max(1, round(len(unique) * VALIDATION_SHARE))
    for k in range(first_k, len(unique)):
        cutoff = unique[-k]
        train = row_dates <= cutoff - pd.Timedelta(days=HORIZON_DAYS)
        test = row_dates >= cutoff
        if len(np.unique(y[train])) < 2 or len(np.unique(y[test])) < 2:
            continue
        validation = time_split_validate(
            snapshots, y, row_dates, horizon_days=HORIZON_DAYS, cutoff=cutoff, seed=SEED
        )
        trained_until = cutoff - dt.timedelta(days=HORIZON_DAYS)
        return validation, {
            "auc": validation.roc_auc,
            "brier": validation.brier,
            "rows": validation.rows,
            "positives": validation.positives,
            "cutoff": cutoff.date().isoformat(),
            "trained_until": trained_until.date().isoformat(),
            "tested_on": f"{cutoff:%b %Y} – {unique[-1]:%b %Y}",
            "calibration": [
                {
                    "predicted": item.predicted,
                    "observed": item.observed,
                    "count": item.rows,
                    "lower": item.lower,
                    "upper": item.upper,
                }
                for item in validation.calibration
            ],
            "seconds": validation.seconds,
        }
    return None, {
        "error": "Too few churned accounts in the later months to test the model on them."
    }


def _score(run: ModelRun, *, model, frames: _Frames, as_of: dt.date) -> None:
    from insights.ml.churn_features import PHRASES, account_features

    timer = _Timer(run.pk, ("features", "predict", "drivers", "write", "ranking"))
    features = timer.step(
        "features",
        lambda: account_features(
            as_of=as_of,
            customers=frames.customers,
            usage=frames.usage,
            feedback=frames.feedback,
            touchpoints=frames.touchpoints,
            pain_theme_ids=frames.pain_theme_ids,
        ),
    )
    probabilities = timer.step("predict", lambda: model.predict_proba(features))
    drivers = timer.step(
        "drivers", lambda: model.drivers(features, top=DRIVERS_KEPT, phrases=PHRASES)
    )
    arr = frames.customers.set_index("id")["arr"]
    scored_at = timezone.now()
    rows = [
        ChurnScore(
            customer_id=int(customer_id),
            run=run,
            probability=min(1.0, max(0.0, float(probability))),
            drivers=[_driver_json(driver) for driver in account_drivers],
            scored_at=scored_at,
        )
        for customer_id, probability, account_drivers in zip(
            features.index, probabilities, drivers or [[]] * len(features), strict=True
        )
    ]
    expected = sum(row.probability * float(arr.get(row.customer_id, 0.0)) for row in rows)

    def write() -> None:
        with transaction.atomic():
            ChurnScore.objects.bulk_create(rows, batch_size=2_000)
            ModelRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
                status=RunStatus.SUCCEEDED,
                finished_at=timezone.now(),
                data_size=len(rows),
                metrics={
                    "accounts_scored": len(rows),
                    "expected_arr": round(expected, 2),
                    "high_risk_accounts": sum(row.probability >= HIGH_RISK for row in rows),
                    "mean_probability": round(sum(row.probability for row in rows) / len(rows), 4)
                    if rows
                    else 0.0,
                },
            )

    timer.step("write", write)

    from insights.services.theme_ranking import themes_rank

    timer.step("ranking", themes_rank)


def _driver_json(driver) -> dict:
    def plain(value):
        if value is None or isinstance(value, str):
            return value
        return round(float(value), 4)

    return {
        "feature": driver.feature,
        "value": plain(driver.value),
        "reference": plain(driver.reference),
        "effect": round(float(driver.effect), 4),
        "text": driver.text,
    }


# --- reading the history into frames ------------------------------------------------------------


def _month(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _snapshot_dates(*, as_of: dt.date) -> list[dt.date]:
    """Month starts from WARMUP_MONTHS after the first usage or feedback up to the last one whose
    HORIZON_DAYS outcome is known on `as_of`; at most the latest MAX_SNAPSHOT_DATES."""
    firsts = [
        UsageSnapshot.objects.aggregate(first=Min("period"))["first"],
        Feedback.objects.filter(customer__isnull=False).aggregate(first=Min("received_at"))[
            "first"
        ],
    ]
    firsts = [
        timezone.localtime(value).date() if isinstance(value, dt.datetime) else value
        for value in firsts
        if value is not None
    ]
    if not firsts:
        return []
    start = _month(min(firsts), WARMUP_MONTHS)
    last = as_of - dt.timedelta(days=HORIZON_DAYS)
    dates = []
    day = start
    while day <= last:
        dates.append(day)
        day = _month(day, 1)
    return dates[-MAX_SNAPSHOT_DATES:]


def _frames(*, start: dt.date) -> _Frames:
    """The columns `insights.ml.churn_features.account_features` reads, from `start` back as far
    as its features look (a year of feedback, a year of usage)."""
    import pandas as pd

    from insights.ml.churn_features import (
        CUSTOMER_COLUMNS,
        FEEDBACK_COLUMNS,
        HISTORY_DAYS,
        TOUCHPOINT_COLUMNS,
        USAGE_MONTHS,
    )

    customers = pd.DataFrame.from_records(
        list(Customer.objects.values_list(*CUSTOMER_COLUMNS, "churned")),
        columns=[*CUSTOMER_COLUMNS, "churned"],
    )
    customers["arr"] = customers["arr"].map(float) if len(customers) else customers["arr"]
    usage_from = _month(start, -(USAGE_MONTHS + 1))
    usage = pd.DataFrame.from_records(
        list(
            UsageSnapshot.objects.filter(period__gte=usage_from).values_list(
                "customer_id",
                "period",
                "active_users",
                "task_attempts",
                "task_successes",
                "feature_adoption",
            )
        ),
        columns=[
            "customer_id",
            "period",
            "active_users",
            "task_attempts",
            "task_successes",
            "feature_adoption",
        ],
    )
    since = dt.datetime.combine(
        start - dt.timedelta(days=HISTORY_DAYS + 1), dt.time.min, tzinfo=dt.UTC
    )
    feedback_columns = list(FEEDBACK_COLUMNS)
    feedback = pd.DataFrame.from_records(
        list(
            Feedback.objects.filter(customer__isnull=False, received_at__gte=since).values_list(
                *feedback_columns
            )
        ),
        columns=feedback_columns,
    )
    # Touchpoints through the reverse relation the touchpoints app declares on Customer: insights
    # does not import the app above it.
    touchpoints = pd.DataFrame.from_records(
        list(
            Customer.objects.filter(touchpoints__isnull=False).values_list(
                "pk", "touchpoints__occurred_on"
            )
        ),
        columns=list(TOUCHPOINT_COLUMNS),
    )
    pain = list(
        Theme.objects.filter(status=Theme.Status.ACTIVE, impact__gt=0)
        .order_by("-impact", "pk")
        .values_list("pk", flat=True)[:PAIN_THEMES]
    )
    return _Frames(customers, usage, feedback, touchpoints, pain)


def _summary(run: ModelRun, *, seconds: float) -> ChurnRunSummary:
    score = (
        ModelRun.objects.filter(kind=ModelRun.Kind.CHURN_SCORE, parameters__train_run_id=run.pk)
        .order_by("-pk")
        .first()
    )
    metrics = run.metrics or {}
    validation = metrics.get("validation") or {}
    scored = (score.metrics or {}) if score else {}
    failed = score if score is not None and score.status == RunStatus.FAILED else run
    return ChurnRunSummary(
        train_run_id=run.pk,
        score_run_id=score.pk if score else None,
        status=score.status if score is not None else run.status,
        error=failed.error,
        snapshots=run.data_size,
        accounts=int(metrics.get("accounts") or 0),
        positives=int(metrics.get("positives") or 0),
        validation_auc=validation.get("auc"),
        validation_brier=validation.get("brier"),
        accounts_scored=int(scored.get("accounts_scored") or 0),
        expected_arr=Decimal(str(scored.get("expected_arr") or 0)),
        high_risk_accounts=int(scored.get("high_risk_accounts") or 0),
        importance=list(metrics.get("importance") or []),
        seconds=round(seconds, 2),
    )
