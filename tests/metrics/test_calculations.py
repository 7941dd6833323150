"""NPS, CSAT, CES and the rates against cases worked out by hand."""

import pytest

from metrics.calculations import (
    RateResult,
    adoption_breadth_from_counts,
    adoption_rate_from_counts,
    ces_from_moments,
    ces_mean,
    csat,
    csat_from_counts,
    nps,
    nps_from_counts,
    rate_from_counts,
    task_success_from_counts,
    wilson_interval,
)


def test_nps_of_five_promoters_three_passives_two_detractors():
    # p_prom = 0.5, p_det = 0.2 → NPS = 30
    # var = (0.5 + 0.2 − 0.3²) / 10 = 0.061; margin = 1.96 · √0.061 · 100 = 48.41
    scores = [9, 10, 9, 10, 9, 7, 8, 7, 3, 6]

    result = nps(scores)

    assert result.value == pytest.approx(30.0)
    assert (result.n, result.promoters, result.passives, result.detractors) == (10, 5, 3, 2)
    assert round(result.ci_low, 1) == -18.4
    assert round(result.ci_high, 1) == 78.4


def test_nps_category_boundaries():
    assert nps([6]).detractors == 1
    assert nps([7]).passives == 1
    assert nps([8]).passives == 1
    assert nps([9]).promoters == 1
    assert nps([0]).value == -100.0
    assert nps([10]).value == 100.0


def test_nps_of_nothing_is_none():
    result = nps([])

    assert result.value is None
    assert result.n == 0
    assert result.ci_low is None
    assert result.ci_high is None


def test_nps_of_only_passives_is_zero_with_no_spread():
    result = nps([7, 8, 7, 8])

    assert result.value == 0.0
    assert result.n == 4
    assert result.ci_low == 0.0
    assert result.ci_high == 0.0


def test_nps_skips_missing_answers():
    result = nps([10, None, 0, None, None])

    assert result.n == 2
    assert result.value == 0.0
    # var = (0.5 + 0.5 − 0) / 2 = 0.5; margin = 1.96 · √0.5 · 100 = 138.6 → clipped to ±100
    assert result.ci_low == -100.0
    assert result.ci_high == 100.0


def test_nps_interval_stays_within_the_scale():
    result = nps([10, 10, 10, 9, 6])

    assert result.value == pytest.approx(60.0)
    # var = (0.8 + 0.2 − 0.36) / 5 = 0.128; margin = 1.96 · √0.128 · 100 = 70.1
    assert round(result.ci_low, 1) == -10.1
    assert result.ci_high == 100.0


def test_nps_from_counts_matches_nps_of_scores():
    assert nps_from_counts(promoters=5, passives=3, detractors=2) == nps(
        [9, 10, 9, 10, 9, 7, 8, 7, 3, 6]
    )


@pytest.mark.parametrize("bad", [11, -1])
def test_nps_rejects_scores_off_the_scale(bad):
    with pytest.raises(ValueError, match="outside 0–10"):
        nps([5, bad])


def test_csat_is_the_share_of_fours_and_fives_with_a_wilson_interval():
    # 8 of 10 satisfied: p = 0.8, z² = 3.8416
    # centre = (0.8 + 0.19208) / 1.38416 = 0.71674
    # half   = 1.96 · √(0.016 + 0.009604) / 1.38416 = 0.22658 → 49.0 … 94.3
    result = csat([5, 4, 4, 5, 5, 4, 4, 5, 3, 1])

    assert result.value == pytest.approx(80.0)
    assert (result.n, result.satisfied) == (10, 8)
    assert round(result.ci_low, 1) == 49.0
    assert round(result.ci_high, 1) == 94.3


def test_csat_of_nothing_is_none():
    result = csat([None, None])

    assert result.value is None
    assert result.n == 0


def test_csat_interval_behaves_at_zero_percent():
    result = csat([1, 2, 3])

    assert result.value == 0.0
    assert result.ci_low == 0.0
    # Wilson upper bound for 0/3: z²/n / (1 + z²/n) = 1.28053 / 2.28053 = 56.2 %
    assert round(result.ci_high, 1) == 56.2


def test_csat_from_counts_rejects_impossible_counts():
    with pytest.raises(ValueError, match="between 0 and n"):
        csat_from_counts(satisfied=4, n=3)


