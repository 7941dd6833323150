"""The survey metrics, as pure functions: scores in, dataclasses out, no ORM.

Selectors count in the database and call the `*_from_counts` functions; tests and callers holding a
list of scores call `nps`, `csat` and `ces_mean`. Both paths share one formula each.
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
    """Mean Customer Effort Score (1–7) with a normal 95 % interval (None below two answers)."""

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


def wilson_interval(successes: int, n: int, *, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval of a proportion, in 0…1. Unlike the normal interval it stays inside
    0…1 and behaves at 0 % and 100 %, which small monthly samples often hit."""
    if n == 0:
        raise ValueError("n must be positive")
    p = successes / n
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
    return CesResult(mean, n, mean - margin, mean + margin)


def ces_mean(scores: Iterable[int | None]) -> CesResult:
    """Mean Customer Effort Score of 1–7 answers; None is skipped."""
    kept = _present(scores, bounds=CES_RANGE, name="CES")
    return ces_from_moments(
        n=len(kept), total=float(sum(kept)), total_of_squares=float(sum(s * s for s in kept))
    )
