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

A theme is *emerging* when its last weeks spike against its own baseline.

Before any of that, a theme's polarity (`theme_polarity`) says whether it is a pain point at all:
a theme of praise is a *strength* — it gets no impact score and is ranked among the strengths
instead, by its praise volume and its NPS lift (`strength_scores`). Plain Python, no ORM.
"""

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

PAIN = "pain"
STRENGTH = "strength"
# A theme is a strength when more than this share of the evidence about it is positive…
STRENGTH_SHARE = 0.60
# …and it has at least this many members with a sentiment (or with an NPS answer): two happy
# comments are an anecdote, not something customers value.
STRENGTH_MIN_MEMBERS = 5
# NPS lift needs this many NPS answers among the theme's feedback to mean anything.
NPS_LIFT_MIN_RESPONDENTS = 5
STRENGTH_PARTS = ("volume", "nps_lift")
STRENGTH_WEIGHTS: Mapping[str, float] = {"volume": 0.5, "nps_lift": 0.5}

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
    # Every figure but negativity counts only the feedback that was not positive: praise in a
    # mixed theme is not pain, so it adds no volume, trend, detractors, accounts or revenue.
    volume_90: int
    volume_30: int
    volume_previous_30: int
    negative_share: float  # 0…1 of its feedback with a sentiment (praise lowers it)
    nps_impact: float  # NPS points, from its detractors among the not-positive feedback
    arr_affected: float  # ARR of the accounts behind its not-positive feedback
    churn_risk: float | None  # 0…1, ARR-weighted over those accounts; None while none is scored
    weekly: Sequence[int] = field(default_factory=tuple)  # oldest first, the last is this week


@dataclass(frozen=True)
class Impact:
    score: float  # 0…100
    parts: dict[str, float]  # each part's weighted contribution, in score points
    raw: dict[str, float]  # each part's own figure, before scaling
    emerging: bool


@dataclass(frozen=True)
class StrengthStats:
    theme_id: int
    volume_90: int  # its positive feedback in the last 90 days
    nps_lift: float | None  # NPS points above the organisation's; None with too few answers


@dataclass(frozen=True)
class StrengthScore:
    score: float  # 0…100
    parts: dict[str, float]  # volume and NPS lift, in score points
    raw: dict[str, float]


def theme_polarity(
    *,
    positive: int,
    negative: int,
    neutral: int,
    promoters: int = 0,
    detractors: int = 0,
    passives: int = 0,
) -> str:
    """`STRENGTH` when the theme is mostly praise, else `PAIN`.

    The evidence is pooled: every member's sentiment label is one vote (positive, negative or
    neutral), and every NPS answer among its members one more (a promoter votes positive, a
    detractor negative, a passive neutral) — a score is the customer's own verdict, so a rated
    comment weighs twice. A theme is a strength when more than `STRENGTH_SHARE` (60 %) of the
    votes are positive and at least `STRENGTH_MIN_MEMBERS` (5) members have a sentiment (or an
    NPS answer); smaller themes stay pain points, where a PM sees them and can judge. Neutral
    votes count against: a theme of shrugs is not something customers value.
    """
    members = max(positive + negative + neutral, promoters + detractors + passives)
    if members < STRENGTH_MIN_MEMBERS:
        return PAIN
    positive_votes = positive + promoters
    votes = positive_votes + negative + detractors + neutral + passives
    return STRENGTH if positive_votes > STRENGTH_SHARE * votes else PAIN


def nps_score(*, promoters: int, detractors: int, respondents: int) -> float | None:
    """NPS, −100…100; None without respondents."""
    if respondents <= 0:
        return None
    return 100.0 * (promoters - detractors) / respondents


def nps_lift(
    *,
    promoters: int,
    detractors: int,
    respondents: int,
    organisation_nps: float | None,
    min_respondents: int = NPS_LIFT_MIN_RESPONDENTS,
) -> float | None:
    """NPS points by which the customers who raised the theme beat the organisation: the NPS
    of the answers among its feedback minus the organisation's NPS over the same days. None
    with fewer than `min_respondents` answers, or no organisation NPS to compare with."""
    if respondents < min_respondents or organisation_nps is None:
        return None
    theme = nps_score(promoters=promoters, detractors=detractors, respondents=respondents)
    return None if theme is None else theme - organisation_nps


def strength_scores(
    stats: Sequence[StrengthStats], *, reference: Sequence[StrengthStats] | None = None
) -> dict[int, StrengthScore]:
    """Score strengths against each other: half their praise volume, half their NPS lift, each
    scaled to the highest among `reference` (the strengths listed together; `stats` itself by
    default). A lift below zero, or unknown, adds nothing."""
    reference = stats if reference is None else reference
    highest_volume = max((float(item.volume_90) for item in reference), default=0.0)
    highest_lift = max((max(item.nps_lift or 0.0, 0.0) for item in reference), default=0.0)
    total_weight = sum(STRENGTH_WEIGHTS.values())
    results = {}
    for item in stats:
        scaled = {
            "volume": min(1.0, item.volume_90 / highest_volume) if highest_volume else 0.0,
            "nps_lift": min(1.0, max(item.nps_lift or 0.0, 0.0) / highest_lift)
            if highest_lift
            else 0.0,
        }
        parts = {
            part: round(100.0 * STRENGTH_WEIGHTS[part] * scaled[part] / total_weight, 2)
            for part in STRENGTH_PARTS
        }
        results[item.theme_id] = StrengthScore(
            score=round(sum(parts.values()), 2),
            parts=parts,
            raw={"volume": float(item.volume_90), "nps_lift": item.nps_lift or 0.0},
        )
    return results


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


def _raw_parts(item: ThemeStats) -> dict[str, float]:
    return {
        "volume": float(item.volume_90),
        "trend": growth(item.volume_30, item.volume_previous_30),
        "negativity": item.negative_share,
        "nps_impact": item.nps_impact,
        "arr": item.arr_affected,
        "churn_risk": (item.churn_risk or 0.0) * item.arr_affected,
    }


def impact_scores(
    stats: Sequence[ThemeStats],
    *,
    weights: Mapping[str, float] | None = None,
    reference: Sequence[ThemeStats] | None = None,
) -> dict[int, Impact]:
    """Score every theme against the others ranked with it: each part is scaled to the highest
    among `reference` (`stats` itself by default). Sub-themes are scored against the list they
    are shown in (their parents and the other top-level themes), so that a child's score reads
    on its parent's scale; a part above the reference's highest counts as full."""
    weights = {part: float((weights or DEFAULT_WEIGHTS).get(part, 0.0)) for part in PARTS}
    total_weight = sum(weights.values()) or 1.0
    raw = {item.theme_id: _raw_parts(item) for item in stats}
    reference_raw = raw.values() if reference is None else [_raw_parts(i) for i in reference]
    highest = {part: max((values[part] for values in reference_raw), default=0.0) for part in PARTS}
    results = {}
    for item in stats:
        values = raw[item.theme_id]
        parts = {}
        for part in PARTS:
            if part == "trend":
                # −100 % → 0, flat → 0.5, +100 % → 1; a theme with no recent pain has no trend.
                scaled = (values["trend"] + 1.0) / 2.0 if item.volume_90 else 0.0
            else:
                scaled = min(1.0, values[part] / highest[part]) if highest[part] > 0 else 0.0
            parts[part] = round(100.0 * weights[part] * scaled / total_weight, 2)
        results[item.theme_id] = Impact(
            score=round(sum(parts.values()), 2),
            parts=parts,
            raw={**values, "churn_risk": item.churn_risk if item.churn_risk is not None else 0.0},
            emerging=is_emerging(item.weekly),
        )
    return results
