"""The impact score: each part is a figure a PM can check by hand."""

import pytest

from insights.ml.ranking import (
    DEFAULT_WEIGHTS,
    ThemeStats,
    growth,
    impact_scores,
    is_emerging,
    nps_impact,
)


def stats(theme_id: int, **values) -> ThemeStats:
    base = {
        "volume_90": 10,
        "volume_30": 4,
        "volume_previous_30": 4,
        "negative_share": 0.5,
        "nps_impact": 1.0,
        "arr_affected": 10_000.0,
        "churn_risk": None,
    }
    base.update(values)
    return ThemeStats(theme_id=theme_id, **base)


def test_nps_impact_is_the_thematic_method():
    # 200 respondents: 80 promoters, 60 detractors → NPS 10. If the theme's 20 detractors had
    # been passives: 80 promoters, 40 detractors → NPS 20, i.e. +10 points.
    assert nps_impact(theme_detractors=20, respondents=200) == pytest.approx(10.0)
    assert nps_impact(theme_detractors=5, respondents=0) == 0.0


@pytest.mark.parametrize(
    ("recent", "previous", "expected"),
    [(10, 5, 1.0), (15, 5, 1.0), (5, 10, -0.5), (0, 10, -1.0), (3, 0, 1.0), (0, 0, 0.0)],
)
def test_growth_is_clipped_relative_change(recent, previous, expected):
    assert growth(recent, previous) == expected


def test_parts_add_up_to_the_score_and_the_biggest_theme_leads():
    scores = impact_scores(
        [stats(1, volume_90=100, arr_affected=500_000, nps_impact=6), stats(2)],
        weights=DEFAULT_WEIGHTS,
    )
    for impact in scores.values():
        assert impact.score == pytest.approx(sum(impact.parts.values()), abs=0.05)
        assert 0 <= impact.score <= 100
    assert scores[1].score > scores[2].score
    assert scores[1].parts["volume"] == pytest.approx(100 * DEFAULT_WEIGHTS["volume"])


def test_a_weight_of_zero_removes_a_part():
    weights = {**DEFAULT_WEIGHTS, "arr": 0.0}
    scores = impact_scores(
        [stats(1, arr_affected=1e6), stats(2, arr_affected=1.0)], weights=weights
    )
    assert scores[1].parts["arr"] == 0
    assert scores[1].score == pytest.approx(scores[2].score)


def test_the_default_weights_sum_to_one_and_count_churn_risk():
    # Churn scores exist since issue #7: the part is live by default.
    assert sum(DEFAULT_WEIGHTS.values()) == pytest.approx(1.0)
    assert DEFAULT_WEIGHTS["churn_risk"] == 0.15
    # Expected ARR lost, 0.6 × 10,000 against 0.1 × 10,000: the first gets the full 15 points
    scores = impact_scores([stats(1, churn_risk=0.6), stats(2, churn_risk=0.1)])
    assert scores[1].parts["churn_risk"] == pytest.approx(15.0)
    assert scores[2].parts["churn_risk"] == pytest.approx(2.5)


def test_churn_risk_counts_only_with_a_weight_and_scores():
    weights = {**DEFAULT_WEIGHTS, "churn_risk": 0.2}
    scores = impact_scores(
        [stats(1, churn_risk=0.6, arr_affected=1000.0), stats(2, churn_risk=None)], weights=weights
    )
    assert scores[1].parts["churn_risk"] > 0
    assert scores[2].parts["churn_risk"] == 0


def test_emerging_means_a_spike_against_its_own_baseline():
    assert is_emerging([2, 3, 2, 2, 3, 2, 2, 3, 2, 2, 14, 16])
    assert not is_emerging([20, 22, 19, 21, 20, 23, 22, 20, 21, 19, 24, 22])
    assert not is_emerging([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2])  # too little to matter
    assert not is_emerging([5, 30])  # too short a history


def test_a_theme_with_no_recent_pain_scores_nothing():
    quiet = stats(2, volume_90=0, volume_30=0, volume_previous_30=0, negative_share=0, nps_impact=0)
    scores = impact_scores([stats(1), quiet], weights=DEFAULT_WEIGHTS)
    assert scores[2].parts["trend"] == 0
    assert scores[2].parts["volume"] == 0
