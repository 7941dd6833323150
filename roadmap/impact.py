"""Impact reviews: did a shipped item do what it promised? Services: scheduling, measuring, and
the move of a fully reviewed item to "measured".

**Schedule.** When an item is shipped (with a ship date) it gets reviews 30, 60 and 90 days
after it (`impact_reviews_schedule`); a new ship date moves the reviews not yet done, leaving it
cancels them (`impact_reviews_cancel`). Beat runs `impact_reviews_measure_due` daily.

**Measure.** A due review compares two windows of `w = min(days_after, metric_window_days)` days
either side of the ship date: the `w` days before it against the `w` days ending on the review's
day (see `roadmap.impact_stats` for the windows and every test). It records, whatever the metric:
mentions and sentiment of each linked pain point and together, with the rate test; NPS and CSAT
of the affected accounts (those that raised the pain points in the year before shipping) with
their intervals; adoption of the named feature and task success (whole usage months); the mean
churn risk of the affected accounts when churn scores exist on both sides; and a few quotes
before and after (ids and redacted text only). The review's verdict is that of the item's own
metric against its target, read as the target's help text says:

* **Pain-point volume** — target: % change of mentions (−50 = halve them). Observed:
  after/before − 1 with the Poisson rate test. *Met* when the change reaches the target (≤ −50 %)
  and is significant (p < 0.05); *not met* when it is significant the other way, or even the
  interval's most favourable end misses the target (clearly short); otherwise *inconclusive*.
  *Too early* while no feedback at all has arrived for the after-window's last week (imports lag).
  Inconclusive without a linked pain point, or without mentions before shipping.
* **NPS / CSAT of affected accounts** — target: change in points (CSAT in percentage points).
  The same rule on after − before (z-tests); too early below 10 answers after, inconclusive below
  10 before or without affected accounts.
* **Churn risk of affected accounts** — target: change in points of the mean churn probability
  (−5 = five points lower). The same rule on the paired change over the accounts scored both
  before and after; too early when no scoring finished since the ship date, inconclusive without
  scores from before it or with fewer than 5 accounts scored on both sides.
* **Adoption / task success** — target: the % to reach. *Met* when the level after reaches the
  target and rose significantly; *not met* when its interval lies wholly below the target or it
  fell significantly; otherwise inconclusive. Too early while no whole usage month after the ship
  date has ended by the review's day, or its usage is not in yet. Adoption needs a named feature.
* No metric or no target: inconclusive.

A review that comes out *too early* stays scheduled and is looked at again each day for
`TOO_EARLY_GRACE_DAYS` after it fell due (the data may still arrive), then is closed as too
early. When an item's last review is done, the item moves from shipped to measured.

Measuring is read-only and heavy, outside a transaction; its result is written in one short one
by a conditional update (still scheduled, same due day), so a review measured twice, or
rescheduled meanwhile, is written once or not at all.
"""

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from insights.selectors import day_start
from metrics.selectors import org_today
from roadmap import impact_figures as figures
from roadmap import impact_stats as st
from roadmap.models import BacklogItem, ImpactReview

logger = logging.getLogger(__name__)

REVIEW_DAYS = (30, 60, 90)
TOO_EARLY_GRACE_DAYS = 14
DATA_LAG_DAYS = 7
MIN_ANSWERS = 10
MIN_CHURN_ACCOUNTS = 5
SHIPPED_STATUSES = (BacklogItem.Status.SHIPPED, BacklogItem.Status.MEASURED)

Verdict = ImpactReview.Verdict
Metric = BacklogItem.MetricKind

UNITS = {
    Metric.THEME_VOLUME: " %",
    Metric.NPS: " points",
    Metric.CSAT: " points",
    Metric.CHURN_RISK: " points",
    Metric.ADOPTION: " %",
    Metric.TASK_SUCCESS: " %",
}


# --- scheduling ---------------------------------------------------------------------------------


