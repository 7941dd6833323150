"""The statistics of impact reviews: pure functions, numbers in, frozen dataclasses out, no ORM.

**Windows.** A review `days_after` days after the ship date compares two windows of the same
length `w = min(days_after, metric_window_days)`: *before* is the `w` days up to the day before the
ship date, *after* the `w` days ending on the review's day (ship date + `days_after`). The ship
day itself is in neither: it is half old, half new. A 90-day review of a 60-day metric therefore
looks at days 31–90, which is what "did the effect last?" asks. Monthly usage compares whole
months: the `k` months before the ship month against the last `k` whole months that start on or
after the ship date and end by the review's day, `k = min(round(w / 30.44), months available)`.

**Volume (mentions of the linked pain points).** Counts in two windows are compared as Poisson
rates. With no sign of over-dispersion, the exact conditional test: given `n = before + after`,
`after ~ Binomial(n, t_after / (t_before + t_after))` under "no change"; the two-sided p-value is
scipy's `binomtest`, and the rate ratio's interval comes from the Clopper–Pearson interval of that
binomial proportion. Feedback arrives in bursts (an outage, a renewal season), so the weekly counts
of each window are checked first: when their Pearson dispersion `φ` (χ² of weekly counts about each
window's mean ÷ degrees of freedom) exceeds 1, a quasi-Poisson Wald test is used instead — the
log rate ratio with standard error `√(φ (1/before + 1/after))` — which widens the interval by `√φ`
rather than calling a burst a trend.

**Scores and rates.** NPS differences use the variance of each NPS (`metrics.calculations`'
formula, `(p₊ + p₋ − (p₊ − p₋)²) / n`) in a two-sample z-test; CSAT, adoption and task success are
proportions compared with a two-proportion z-test (pooled for the p-value, unpooled for the
interval); sentiment means with Welch's t-test from counts, sums and sums of squares; churn risk
with a paired t-test on the accounts scored both before and after.

**Verdicts** (`verdict_for_change`, `verdict_for_level`; the per-metric rules are in
`roadmap.impact`'s docstring) use `ALPHA = 0.05` and 95 % intervals.
"""

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy import stats

ALPHA = 0.05
Z_95 = 1.959963984540054
DAYS_PER_MONTH = 30.44

MET = "met"
NOT_MET = "not_met"
INCONCLUSIVE = "inconclusive"


# --- windows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImpactWindows:
    """The before and after windows of one review (days inclusive) and the usage months."""

    days: int
    before_start: dt.date
    before_end: dt.date
    after_start: dt.date
    after_end: dt.date
    months_before: tuple[dt.date, ...]
    months_after: tuple[dt.date, ...]