@pytest.mark.parametrize("bad", [0, 6])
def test_csat_rejects_scores_off_the_scale(bad):
    with pytest.raises(ValueError, match="outside 1–5"):
        csat([4, bad])


def test_wilson_interval_needs_answers():
    with pytest.raises(ValueError, match="positive"):
        wilson_interval(0, 0)


def test_ces_mean_with_normal_interval():
    # mean 3, sample variance 2.5, standard error √(2.5/5) = 0.70711, margin 1.38593
    result = ces_mean([1, 2, 3, 4, 5, None])

    assert result.value == pytest.approx(3.0)
    assert result.n == 5
    assert round(result.ci_low, 3) == 1.614
    assert round(result.ci_high, 3) == 4.386


def test_ces_mean_of_one_answer_has_no_interval():
    result = ces_mean([6])

    assert result.value == 6.0
    assert result.ci_low is None
    assert result.ci_high is None


def test_ces_mean_of_nothing_is_none():
    assert ces_mean([]).value is None


def test_ces_from_moments_matches_ces_mean():
    assert ces_from_moments(n=5, total=15, total_of_squares=55) == ces_mean([1, 2, 3, 4, 5])


def test_ces_rejects_scores_off_the_scale():
    with pytest.raises(ValueError, match="outside 1–7"):
        ces_mean([8])


# --- rates: adoption, task success, adherence -------------------------------------------------


def test_task_success_is_successes_over_attempts_with_a_wilson_interval():
    # 90 of 100: z² = 3.8416, denominator 1.038416
    # centre = (0.9 + 0.019208) / 1.038416 = 0.885209
    # half   = 1.96 · √(0.0009 + 0.00009604) / 1.038416 = 0.059570 → 82.56 … 94.48
    result = task_success_from_counts(successes=90, attempts=100)

    assert result.value == pytest.approx(90.0)
    assert (result.n, result.successes) == (100, 90)
    assert round(result.ci_low, 2) == 82.56
    assert round(result.ci_high, 2) == 94.48


def test_adoption_rate_of_one_feature():
    # 3 of 4 active users: Wilson 30.06 … 95.44
    result = adoption_rate_from_counts(adopters=3, active=4)

    assert result.value == pytest.approx(75.0)
    assert round(result.ci_low, 2) == 30.06
    assert round(result.ci_high, 2) == 95.44


def test_adoption_breadth_is_the_user_weighted_mean_of_the_features():
    # export 3 of 4, dashboards 2 of 4 → (3 + 2) / (2 · 4) = 62.5 %; mean adopters 2.5 of 4
    result = adoption_breadth_from_counts(feature_users={"export": 3, "dashboards": 2}, active=4)

    assert result.value == pytest.approx(62.5)
    assert result.n == 4
    assert round(result.ci_low, 2) == 21.94
    assert round(result.ci_high, 2) == 90.81


def test_adoption_breadth_without_tracked_features_has_no_value():
    result = adoption_breadth_from_counts(feature_users={}, active=40)

    assert (result.value, result.n, result.ci_low) == (None, 0, None)


def test_rates_of_nothing_are_none():
    assert task_success_from_counts(successes=0, attempts=0) == RateResult(None, 0, 0, None, None)
    assert adoption_rate_from_counts(adopters=0, active=0).value is None


def test_rate_at_zero_and_at_one_hundred_percent_stays_in_range():
    none_of_five = rate_from_counts(successes=0, n=5)
    all_of_five = rate_from_counts(successes=5, n=5)

    assert none_of_five.ci_low == pytest.approx(0.0, abs=1e-9)
    assert round(none_of_five.ci_high, 2) == 43.45
    assert round(all_of_five.ci_low, 2) == 56.55
    assert all_of_five.ci_high == 100.0


def test_rate_rejects_impossible_counts():
    with pytest.raises(ValueError, match="between 0 and n"):
        task_success_from_counts(successes=5, attempts=4)


def test_ces_interval_is_clipped_to_the_scale():
    # mean 4, sample variance 8, margin 1.96 · √(8 / 2) = 3.92 → 0.08 … 7.92, clipped
    result = ces_mean([2, 6])

    assert (result.value, result.ci_low, result.ci_high) == (4.0, 1.0, 7.0)