def _cleared(review: ImpactReview) -> None:
    review.verdict = ""
    review.before, review.after, review.evidence = {}, {}, {}
    review.measured_at = None


@transaction.atomic
def impact_reviews_schedule(*, item: BacklogItem) -> list[ImpactReview]:
    """Reviews 30, 60 and 90 days after the item's ship date. Safe to call again: reviews already
    done stay as they are; the others are (re)scheduled for the current ship date, and a
    cancelled one comes back. Nothing for an item that is not shipped or has no ship date."""
    item = BacklogItem.objects.select_for_update().get(pk=item.pk)
    if item.shipped_on is None or item.status not in SHIPPED_STATUSES:
        return []
    existing = {review.days_after: review for review in item.impact_reviews.select_for_update()}
    reviews = []
    for days in REVIEW_DAYS:
        due_on = item.shipped_on + dt.timedelta(days=days)
        review = existing.get(days)
        if review is None:
            review = ImpactReview.objects.create(item=item, days_after=days, due_on=due_on)
        elif review.status != ImpactReview.Status.DONE and (
            review.due_on != due_on or review.status == ImpactReview.Status.CANCELLED
        ):
            review.status = ImpactReview.Status.SCHEDULED
            review.due_on = due_on
            _cleared(review)
            review.save()
        reviews.append(review)
    return reviews


@transaction.atomic
def impact_reviews_cancel(*, item: BacklogItem) -> int:
    """Cancel the item's reviews not yet done (it left shipped); done ones are kept. How many
    were cancelled; safe to call again."""
    return ImpactReview.objects.filter(item=item, status=ImpactReview.Status.SCHEDULED).update(
        status=ImpactReview.Status.CANCELLED, updated_at=timezone.now()
    )


def impact_reviews_schedule_missing(*, limit: int = 100) -> int:
    """Schedule reviews for shipped items that have none (shipped before impact reviews existed,
    or through the admin); the daily run calls it first."""
    items = list(
        BacklogItem.objects.filter(status=BacklogItem.Status.SHIPPED, shipped_on__isnull=False)
        .filter(impact_reviews__isnull=True)
        .order_by("pk")[:limit]
    )
    for item in items:
        impact_reviews_schedule(item=item)
    return len(items)


# --- measuring ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImpactOutcome:
    verdict: str
    reason: str
    before: dict
    after: dict
    evidence: dict


def _num(value: float | None) -> float | None:
    """Four decimals; three significant digits below 0.001 (p-values), so they stay readable."""
    if value is None:
        return None
    value = float(value)
    return round(value, 4) if value == 0 or abs(value) >= 0.001 else float(f"{value:.3g}")