def _month_add(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def impact_windows(
    *, shipped_on: dt.date, days_after: int, metric_window_days: int
) -> ImpactWindows:
    """The windows a review `days_after` days after `shipped_on` compares (module docstring)."""
    days = max(1, min(days_after, metric_window_days or days_after))
    review_day = shipped_on + dt.timedelta(days=days_after)
    ship_month = shipped_on.replace(day=1)
    wanted = max(1, round(days / DAYS_PER_MONTH))
    first_after = ship_month if shipped_on.day == 1 else _month_add(ship_month, 1)
    after: list[dt.date] = []
    month = first_after
    while _month_add(month, 1) - dt.timedelta(days=1) <= review_day:
        after.append(month)
        month = _month_add(month, 1)
    k = min(wanted, len(after))
    return ImpactWindows(
        days=days,
        before_start=shipped_on - dt.timedelta(days=days),
        before_end=shipped_on - dt.timedelta(days=1),
        after_start=review_day - dt.timedelta(days=days - 1),
        after_end=review_day,
        months_before=tuple(_month_add(ship_month, -i) for i in range(k, 0, -1)),
        months_after=tuple(after[len(after) - k :]) if k else (),
    )


# --- volume: Poisson rates ----------------------------------------------------------------------


@dataclass(frozen=True)
class RateChange:
    """Mentions before and after; `change` is after/before − 1 in percent (per day of window)."""

    before: int
    after: int
    before_days: int
    after_days: int
    change: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float
    method: str
    dispersion: float


def weekly_counts(daily: Sequence[int]) -> list[int]:
    """Sums of whole weeks (7 days from the window's first day); a partial last week is left out."""
    return [sum(daily[i : i + 7]) for i in range(0, len(daily) - 6, 7)]


def dispersion(*groups: Sequence[int]) -> float | None:
    """Pearson dispersion of counts about each group's own mean: Σ (x − m)² / m ÷ Σ (len − 1).
    About 1 for Poisson counts, above it for bursty ones; None when it cannot be estimated."""
    chi2, df = 0.0, 0
    for counts in groups:
        if len(counts) < 2:
            continue
        mean = sum(counts) / len(counts)
        df += len(counts) - 1
        if mean > 0:
            chi2 += sum((x - mean) ** 2 for x in counts) / mean
    return chi2 / df if df else None


def _pct(ratio: float | None) -> float | None:
    if ratio is None or math.isinf(ratio) or math.isnan(ratio):
        return None
    return (ratio - 1.0) * 100.0


def rate_change_test(
    *,
    before: int,
    after: int,
    before_days: int,
    after_days: int,
    before_weekly: Sequence[int] = (),
    after_weekly: Sequence[int] = (),
) -> RateChange:
    """Whether the rate of mentions changed beyond noise (module docstring)."""
    if before_days <= 0 or after_days <= 0:
        raise ValueError("both windows need at least one day")
    if before < 0 or after < 0:
        raise ValueError("counts cannot be negative")
    phi = max(1.0, dispersion(before_weekly, after_weekly) or 1.0)
    n = before + after
    if n == 0:
        return RateChange(
            before, after, before_days, after_days, None, None, None, 1.0, "none", phi
        )
    exposure = before_days / after_days
    ratio = (after / before) * exposure if before else None
    if phi <= 1.0:
        p_null = after_days / (before_days + after_days)
        p_value = float(stats.binomtest(after, n, p_null).pvalue)
        low = 0.0 if after == 0 else float(stats.beta.ppf(ALPHA / 2, after, n - after + 1))
        high = 1.0 if after == n else float(stats.beta.ppf(1 - ALPHA / 2, after + 1, n - after))
        ratio_low = low / (1 - low) * exposure
        ratio_high = high / (1 - high) * exposure if high < 1 else None
        method = "exact Poisson rate test (conditional binomial)"
    else:
        # Half a mention for an empty window keeps the log ratio finite.
        a, b = (after or 0.5), (before or 0.5)
        log_ratio = math.log(a / b * exposure)
        se = math.sqrt(phi * (1 / a + 1 / b))
        p_value = float(2 * stats.norm.sf(abs(log_ratio) / se))
        ratio_low = math.exp(log_ratio - Z_95 * se)
        ratio_high = math.exp(log_ratio + Z_95 * se)
        method = f"quasi-Poisson rate test (dispersion {phi:.2f})"
    return RateChange(
        before=before,
        after=after,
        before_days=before_days,
        after_days=after_days,
        change=_pct(ratio),
        ci_low=_pct(ratio_low),
        ci_high=_pct(ratio_high),
        p_value=min(max(p_value, 0.0), 1.0),
        method=method,
        dispersion=round(phi, 4),
    )


# --- differences of scores, rates and means -----------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """after − before (in the figures' unit, e.g. NPS or percentage points) and its test."""

    before: float | None
    after: float | None
    difference: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    method: str


def _z_difference(
    before: float, after: float, variance: float, method: str, *, bounds: tuple[float, float]
) -> Difference:
    diff = after - before
    if variance <= 0:
        p_value = 1.0 if diff == 0 else 0.0
        return Difference(before, after, diff, diff, diff, p_value, method)
    se = math.sqrt(variance)
    low, high = bounds
    return Difference(
        before=before,
        after=after,
        difference=diff,
        ci_low=max(diff - Z_95 * se, low),
        ci_high=min(diff + Z_95 * se, high),
        p_value=float(2 * stats.norm.sf(abs(diff) / se)),
        method=method,
    )


def _none(before: float | None, after: float | None, method: str) -> Difference:
    return Difference(before, after, None, None, None, None, method)


def nps_change_test(
    *,
    before: tuple[int, int, int],
    after: tuple[int, int, int],
) -> Difference:
    """NPS after − before in points; each side is (promoters, passives, detractors)."""
    values, variances = [], []
    for promoters, passives, detractors in (before, after):
        n = promoters + passives + detractors
        if n == 0:
            values.append(None)
            continue
        p_prom, p_det = promoters / n, detractors / n
        values.append((p_prom - p_det) * 100)
        variances.append(max(p_prom + p_det - (p_prom - p_det) ** 2, 0.0) / n * 10_000)
    method = "two-sample z-test on NPS"
    if None in values:
        return _none(values[0], values[1], method)
    return _z_difference(values[0], values[1], sum(variances), method, bounds=(-200.0, 200.0))


def proportion_change_test(
    *, before_successes: float, before_n: int, after_successes: float, after_n: int
) -> Difference:
    """A share after − before in percentage points (CSAT, adoption, task success): pooled
    two-proportion z-test for the p-value, unpooled Wald interval for the difference."""
    method = "two-proportion z-test"
    before = before_successes / before_n * 100 if before_n else None
    after = after_successes / after_n * 100 if after_n else None
    if before is None or after is None:
        return _none(before, after, method)
    p1, p2 = before / 100, after / 100
    pooled = (before_successes + after_successes) / (before_n + after_n)
    pooled_var = pooled * (1 - pooled) * (1 / before_n + 1 / after_n) * 10_000
    diff = after - before
    if pooled_var <= 0:
        return Difference(before, after, diff, diff, diff, 1.0 if diff == 0 else 0.0, method)
    wald_se = math.sqrt(max(p1 * (1 - p1) / before_n + p2 * (1 - p2) / after_n, 0.0)) * 100
    return Difference(
        before=before,
        after=after,
        difference=diff,
        ci_low=max(diff - Z_95 * wald_se, -100.0),
        ci_high=min(diff + Z_95 * wald_se, 100.0),
        p_value=float(2 * stats.norm.sf(abs(diff) / math.sqrt(pooled_var))),
        method=method,
    )


@dataclass(frozen=True)
class Moments:
    """n, Σx and Σx² of a sample: what a database can sum for us."""

    n: int
    total: float
    total_of_squares: float

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    @property
    def variance(self) -> float | None:
        if self.n < 2:
            return None
        return max(self.total_of_squares - self.n * self.mean**2, 0.0) / (self.n - 1)


def mean_change_test(*, before: Moments, after: Moments) -> Difference:
    """Mean after − before with Welch's t-test (unequal variances, Welch–Satterthwaite df)."""
    method = "Welch two-sample t-test"
    if before.variance is None or after.variance is None:
        return _none(before.mean, after.mean, method)
    diff = after.mean - before.mean
    a, b = before.variance / before.n, after.variance / after.n
    if a + b <= 0:
        return Difference(before.mean, after.mean, diff, diff, diff, float(diff == 0), method)
    se = math.sqrt(a + b)
    df = (a + b) ** 2 / (a**2 / (before.n - 1) + b**2 / (after.n - 1))
    t_crit = float(stats.t.ppf(1 - ALPHA / 2, df))
    return Difference(
        before=before.mean,
        after=after.mean,
        difference=diff,
        ci_low=diff - t_crit * se,
        ci_high=diff + t_crit * se,
        p_value=float(2 * stats.t.sf(abs(diff) / se, df)),
        method=method,
    )


def paired_change_test(*, pairs: Sequence[tuple[float, float]], scale: float = 1.0) -> Difference:
    """Mean of (after − before) over pairs (the same account twice), times `scale` (100 turns
    probabilities into points), with a paired t-test."""
    method = "paired t-test"
    n = len(pairs)
    if n == 0:
        return _none(None, None, method)
    before = sum(b for b, _ in pairs) / n * scale
    after = sum(a for _, a in pairs) / n * scale
    if n < 2:
        return _none(before, after, method)
    diffs = [(a - b) * scale for b, a in pairs]
    mean = sum(diffs) / n
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (n - 1))
    if sd == 0:
        return Difference(before, after, mean, mean, mean, 1.0 if mean == 0 else 0.0, method)
    se = sd / math.sqrt(n)
    t_crit = float(stats.t.ppf(1 - ALPHA / 2, n - 1))
    return Difference(
        before=before,
        after=after,
        difference=mean,
        ci_low=mean - t_crit * se,
        ci_high=mean + t_crit * se,
        p_value=float(2 * stats.t.sf(abs(mean) / se, n - 1)),
        method=method,
    )


