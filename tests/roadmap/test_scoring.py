"""The customer-impact score's arithmetic: no database."""

import pytest

from roadmap.models import BacklogItem
from roadmap.scoring import (
    IMPACT_MULTIPLIERS,
    AffectedAccount,
    account_weight,
    reach_weighted,
    rice_score,
)


def test_every_impact_level_has_a_multiplier():
    assert set(IMPACT_MULTIPLIERS) == set(BacklogItem.ImpactLevel.values)
    assert IMPACT_MULTIPLIERS["minimal"] == 0.25
    assert IMPACT_MULTIPLIERS["massive"] == 3.0


def test_an_average_account_without_churn_risk_counts_one():
    assert account_weight(AffectedAccount(arr=50_000), average_arr=50_000) == 1.0


def test_a_bigger_account_at_risk_counts_more():
    # twice the average ARR, 50 % churn risk: 2 × 1.5
    account = AffectedAccount(arr=100_000, churn_risk=0.5)

    assert account_weight(account, average_arr=50_000) == pytest.approx(3.0)


def test_churned_accounts_count_nothing():
    assert account_weight(AffectedAccount(arr=90_000, churned=True), average_arr=30_000) == 0.0


def test_without_arr_figures_every_account_weighs_one_before_its_risk():
    accounts = [AffectedAccount(arr=0), AffectedAccount(arr=0, churn_risk=0.2)]

    assert reach_weighted(accounts, average_arr=0) == pytest.approx(2.2)


def test_score_is_reach_times_impact_times_confidence_over_effort():
    # Given three accounts of average size, one of them at 40 % risk
    accounts = [
        AffectedAccount(arr=20_000),
        AffectedAccount(arr=20_000),
        AffectedAccount(arr=20_000, churn_risk=0.4),
        AffectedAccount(arr=80_000, churned=True),
    ]

    # When scored at high impact, 80 % confidence and 4 person-weeks
    score = rice_score(
        accounts=accounts,
        average_arr=20_000,
        impact_level="high",
        confidence_percent=80,
        effort_weeks=4,
    )

    # Then each part is there, and the score is their product over the effort
    assert score.accounts == 3
    assert score.reach == pytest.approx(3.4)
    assert score.impact == 2.0
    assert score.confidence == pytest.approx(0.8)
    assert score.confidence_percent == 80
    assert score.score == pytest.approx(3.4 * 2.0 * 0.8 / 4)


@pytest.mark.parametrize("effort", [None, 0])
def test_no_effort_estimate_means_no_score_and_ranks_last(effort):
    unscored = rice_score(
        accounts=[AffectedAccount(arr=1)],
        average_arr=1,
        impact_level="massive",
        confidence_percent=100,
        effort_weeks=effort,
    )
    scored = rice_score(
        accounts=[], average_arr=1, impact_level="low", confidence_percent=10, effort_weeks=1
    )

    assert unscored.score is None
    assert sorted([unscored, scored], key=lambda s: s.sort_key) == [scored, unscored]


def test_confidence_is_kept_within_0_and_100_percent():
    score = rice_score(
        accounts=[AffectedAccount(arr=1)],
        average_arr=1,
        impact_level="medium",
        confidence_percent=150,
        effort_weeks=1,
    )

    assert score.confidence == 1.0