def _plain(value: Any) -> Any:
    """Dataclasses, dates and floats as JSON: rounded numbers, ISO dates."""
    if dataclasses.is_dataclass(value):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float):
        return _num(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _figure(value: float | None, **extra) -> dict:
    return {"value": _num(value), **{k: _plain(v) for k, v in extra.items()}}


def _rate_figure(rate, months) -> dict:
    if rate is None:
        return _figure(None, months=months)
    return _figure(rate.value, n=rate.n, ci_low=rate.ci_low, ci_high=rate.ci_high, months=months)


def _metric(verdict: str, reason: str, *, test: st.Difference | st.RateChange | None) -> dict:
    observed = ci_low = ci_high = p_value = None
    method = ""
    if isinstance(test, st.RateChange):
        observed, ci_low, ci_high = test.change, test.ci_low, test.ci_high
        p_value, method = test.p_value, test.method
    elif isinstance(test, st.Difference):
        observed, ci_low, ci_high = test.difference, test.ci_low, test.ci_high
        p_value, method = test.p_value, test.method
    return {
        "verdict": verdict,
        "reason": reason,
        "observed": _num(observed),
        "ci_low": _num(ci_low),
        "ci_high": _num(ci_high),
        "p_value": _num(p_value),
        "test": method,
    }


def impact_measure(*, item: BacklogItem, days_after: int) -> ImpactOutcome:
    """The figures and the verdict of the item's review `days_after` days after it shipped
    (module docstring). Reads only."""
    windows = st.impact_windows(
        shipped_on=item.shipped_on,
        days_after=days_after,
        metric_window_days=item.metric_window_days,
    )
    themes = figures.linked_themes(item=item)
    evidence: dict[str, Any] = {
        "windows": {
            "days": windows.days,
            "before": [windows.before_start, windows.before_end],
            "after": [windows.after_start, windows.after_end],
            "usage_months_before": windows.months_before,
            "usage_months_after": windows.months_after,
        },
        "target": {
            "kind": item.metric_kind,
            "value": item.target,
            "unit": UNITS.get(item.metric_kind, ""),
        },
        "themes": [],
    }
    volume = scores = churn = None
    if themes:
        volume = figures.volume_figures(themes=themes, windows=windows)
        accounts = figures.affected_accounts(themes=themes, shipped_on=item.shipped_on)
        scores = figures.score_figures(accounts=accounts, windows=windows)
        churn = figures.churn_figures(
            accounts=accounts, windows=windows, shipped_on=item.shipped_on
        )
        evidence["themes"] = [
            {**_plain(theme), "change": _num(_change_pct(theme.before, theme.after))}
            for theme in volume.themes
        ]
        evidence["volume"] = _plain(volume.volume)
        evidence["sentiment"] = _plain(volume.sentiment)
        evidence["accounts"] = accounts.count()
        evidence["nps"] = {
            "before": _plain(scores.nps_before),
            "after": _plain(scores.nps_after),
            "change": _plain(scores.nps_change),
        }
        evidence["csat"] = {
            "before": _plain(scores.csat_before),
            "after": _plain(scores.csat_after),
            "change": _plain(scores.csat_change),
        }
        evidence["churn_risk"] = _plain(churn)
        evidence["credits"] = figures.engineers_credited(themes=themes, shipped_on=item.shipped_on)
        evidence["quotes"] = {
            "before": _plain(
                figures.quotes_between(
                    themes=themes,
                    start=windows.before_start,
                    end=windows.before_end,
                    most_negative=True,
                )
            ),
            "after": _plain(
                figures.quotes_between(
                    themes=themes,
                    start=windows.after_start,
                    end=windows.after_end,
                    most_negative=False,
                )
            ),
        }
    usage = figures.usage_figures(feature=item.metric_feature, windows=windows)
    evidence["usage"] = {"feature": item.metric_feature, **_plain(usage)}
    verdict, reason, before, after, test = _decide(
        item=item,
        windows=windows,
        themes=themes,
        volume=volume,
        scores=scores,
        churn=churn,
        usage=usage,
    )
    evidence["metric"] = _metric(verdict, reason, test=test)
    return ImpactOutcome(verdict, reason, before, after, evidence)


def _change_pct(before: int, after: int) -> float | None:
    return (after / before - 1) * 100 if before else None


def _decide(*, item, windows, themes, volume, scores, churn, usage):
    """(verdict, reason, before, after, test) of the item's own metric (module docstring)."""
    kind, target = item.metric_kind, item.target
    span_before = {"start": windows.before_start, "end": windows.before_end}
    span_after = {"start": windows.after_start, "end": windows.after_end}
    if not kind or target is None:
        return Verdict.INCONCLUSIVE, "The item has no success metric with a target.", {}, {}, None
    unit = UNITS[kind]
    if kind in (Metric.ADOPTION, Metric.TASK_SUCCESS):
        return _decide_level(item=item, windows=windows, usage=usage, unit=unit)
    if not themes:
        reason = "No pain point is linked to the item, so nothing tells whom it affects."
        return Verdict.INCONCLUSIVE, reason, {}, {}, None
    if kind == Metric.THEME_VOLUME:
        test = volume.volume
        before = _figure(test.before, days=windows.days, **span_before)
        after = _figure(test.after, days=windows.days, **span_after)
        lag_from = windows.after_end - dt.timedelta(days=DATA_LAG_DAYS - 1)
        if not figures.feedback_arrived(start=lag_from, end=windows.after_end):
            reason = "No feedback has arrived yet for the last week of the after-window."
            return Verdict.TOO_EARLY, reason, before, after, test
        if test.before == 0:
            reason = "No mentions before the ship date: there was nothing to reduce."
            return Verdict.INCONCLUSIVE, reason, before, after, test
        return (*_change_verdict(test, test.change, target, unit, better=-1), before, after, test)
    if kind in (Metric.NPS, Metric.CSAT):
        if kind == Metric.NPS:
            first, last, test = scores.nps_before, scores.nps_after, scores.nps_change
        else:
            first, last, test = scores.csat_before, scores.csat_after, scores.csat_change
        before = _figure(
            first.value, n=first.n, ci_low=first.ci_low, ci_high=first.ci_high, **span_before
        )
        after = _figure(
            last.value, n=last.n, ci_low=last.ci_low, ci_high=last.ci_high, **span_after
        )
        if last.n < MIN_ANSWERS:
            reason = (
                f"{last.n} answers from the affected accounts after shipping; {MIN_ANSWERS} needed."
            )
            return Verdict.TOO_EARLY, reason, before, after, test
        if first.n < MIN_ANSWERS:
            reason = f"Only {first.n} answers from the affected accounts before shipping."
            return Verdict.INCONCLUSIVE, reason, before, after, test
        return (
            *_change_verdict(test, test.difference, target, unit, better=1),
            before,
            after,
            test,
        )
    if kind == Metric.CHURN_RISK:
        test = churn.change
        before = _figure(
            test.before if test else None, n=churn.accounts, scored_at=churn.before_scored_at
        )
        after = _figure(
            test.after if test else None, n=churn.accounts, scored_at=churn.after_scored_at
        )
        if churn.before_scored_at is None:
            return Verdict.INCONCLUSIVE, churn.note, before, after, None
        if churn.after_scored_at is None:
            return Verdict.TOO_EARLY, churn.note, before, after, None
        if churn.accounts < MIN_CHURN_ACCOUNTS:
            reason = f"Only {churn.accounts} affected accounts were scored before and after."
            return Verdict.INCONCLUSIVE, reason, before, after, test
        return (
            *_change_verdict(test, test.difference, target, unit, better=-1),
            before,
            after,
            test,
        )
    return Verdict.INCONCLUSIVE, f"Unknown metric {kind!r}.", {}, {}, None


def _change_verdict(test, observed: float, target: float, unit: str, *, better: int):
    """The verdict and its reason for a change `observed` with the test's interval and p-value."""
    return st.verdict_for_change(
        observed=observed,
        ci_low=test.ci_low,
        ci_high=test.ci_high,
        p_value=test.p_value,
        target=target,
        unit=unit,
        better=better,
    )


def _decide_level(*, item, windows, usage, unit):
    if item.metric_kind == Metric.ADOPTION:
        first, last, test = usage.adoption_before, usage.adoption_after, usage.adoption_change
    else:
        first, last, test = (
            usage.task_success_before,
            usage.task_success_after,
            usage.task_success_change,
        )
    before = _rate_figure(first, windows.months_before)
    after = _rate_figure(last, windows.months_after)
    if item.metric_kind == Metric.ADOPTION and not item.metric_feature:
        return Verdict.INCONCLUSIVE, "No feature is named for adoption.", before, after, None
    if not windows.months_after:
        reason = "No whole month of usage after the ship date has ended yet."
        return Verdict.TOO_EARLY, reason, before, after, None
    if last is None or not last.n:
        reason = "Usage for the months after the ship date is not in yet."
        return Verdict.TOO_EARLY, reason, before, after, None
    if first is None or not first.n or test is None:
        reason = "No usage of it in the months before the ship date to compare with."
        return Verdict.INCONCLUSIVE, reason, before, after, None
    verdict, reason = st.verdict_for_level(
        after=last.value, after_ci_high=last.ci_high, change=test, target=item.target, unit=unit
    )
    return verdict, reason, before, after, test


def impact_review_measure(*, review_id: int, today: dt.date | None = None) -> ImpactReview | None:
    """Measure one due, scheduled review and record it (module docstring). None when there is
    nothing to do: not due, not scheduled, already measured, or rescheduled meanwhile."""
    today = today or org_today()
    review = (
        ImpactReview.objects.select_related("item")
        .filter(pk=review_id, status=ImpactReview.Status.SCHEDULED, due_on__lte=today)
        .first()
    )
    if review is None:
        return None
    item = review.item
    if item.status not in SHIPPED_STATUSES or item.shipped_on is None:
        impact_reviews_cancel(item=item)
        return None
    if item.shipped_on + dt.timedelta(days=review.days_after) != review.due_on:
        impact_reviews_schedule(item=item)
        return None
    outcome = impact_measure(item=item, days_after=review.days_after)
    final = outcome.verdict != Verdict.TOO_EARLY or today >= review.due_on + dt.timedelta(
        days=TOO_EARLY_GRACE_DAYS
    )
    with transaction.atomic():
        written = ImpactReview.objects.filter(
            pk=review.pk, status=ImpactReview.Status.SCHEDULED, due_on=review.due_on
        ).update(
            status=ImpactReview.Status.DONE if final else ImpactReview.Status.SCHEDULED,
            verdict=outcome.verdict,
            before=_plain(outcome.before),
            after=_plain(outcome.after),
            evidence=_plain(outcome.evidence),
            measured_at=timezone.now(),
            updated_at=timezone.now(),
        )
        if written and final:
            _item_measured_when_reviewed(item_id=item.pk)
    if not written:
        return None
    review.refresh_from_db()
    return review


def _item_measured_when_reviewed(*, item_id: int) -> bool:
    """Shipped → measured once the item's last review is done."""
    last = (
        ImpactReview.objects.filter(item_id=item_id)
        .exclude(status=ImpactReview.Status.CANCELLED)
        .order_by("-days_after")
        .first()
    )
    if last is None or last.status != ImpactReview.Status.DONE:
        return False
    return bool(
        BacklogItem.objects.filter(pk=item_id, status=BacklogItem.Status.SHIPPED).update(
            status=BacklogItem.Status.MEASURED, updated_at=timezone.now()
        )
    )


@dataclass(frozen=True)
class MeasureDueResult:
    scheduled: int  # shipped items that had no reviews and got them
    measured: int  # reviews written (done, or too early and looked at again later)
    remaining: bool  # more due reviews than `limit`: run again


def impact_reviews_measure_due(
    *, today: dt.date | None = None, limit: int = 50
) -> MeasureDueResult:
    """Measure up to `limit` due reviews, oldest due first. A review kept scheduled as too early
    is looked at once a day. Safe to run twice: each review is claimed by its conditional
    update."""
    today = today or org_today()
    scheduled = impact_reviews_schedule_missing()
    ids = list(
        ImpactReview.objects.filter(status=ImpactReview.Status.SCHEDULED, due_on__lte=today)
        .filter(Q(measured_at__isnull=True) | Q(measured_at__lt=day_start(today)))
        .order_by("due_on", "pk")
        .values_list("pk", flat=True)[: limit + 1]
    )
    measured = 0
    for review_id in ids[:limit]:
        if impact_review_measure(review_id=review_id, today=today) is not None:
            measured += 1
    return MeasureDueResult(scheduled=scheduled, measured=measured, remaining=len(ids) > limit)