# --- verdicts -----------------------------------------------------------------------------------


def _fmt(value: float, unit: str) -> str:
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}{abs(value):.1f}{unit}"


def p_text(p_value: float | None) -> str:
    if p_value is None:
        return "no test"
    return "p < 0.001" if p_value < 0.001 else f"p = {p_value:.3f}"


def verdict_for_change(
    *,
    observed: float | None,
    ci_low: float | None,
    ci_high: float | None,
    p_value: float | None,
    target: float,
    unit: str,
    better: int,
) -> tuple[str, str]:
    """The verdict of a target that is a change (volume −50 %, NPS +10 points), with why.

    `better` is +1 when up is good, −1 when down is; a non-zero target's own sign wins. Met: the
    change reaches the target and is significant (p < ALPHA) in the good direction. Not met: it
    is significant the wrong way, or even the interval's most favourable end falls short of the
    target (clearly short). Otherwise inconclusive: within noise, or short of the target with
    the target still inside the interval."""
    direction = (1 if target > 0 else -1) if target else better
    if observed is None or p_value is None:
        return INCONCLUSIVE, "Not enough data on both sides to compare."
    significant = p_value < ALPHA
    shown = f"{_fmt(observed, unit)} against a target of {_fmt(target, unit)} ({p_text(p_value)})"
    best = ci_high if direction > 0 else ci_low
    if significant and direction * observed > 0 and direction * observed >= direction * target:
        return MET, f"{shown}: the target is reached and the change is beyond noise."
    if significant and direction * observed < 0:
        return NOT_MET, f"{shown}: it moved the wrong way, beyond noise."
    if best is not None and direction * best < direction * target:
        return NOT_MET, f"{shown}: even the interval's best end falls short of the target."
    if not significant:
        return INCONCLUSIVE, f"{shown}: the change is within noise."
    return INCONCLUSIVE, f"{shown}: a real change, short of the target so far."


