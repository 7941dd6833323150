"""Adoption and task success counted in the database from insights' monthly usage snapshots.

* **Adoption of a feature** = users who used it ÷ active users, summed over the accounts and the
  months of the period (a quarter pools its three months: user-months). A feature count above
  its account's active users is capped at them. A feature is tracked in a period when at least
  one snapshot of the period names it; untracked features have no value there.
* **Adoption** (across features) = the share of (active user, tracked feature) pairs in which the
  user used the feature: the mean of the tracked features' rates, weighted by active users
  (`metrics.calculations.adoption_breadth_from_counts`).
* **Task success** = tasks that succeeded ÷ tasks attempted. The usage data has no task
  breakdown by feature, so task success exists for accounts and their groups only.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Count, DateField, F, IntegerField, Q, Sum, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, Least

from insights.selectors import usage_feature_names, usage_snapshots_between
from metrics.calculations import (
    RateResult,
    adoption_breadth_from_counts,
    adoption_rate_from_counts,
    task_success_from_counts,
)
from metrics.selectors.periods import period_trunc
from metrics.selectors.scores import GROUP_FIELDS, GroupKey

_TOTALS = ("active_users", "task_attempts", "task_successes")


@dataclass(frozen=True)
class UsageFigures:
    """Adoption (across features and per tracked feature) and task success of one period and
    group; `start` is the period's first day."""

    start: dt.date
    adoption: RateResult
    task_success: RateResult
    features: dict[str, RateResult] = field(default_factory=dict)


def empty_usage(start: dt.date) -> UsageFigures:
    return _figures(start, dict.fromkeys(_TOTALS, 0), {})


def _figures(start: dt.date, totals: dict, feature_users: dict[str, int]) -> UsageFigures:
    active = totals["active_users"]
    return UsageFigures(
        start=start,
        adoption=adoption_breadth_from_counts(feature_users=feature_users, active=active),
        task_success=task_success_from_counts(
            successes=totals["task_successes"], attempts=totals["task_attempts"]
        ),
        features={
            name: adoption_rate_from_counts(adopters=users, active=active)
            for name, users in sorted(feature_users.items())
        },
    )


def usage_grouped(
    *,
    start: dt.date,
    end: dt.date,
    period_kind: str | None = None,
    group_fields: Sequence[str] = (),
) -> dict[GroupKey, UsageFigures]:
    """Adoption and task success of the usage months that overlap start…end, per period
    (None: the whole range, keyed by `start`) and for every account ("", "") and each value of
    each of `group_fields`. Two queries (the feature names, then the sums); periods and groups
    without usage are absent."""
    unknown = set(group_fields) - set(GROUP_FIELDS)
    if unknown:
        raise ValueError(f"Cannot group usage by {sorted(unknown)}; use {GROUP_FIELDS}.")
    features = usage_feature_names(start=start, end=end)
    # Named apart from the columns, so that F("active_users") below means the column.
    sums = {f"sum_{name}": Sum(name) for name in _TOTALS}
    for index, name in enumerate(features):
        used = Cast(KeyTextTransform(name, "feature_adoption"), IntegerField())
        capped = Least(Coalesce(used, 0), F("active_users"), output_field=IntegerField())
        sums[f"feature_{index}_users"] = Sum(capped)
        sums[f"feature_{index}_rows"] = Count("id", filter=Q(feature_adoption__has_key=name))
    period = (
        Value(start, output_field=DateField())
        if period_kind is None
        else period_trunc("period", period_kind, is_date=True)
    )
    columns = [f"customer__{field}" for field in group_fields]
    rows = (
        usage_snapshots_between(start=start, end=end)
        .annotate(period_start=period)
        .values("period_start", *columns)
        .annotate(**sums)
        .order_by()
    )
    totals: dict[GroupKey, dict] = defaultdict(lambda: dict.fromkeys(_TOTALS, 0))
    feature_users: dict[GroupKey, dict[str, int]] = defaultdict(dict)
    tracked: dict[dt.date, set[str]] = defaultdict(set)
    for row in rows:
        start_of = row["period_start"]
        keys = [(start_of, "", "")]
        keys += [
            (start_of, name, row[column] or "")
            for name, column in zip(group_fields, columns, strict=True)
        ]
        for key in keys:
            for name in _TOTALS:
                totals[key][name] += row[f"sum_{name}"] or 0
            for index, name in enumerate(features):
                users = row[f"feature_{index}_users"] or 0
                feature_users[key][name] = feature_users[key].get(name, 0) + users
        tracked[start_of].update(
            name for index, name in enumerate(features) if row[f"feature_{index}_rows"]
        )
    return {
        key: _figures(
            key[0],
            counts,
            {name: users for name, users in feature_users[key].items() if name in tracked[key[0]]},
        )
        for key, counts in totals.items()
    }
