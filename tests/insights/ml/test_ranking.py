"""The impact score: each part is a figure a PM can check by hand."""

import pytest

from insights.ml.ranking import (
    DEFAULT_WEIGHTS,
    PAIN,
    STRENGTH,
    StrengthStats,
    ThemeStats,
    growth,
    impact_scores,
    is_emerging,
    nps_impact,
    nps_lift,
    strength_scores,
    theme_polarity,
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


# --- polarity: a pain point is a problem ------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # 7 of 10 positive: a strength
        ({"positive": 7, "negative": 2, "neutral": 1}, STRENGTH),
        # exactly 60 % is not more than 60 %: still a pain point
        ({"positive": 6, "negative": 2, "neutral": 2}, PAIN),
        # neutral counts against: a theme of shrugs is not valued
        ({"positive": 5, "negative": 0, "neutral": 5}, PAIN),
        ({"positive": 1, "negative": 8, "neutral": 1}, PAIN),
        # too small to be a strength: 4 happy comments stay where a PM sees them
        ({"positive": 4, "negative": 0, "neutral": 0}, PAIN),
        ({"positive": 5, "negative": 0, "neutral": 0}, STRENGTH),
        ({"positive": 0, "negative": 0, "neutral": 0}, PAIN),
    ],
)
def test_a_theme_is_a_strength_when_more_than_60_percent_is_positive(counts, expected):
    assert theme_polarity(**counts) == expected


def test_scores_are_evidence_too():
    # 7 of 10 comments read positive, but 6 of them came with an NPS of 0–6: 7 + 0 positive
    # votes of 20 — the customers' own verdict outweighs the tone
    assert theme_polarity(positive=7, negative=2, neutral=1) == STRENGTH
    assert theme_polarity(positive=7, negative=2, neutral=1, detractors=6, passives=4) == PAIN
    # 6 of 10 positive is not enough alone; with 8 promoters of 10 answers it is (14 of 20)
    assert theme_polarity(positive=6, negative=2, neutral=2) == PAIN
    assert theme_polarity(positive=6, negative=2, neutral=2, promoters=8, passives=2) == STRENGTH
    # scores alone count as members: 6 promoters on comments not analysed yet
    assert theme_polarity(positive=0, negative=0, neutral=0, promoters=6) == STRENGTH
    assert theme_polarity(positive=0, negative=0, neutral=0, promoters=4) == PAIN


def test_nps_lift_compares_the_themes_respondents_with_everyone():
    # 8 promoters, 1 detractor of 10: NPS 70, against an organisation at 20
    assert nps_lift(
        promoters=8, detractors=1, respondents=10, organisation_nps=20.0
    ) == pytest.approx(50.0)
    # too few answers, or nothing to compare with
    assert nps_lift(promoters=4, detractors=0, respondents=4, organisation_nps=20.0) is None
    assert nps_lift(promoters=8, detractors=1, respondents=10, organisation_nps=None) is None


def test_strengths_rank_by_praise_and_nps_lift():
    scores = strength_scores(
        [
            StrengthStats(theme_id=1, volume_90=100, nps_lift=10.0),
            StrengthStats(theme_id=2, volume_90=50, nps_lift=40.0),
            StrengthStats(theme_id=3, volume_90=50, nps_lift=None),
            StrengthStats(theme_id=4, volume_90=50, nps_lift=-30.0),
        ]
    )
    # half volume, half lift, each against the highest
    assert scores[1].parts == {"volume": 50.0, "nps_lift": 12.5}
    assert scores[2].parts == {"volume": 25.0, "nps_lift": 50.0}
    assert scores[2].score > scores[1].score > scores[3].score
    # an unknown or negative lift adds nothing
    assert scores[3].score == scores[4].score == 25.0


def test_sub_themes_are_scored_on_the_scale_of_the_list_they_are_shown_in():
    parent = stats(1, volume_90=100, arr_affected=100_000.0, nps_impact=4.0, negative_share=0.4)
    child = stats(2, volume_90=50, arr_affected=25_000.0, nps_impact=1.0, negative_share=0.8)
    alone = impact_scores([child])[2]
    against_parent = impact_scores([child], reference=[parent])[2]
    # alone it would be the biggest theme; on its parent's scale it gets half the volume points,
    # and its share negative above the parent's counts as full, not more
    assert alone.parts["volume"] == pytest.approx(100 * DEFAULT_WEIGHTS["volume"])
    assert against_parent.parts["volume"] == pytest.approx(50 * DEFAULT_WEIGHTS["volume"])
    assert against_parent.parts["negativity"] == pytest.approx(100 * DEFAULT_WEIGHTS["negativity"])
    assert against_parent.score < alone.score