def verdict_for_level(
    *,
    after: float | None,
    after_ci_high: float | None,
    change: Difference,
    target: float,
    unit: str = " %",
) -> tuple[str, str]:
    """The verdict of a target that is a level to reach (adoption 40 %, task success 90 %).

    Met: the level after reaches the target and rose beyond noise. Not met: the interval of the
    level after lies wholly below the target, or it fell beyond noise. Otherwise inconclusive."""
    if after is None or change.p_value is None or change.difference is None:
        return INCONCLUSIVE, "Not enough data on both sides to compare."
    significant = change.p_value < ALPHA
    shown = (
        f"{after:.1f}{unit} after against a target of {target:.1f}{unit} "
        f"({_fmt(change.difference, ' points')}, {p_text(change.p_value)})"
    )
    if after >= target and significant and change.difference > 0:
        return MET, f"{shown}: the target is reached and the rise is beyond noise."
    if significant and change.difference < 0:
        return NOT_MET, f"{shown}: it fell, beyond noise."
    if after_ci_high is not None and after_ci_high < target:
        return NOT_MET, f"{shown}: even the interval's top is below the target."
    if after >= target:
        return INCONCLUSIVE, f"{shown}: at the target, but the rise is within noise."
    return INCONCLUSIVE, f"{shown}: short of the target, within noise."
