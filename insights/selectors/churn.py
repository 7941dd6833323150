"""Reading churn: the latest scores and what they add up to, an account's risk over the runs, the
at-risk list, the model card of the last training run, and whether there is anything new to learn
from since the last one.

Only runs that finished count: a scoring run that failed half-way never shows. "Latest" is the
last successful CHURN_SCORE run; the accounts it scored are the accounts that were active then.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Cast
from django.utils import timezone

from insights.models import (
    ChurnScore,
    Customer,
    Feedback,
    ImportJob,
    ModelRun,
    RunStatus,
    Theme,
    UsageSnapshot,
)

# An account at or above this probability of churning within the horizon counts as high risk.
HIGH_RISK = 0.5
HORIZON_DAYS = 90

# The at-risk list's orders: key → (label, ordering).
AT_RISK_ORDERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "arr_at_risk": ("Risk × ARR", ("-arr_at_risk", "-probability", "customer__name", "pk")),
    "risk": ("Risk", ("-probability", "-arr_at_risk", "customer__name", "pk")),
    "arr": ("ARR", ("-customer__arr", "-probability", "customer__name", "pk")),
}
DEFAULT_ORDER = "arr_at_risk"

# The model's features (insights.ml.churn_features.FEATURES) for people, on the model card.
FEATURE_LABELS = {
    "tenure_months": "Months as a customer",
    "plan": "Plan",
    "segment": "Segment",
    "region": "Region",
    "seats": "Seats",
    "arr": "ARR",
    "active_users_latest": "Active users, last month",
    "active_users_change_3m": "Change in active users over 3 months",
    "seat_utilisation": "Share of seats in use",
    "adoption_latest": "Feature adoption, last month",
    "adoption_change_3m": "Change in feature adoption over 3 months",
    "task_success_rate_3m": "Task success, last 3 months",
    "task_success_change_3m": "Change in task success against the 3 months before",
    "tickets_90d": "Support tickets, last 90 days",
    "ticket_sentiment_90d": "Sentiment of its tickets, last 90 days",
    "nps_latest": "Latest NPS answer",
    "nps_change": "Change in NPS against earlier answers",
    "csat_latest": "Latest CSAT answer",
    "csat_change": "Change in CSAT against earlier answers",
    "pain_exposure": "Share of its feedback on top pain points",
    "days_since_touchpoint": "Days since the last touchpoint",
}


@dataclass(frozen=True)
class ChurnFilters:
    segment: str = ""
    plan: str = ""
    region: str = ""


@dataclass(frozen=True)
class ChurnForecast:
    """Expected churned ARR in the next HORIZON_DAYS: Σ probability × ARR over the accounts the
    latest scoring run scored that have not churned since."""

    expected_arr: Decimal
    accounts_scored: int
    high_risk_accounts: int
    run_id: int | None
    scored_at: dt.datetime | None


@dataclass(frozen=True)
class CalibrationBin:
    predicted: float  # mean predicted probability in the bin
    observed: float  # share that churned
    count: int


@dataclass(frozen=True)
class ChurnModelCard:
    """What the last successful training run learnt and how well it did on later outcomes."""

    run: ModelRun
    trained_at: dt.datetime | None
    as_of: str
    data_size: int  # account snapshots trained on
    accounts: int
    positives: int  # snapshots followed by churn within the horizon
    churn_rate: float | None  # their share
    snapshot_dates: str  # "Jul 2024 – Jun 2025 (12 month starts)"
    method: str
    validation_auc: float | None
    validation_brier: float | None
    validation_rows: int
    validation_positives: int
    validated_on: str  # the later snapshot dates tested on, for people
    trained_until: str  # the last snapshot date the validation model learnt from
    validation_error: str  # why there is no validation, when there is none
    calibration: list[CalibrationBin] = field(default_factory=list)
    # (feature for people, ROC-AUC lost when its values are shuffled), largest first
    importance: list[tuple[str, float]] = field(default_factory=list)
    score_run: ModelRun | None = None  # the scoring run that used it last
    seconds: float | None = None


# --- runs ---------------------------------------------------------------------------------------


def churn_score_run_latest(*, as_of: dt.datetime | None = None) -> ModelRun | None:
    """The last scoring run that succeeded (by `as_of`, when given)."""
    runs = ModelRun.objects.filter(kind=ModelRun.Kind.CHURN_SCORE, status=RunStatus.SUCCEEDED)
    if as_of is not None:
        runs = runs.filter(finished_at__lte=as_of)
    return runs.order_by("-finished_at", "-pk").first()


def churn_run_latest() -> ModelRun | None:
    """The latest churn run of either kind, whatever its status: what the pages say is going on."""
    return (
        ModelRun.objects.filter(kind__in=[ModelRun.Kind.CHURN_TRAIN, ModelRun.Kind.CHURN_SCORE])
        .order_by("-created_at", "-pk")
        .first()
    )


def churn_run_active_exists() -> bool:
    return ModelRun.objects.filter(
        kind__in=[ModelRun.Kind.CHURN_TRAIN, ModelRun.Kind.CHURN_SCORE],
        status__in=[RunStatus.PENDING, RunStatus.RUNNING],
    ).exists()


def churn_train_run_latest() -> ModelRun | None:
    return (
        ModelRun.objects.filter(kind=ModelRun.Kind.CHURN_TRAIN, status=RunStatus.SUCCEEDED)
        .order_by("-finished_at", "-pk")
        .first()
    )


def churn_inputs_changed_since(*, since: dt.datetime, feedback_after_id: int | None = None) -> bool:
    """Whether anything the churn model learns from arrived after `since`: feedback (an id above
    `feedback_after_id`, an index lookup; by creation time when no id is given), usage, an
    account (new, churned, re-planned) or a finished import. A few existence checks."""
    new_feedback = (
        Feedback.objects.filter(pk__gt=feedback_after_id)
        if feedback_after_id is not None
        else Feedback.objects.filter(created_at__gt=since)
    )
    return (
        new_feedback.exists()
        or UsageSnapshot.objects.filter(updated_at__gt=since).exists()
        or Customer.objects.filter(updated_at__gt=since).exists()
        or ImportJob.objects.filter(finished_at__gt=since, status=RunStatus.SUCCEEDED).exists()
    )


# --- scores -------------------------------------------------------------------------------------


def _arr_at_risk() -> ExpressionWrapper:
    return ExpressionWrapper(
        F("probability") * Cast("customer__arr", FloatField()), output_field=FloatField()
    )


def _not_churned_by(as_of: dt.datetime | None) -> Q:
    if as_of is None:
        return Q(customer__churned=False)
    day = timezone.localtime(as_of).date() if timezone.is_aware(as_of) else as_of.date()
    return Q(customer__churned=False) | Q(customer__churned_on__gt=day)


def churn_forecast(
    *, as_of: dt.datetime | dt.date | None = None, run: ModelRun | None = None
) -> ChurnForecast:
    """Expected churned ARR of the next HORIZON_DAYS from the latest scoring run (by `as_of`):
    Σ probability × ARR of the accounts it scored that have not churned (by `as_of`). Two queries
    (one when the caller passes the latest `run` it already read). A date means the end of that
    day. Zero, with no run, before any scoring ran."""
    if isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime):
        as_of = dt.datetime.combine(as_of, dt.time.max, tzinfo=timezone.get_current_timezone())
    run = run or churn_score_run_latest(as_of=as_of)
    if run is None:
        return ChurnForecast(Decimal(0), 0, 0, None, None)
    row = (
        ChurnScore.objects.filter(_not_churned_by(as_of), run=run)
        .annotate(at_risk=_arr_at_risk())
        .aggregate(
            expected=Sum("at_risk"),
            accounts=Count("pk"),
            high=Count("pk", filter=Q(probability__gte=HIGH_RISK)),
        )
    )
    return ChurnForecast(
        expected_arr=Decimal(str(round(row["expected"] or 0.0, 2))),
        accounts_scored=row["accounts"],
        high_risk_accounts=row["high"],
        run_id=run.pk,
        scored_at=run.finished_at,
    )


FORECAST_DIMENSIONS = ("segment", "plan", "region")


def churn_forecast_by(
    *, dimension: str, as_of: dt.datetime | dt.date | None = None
) -> dict[str, ChurnForecast]:
    """`churn_forecast` per value of the accounts' segment, plan or region ("" for accounts
    without one), from the same run. Two queries."""
    if dimension not in FORECAST_DIMENSIONS:
        raise ValueError(f"dimension must be one of {', '.join(FORECAST_DIMENSIONS)}")
    if isinstance(as_of, dt.date) and not isinstance(as_of, dt.datetime):
        as_of = dt.datetime.combine(as_of, dt.time.max, tzinfo=timezone.get_current_timezone())
    run = churn_score_run_latest(as_of=as_of)
    if run is None:
        return {}
    rows = (
        ChurnScore.objects.filter(_not_churned_by(as_of), run=run)
        .annotate(at_risk=_arr_at_risk())
        .values(f"customer__{dimension}")
        .annotate(
            expected=Sum("at_risk"),
            accounts=Count("pk"),
            high=Count("pk", filter=Q(probability__gte=HIGH_RISK)),
        )
        .order_by(f"customer__{dimension}")
    )
    return {
        row[f"customer__{dimension}"]: ChurnForecast(
            expected_arr=Decimal(str(round(row["expected"] or 0.0, 2))),
            accounts_scored=row["accounts"],
            high_risk_accounts=row["high"],
            run_id=run.pk,
            scored_at=run.finished_at,
        )
        for row in rows
    }


def churn_probabilities_latest() -> dict[int, float]:
    """Account id → probability, from the latest scoring run (accounts that have not churned)."""
    run = churn_score_run_latest()
    if run is None:
        return {}
    return dict(
        ChurnScore.objects.filter(_not_churned_by(None), run=run).values_list(
            "customer_id", "probability"
        )
    )


def churn_at_risk(
    *, run: ModelRun | None, filters: ChurnFilters | None = None, order: str = DEFAULT_ORDER
) -> QuerySet[ChurnScore]:
    """The scores of `run` (the latest scoring run) for accounts that have not churned, each
    with its account, `arr_at_risk` (probability × ARR) and `previous_probability` (the
    account's score in the scoring run before, or None), in the order asked for."""
    if run is None:
        return ChurnScore.objects.none()
    filters = filters or ChurnFilters()
    queryset = ChurnScore.objects.filter(_not_churned_by(None), run=run)
    for name in ("segment", "plan", "region"):
        if value := getattr(filters, name):
            queryset = queryset.filter(**{f"customer__{name}": value})
    previous = (
        ChurnScore.objects.filter(
            customer=OuterRef("customer"),
            run__kind=ModelRun.Kind.CHURN_SCORE,
            run__status=RunStatus.SUCCEEDED,
            scored_at__lt=OuterRef("scored_at"),
        )
        .order_by("-scored_at")
        .values("probability")[:1]
    )
    ordering = AT_RISK_ORDERS.get(order, AT_RISK_ORDERS[DEFAULT_ORDER])[1]
    return (
        queryset.select_related("customer")
        .annotate(arr_at_risk=_arr_at_risk(), previous_probability=Subquery(previous))
        .order_by(*ordering)
    )


def customer_churn_history(*, customer: Customer, limit: int = 12) -> list[ChurnScore]:
    """The account's scores from the last `limit` successful scoring runs, oldest first."""
    latest = list(
        ChurnScore.objects.filter(
            customer=customer,
            run__kind=ModelRun.Kind.CHURN_SCORE,
            run__status=RunStatus.SUCCEEDED,
        ).order_by("-scored_at", "-pk")[:limit]
    )
    return latest[::-1]


def customer_feedback_themes(*, customer: Customer, limit: int = 10) -> list[Theme]:
    """The pain points of the account's feedback, most of it first; each with `account_feedback`
    (how many of its feedback) and `last_received`."""
    return list(
        Theme.objects.filter(feedback__customer=customer, status=Theme.Status.ACTIVE)
        .annotate(account_feedback=Count("feedback"))
        .defer("centroid")
        .order_by("-account_feedback", "label", "pk")[:limit]
    )


def customer_touchpoints(*, customer: Customer, limit: int = 10) -> list:
    """The touchpoints engineers logged with the account, latest first — read through the
    reverse relation `Customer.touchpoints` that the touchpoints app declares (insights does not
    import it)."""
    return list(customer.touchpoints.order_by("-occurred_on", "-pk")[:limit])


# --- the model card -----------------------------------------------------------------------------


def churn_model_card() -> ChurnModelCard | None:
    """The card of the last successful training run, and the scoring run that used it last."""
    run = churn_train_run_latest()
    if run is None:
        return None
    score_run = (
        ModelRun.objects.filter(
            kind=ModelRun.Kind.CHURN_SCORE,
            status=RunStatus.SUCCEEDED,
            parameters__train_run_id=run.pk,
        )
        .order_by("-finished_at", "-pk")
        .first()
    )
    metrics = run.metrics or {}
    validation = metrics.get("validation") or {}
    return ChurnModelCard(
        run=run,
        trained_at=run.finished_at,
        as_of=str(run.parameters.get("as_of", "")),
        data_size=run.data_size,
        accounts=int(metrics.get("accounts") or 0),
        positives=int(metrics.get("positives") or 0),
        churn_rate=metrics.get("churn_rate"),
        snapshot_dates=_date_span(run.parameters.get("snapshot_dates")),
        method=str(run.parameters.get("method", "")),
        validation_auc=validation.get("auc"),
        validation_brier=validation.get("brier"),
        validation_rows=int(validation.get("rows") or 0),
        validation_positives=int(validation.get("positives") or 0),
        validated_on=str(validation.get("tested_on") or ""),
        trained_until=str(validation.get("trained_until") or ""),
        validation_error=str(validation.get("error") or ""),
        calibration=[
            CalibrationBin(
                predicted=float(item["predicted"]),
                observed=float(item["observed"]),
                count=int(item["count"]),
            )
            for item in validation.get("calibration") or []
        ],
        importance=[
            (FEATURE_LABELS.get(name, str(name).replace("_", " ")), float(value))
            for name, value in metrics.get("importance") or []
        ],
        score_run=score_run,
        seconds=sum(float(v) for v in (run.timings or {}).values()) or None,
    )


def _date_span(value) -> str:
    """[first, last, count] of the snapshot dates, for people."""
    try:
        first, last, count = value
        first, last = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    except (TypeError, ValueError):
        return ""
    return f"{first:%b %Y} – {last:%b %Y} ({count} month starts)"
