"""The metrics, as pure functions: scores and counts in, dataclasses out, no ORM.

Selectors count in the database and call the `*_from_counts` functions; tests and callers holding a
list of scores call `nps`, `csat` and `ces_mean`. Both paths share one formula each.

Percentages (NPS points, CSAT, adoption, task success, adherence) are on a 0…100 scale; CES is a
mean on its 1…7 scale. Every result carries `value` (None when there is nothing to measure), `n`
and a 95 % interval (`ci_low`, `ci_high`, None when it cannot be computed).
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

Z_95 = 1.96

NPS_RANGE = (0, 10)
CSAT_RANGE = (1, 5)
CES_RANGE = (1, 7)


@dataclass(frozen=True)
class NpsResult:
    """Net Promoter Score in points (−100…100); `value` is None when nobody answered."""

    value: float | None
    n: int
    promoters: int
    passives: int
    detractors: int
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class CsatResult:
    """Share of satisfied answers (4–5 on a 1–5 scale), in percent, with a Wilson 95 % interval."""

    value: float | None
    n: int
    satisfied: int
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class CesResult:
    """Mean Customer Effort Score (1–7) with a normal 95 % interval, clipped to 1…7 (None below
    two answers)."""

    value: float | None
    n: int
    ci_low: float | None
    ci_high: float | None


def _present(scores: Iterable[int | None], *, bounds: tuple[int, int], name: str) -> list[int]:
    low, high = bounds
    kept = [score for score in scores if score is not None]
    for score in kept:
        if not low <= score <= high:
            raise ValueError(f"{name} score {score!r} is outside {low}–{high}")
    return kept


def nps_from_counts(*, promoters: int, passives: int, detractors: int) -> NpsResult:
    """NPS = % promoters (9–10) − % detractors (0–6). The 95 % interval comes from the variance of
    the difference of the two proportions: var = (p_prom + p_det − (p_prom − p_det)²) / n. It is
    clipped to −100…100, the range an NPS can take."""
    n = promoters + passives + detractors
    if n == 0:
        return NpsResult(None, 0, 0, 0, 0, None, None)
    p_prom = promoters / n
    p_det = detractors / n
    value = (p_prom - p_det) * 100
    variance = max(p_prom + p_det - (p_prom - p_det) ** 2, 0.0) / n
    margin = Z_95 * math.sqrt(variance) * 100
    return NpsResult(
        value=value,
        n=n,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        ci_low=max(value - margin, -100.0),
        ci_high=min(value + margin, 100.0),
    )


def nps(scores: Iterable[int | None]) -> NpsResult:
    """NPS of 0–10 answers; None (no answer) is skipped."""
    kept = _present(scores, bounds=NPS_RANGE, name="NPS")
    return nps_from_counts(
        promoters=sum(1 for s in kept if s >= 9),
        passives=sum(1 for s in kept if 7 <= s <= 8),
        detractors=sum(1 for s in kept if s <= 6),
    )


def wilson_interval(successes: float, n: int, *, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a proportion, in 0…1. Unlike the normal interval it stays inside
    0…1 and behaves at 0 % and 100 %, which small monthly samples often hit. `successes` may be
    fractional (a mean over several features, see `adoption_breadth_from_counts`)."""
    if n <= 0:
        raise ValueError("n must be positive")
    p = min(max(successes / n, 0.0), 1.0)
    denominator = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    return max(centre - half_width, 0.0), min(centre + half_width, 1.0)


def csat_from_counts(*, satisfied: int, n: int) -> CsatResult:
    if n == 0:
        return CsatResult(None, 0, 0, None, None)
    if not 0 <= satisfied <= n:
        raise ValueError("satisfied must be between 0 and n")
    low, high = wilson_interval(satisfied, n)
    return CsatResult(
        value=satisfied / n * 100, n=n, satisfied=satisfied, ci_low=low * 100, ci_high=high * 100
    )


def csat(scores: Iterable[int | None]) -> CsatResult:
    """CSAT of 1–5 answers: the percentage of 4s and 5s; None is skipped."""
    kept = _present(scores, bounds=CSAT_RANGE, name="CSAT")
    return csat_from_counts(satisfied=sum(1 for s in kept if s >= 4), n=len(kept))


def ces_from_moments(*, n: int, total: float, total_of_squares: float) -> CesResult:
    """Mean and normal 95 % interval from n, Σx and Σx², which a database can sum for us."""
    if n == 0:
        return CesResult(None, 0, None, None)
    mean = total / n
    if n < 2:
        return CesResult(mean, n, None, None)
    sample_variance = max(total_of_squares - n * mean**2, 0.0) / (n - 1)
    margin = Z_95 * math.sqrt(sample_variance / n)
    low, high = CES_RANGE
    # Clipped to the scale, as NPS is: a mean of 1–7 answers cannot lie outside 1…7.
    return CesResult(mean, n, max(mean - margin, low), min(mean + margin, high))


def ces_mean(scores: Iterable[int | None]) -> CesResult:
    """Mean Customer Effort Score of 1–7 answers; None is skipped."""
    kept = _present(scores, bounds=CES_RANGE, name="CES")
    return ces_from_moments(
        n=len(kept), total=float(sum(kept)), total_of_squares=float(sum(s * s for s in kept))
    )


@dataclass(frozen=True)
class RateResult:
    """A share in percent (adoption, task success, adherence) with a Wilson 95 % interval;
    `value` is None when `n` (the denominator) is 0."""

    value: float | None
    n: int
    successes: float
    ci_low: float | None
    ci_high: float | None


def rate_from_counts(*, successes: float, n: int) -> RateResult:
    """`successes` out of `n` in percent, with its Wilson interval."""
    if n == 0:
        return RateResult(None, 0, 0, None, None)
    if not 0 <= successes <= n:
        raise ValueError("successes must be between 0 and n")
    low, high = wilson_interval(successes, n)
    return RateResult(
        value=successes / n * 100, n=n, successes=successes, ci_low=low * 100, ci_high=high * 100
    )


def adoption_rate_from_counts(*, adopters: int, active: int) -> RateResult:
    """Adoption of one feature: users (or accounts) who used it ÷ active users (or accounts)."""
    return rate_from_counts(successes=adopters, n=active)


def adoption_breadth_from_counts(*, feature_users: dict[str, int], active: int) -> RateResult:
    """Adoption across features: the share of (active user, tracked feature) pairs in which the
    user used the feature — the mean of the features' adoption rates, weighted by users. `n` is
    the number of active users; the interval treats the mean adopters per feature as successes.
    None (with n 0) when no feature is tracked: there is nothing to adopt."""
    if not feature_users:
        return RateResult(None, 0, 0, None, None)
    mean_adopters = sum(feature_users.values()) / len(feature_users)
    return rate_from_counts(successes=mean_adopters, n=active)


def task_success_from_counts(*, successes: int, attempts: int) -> RateResult:
    """Task success rate: tasks that succeeded ÷ tasks attempted."""
    return rate_from_counts(successes=successes, n=attempts)
