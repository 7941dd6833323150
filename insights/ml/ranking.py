"""Pain-point ranking: an impact score per theme with every part visible.

Each part is a figure a product manager can check by hand, scaled to 0…1 across the themes ranked
together, then weighted (weights are settings: `BACKLIGHT_RANKING_WEIGHTS`):

- volume: its feedback in the last 90 days that was not positive (praise is not pain);
- trend: the same over the last 30 days against the 30 before, as growth clipped to −100 %…+100 %;
- negativity: the share of its feedback with negative sentiment;
- NPS impact: how many NPS points the organisation would gain if this theme's detractors were
  passives (the Thematic method): 100 × its detractors ÷ all NPS respondents;
- ARR affected: annual revenue of the accounts that raised it (not positively);
- churn risk: ARR-weighted churn probability of those accounts (from the latest churn scoring,
  issue #7), times their ARR: the revenue expected to walk away. Themes whose accounts have no
  score yet get nothing for this part.

A theme is *emerging* when its last weeks spike against its own baseline. Plain Python, no ORM.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

PARTS = ("volume", "trend", "negativity", "nps_impact", "arr", "churn_risk")
# Churn risk takes .15 from volume, NPS impact and ARR (.05 each): revenue at risk is the
# strongest sign that a pain point costs money, but it rests on a model and only on scored
# accounts, so the figures a PM can count by hand keep most of the weight. They sum to 1.
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "volume": 0.20,
    "trend": 0.10,
    "negativity": 0.15,
    "nps_impact": 0.20,
    "arr": 0.20,
    "churn_risk": 0.15,
}


@dataclass(frozen=True)
class ThemeStats:
    theme_id: int
    volume_90: int  # not-positive feedback, as the volume and trend parts count it
    volume_30: int
    volume_previous_30: int
    negative_share: float  # 0…1 of its feedback with a sentiment
    nps_impact: float  # NPS points
    arr_affected: float
    churn_risk: float | None  # 0…1, ARR-weighted; None while no account has a score
    weekly: Sequence[int] = field(default_factory=tuple)  # oldest first, the last is this week


@dataclass(frozen=True)
class Impact:
    score: float  # 0…100
    parts: dict[str, float]  # each part's weighted contribution, in score points
    raw: dict[str, float]  # each part's own figure, before scaling
    emerging: bool


def nps_impact(*, theme_detractors: int, respondents: int) -> float:
    """NPS points gained if the theme's detractors had answered as passives."""
    return 100.0 * theme_detractors / respondents if respondents else 0.0


def growth(recent: int, previous: int) -> float:
    """Relative change, clipped to −1…1; a theme from nothing counts as +100 %."""
    if previous == 0:
        return 1.0 if recent else 0.0
    return max(-1.0, min(1.0, (recent - previous) / previous))


def is_emerging(
    weekly: Sequence[int], *, recent_weeks: int = 2, min_recent: int = 5, sigmas: float = 3.0
) -> bool:
    """The last `recent_weeks` average well above the weeks before (mean + `sigmas` standard
    deviations, Poisson floor), with enough feedback to matter."""
    if len(weekly) <= recent_weeks + 3:
        return False
    recent = weekly[-recent_weeks:]
    baseline = weekly[:-recent_weeks]
    if sum(recent) < min_recent:
        return False
    mean = sum(baseline) / len(baseline)
    variance = sum((value - mean) ** 2 for value in baseline) / len(baseline)
    spread = max(math.sqrt(variance), math.sqrt(max(mean, 1.0)))
    return sum(recent) / recent_weeks > mean + sigmas * spread


def impact_scores(
    stats: Sequence[ThemeStats], *, weights: Mapping[str, float] | None = None
) -> dict[int, Impact]:
    """Score every theme against the others ranked with it."""
    weights = {part: float((weights or DEFAULT_WEIGHTS).get(part, 0.0)) for part in PARTS}
    total_weight = sum(weights.values()) or 1.0
    raw = {
        item.theme_id: {
            "volume": float(item.volume_90),
            "trend": growth(item.volume_30, item.volume_previous_30),
            "negativity": item.negative_share,
            "nps_impact": item.nps_impact,
            "arr": item.arr_affected,
            "churn_risk": (item.churn_risk or 0.0) * item.arr_affected,
        }
        for item in stats
    }
    highest = {part: max((values[part] for values in raw.values()), default=0.0) for part in PARTS}
    results = {}
    for item in stats:
        values = raw[item.theme_id]
        parts = {}
        for part in PARTS:
            if part == "trend":
                # −100 % → 0, flat → 0.5, +100 % → 1; a theme with no recent pain has no trend.
                scaled = (values["trend"] + 1.0) / 2.0 if item.volume_90 else 0.0
            else:
                scaled = values[part] / highest[part] if highest[part] > 0 else 0.0
            parts[part] = round(100.0 * weights[part] * scaled / total_weight, 2)
        results[item.theme_id] = Impact(
            score=round(sum(parts.values()), 2),
            parts=parts,
            raw={**values, "churn_risk": item.churn_risk if item.churn_risk is not None else 0.0},
            emerging=is_emerging(item.weekly),
        )
    return results
