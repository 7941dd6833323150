"""The customer-impact score of a backlog item, RICE-style: plain arithmetic, no ORM.

    score = reach × impact × confidence ÷ effort

- **reach**: the accounts whose feedback is in the item's linked pain points, each weighted by its
  ARR and its churn risk: Σ (ARR ÷ average ARR) × (1 + churn risk). An account of average size
  with no churn score counts 1; one twice the average at 50 % risk counts 2 × 1.5 = 3. Churned
  accounts count nothing (their experience can no longer improve). Without ARR figures (an
  average of zero) every account weighs 1 before its churn risk.
- **impact**: the item's impact level as a multiplier (minimal ×0.25 … massive ×3).
- **confidence**: the item's confidence, 0–100 %, as a fraction.
- **effort**: person-weeks. Without an estimate there is no score, and the item ranks last.
"""

from collections.abc import Iterable
from dataclasses import dataclass

IMPACT_MULTIPLIERS: dict[str, float] = {
    "minimal": 0.25,
    "low": 0.5,
    "medium": 1.0,
    "high": 2.0,
    "massive": 3.0,
}


@dataclass(frozen=True)
class AffectedAccount:
    arr: float
    churn_risk: float | None = None  # probability 0–1 from the latest churn scoring, if any
    churned: bool = False


@dataclass(frozen=True)
class RiceScore:
    accounts: int  # affected accounts that have not churned
    reach: float  # the same accounts weighted by ARR and churn risk
    impact: float  # the impact level's multiplier
    confidence: float  # 0–1
    effort_weeks: float | None
    score: float | None  # None without an effort estimate

    @property
    def confidence_percent(self) -> int:
        return round(self.confidence * 100)

    @property
    def sort_key(self) -> tuple[bool, float]:
        """Highest score first, items without a score last (sort ascending)."""
        return (self.score is None, -(self.score or 0.0))


def account_weight(account: AffectedAccount, *, average_arr: float) -> float:
    if account.churned:
        return 0.0
    size = account.arr / average_arr if average_arr > 0 else 1.0
    return size * (1.0 + (account.churn_risk or 0.0))


def reach_weighted(accounts: Iterable[AffectedAccount], *, average_arr: float) -> float:
    return sum(account_weight(account, average_arr=average_arr) for account in accounts)


def rice_score(
    *,
    accounts: Iterable[AffectedAccount],
    average_arr: float,
    impact_level: str,
    confidence_percent: float,
    effort_weeks: float | None,
) -> RiceScore:
    accounts = list(accounts)
    reach = reach_weighted(accounts, average_arr=average_arr)
    impact = IMPACT_MULTIPLIERS.get(impact_level, IMPACT_MULTIPLIERS["medium"])
    confidence = min(max(confidence_percent, 0.0), 100.0) / 100.0
    score = None
    if effort_weeks is not None and effort_weeks > 0:
        score = reach * impact * confidence / effort_weeks
    return RiceScore(
        accounts=sum(1 for account in accounts if not account.churned),
        reach=reach,
        impact=impact,
        confidence=confidence,
        effort_weeks=effort_weeks,
        score=score,
    )
