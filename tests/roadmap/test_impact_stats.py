"""The statistics of impact reviews: windows, rate tests, differences and verdicts. No database."""

import datetime as dt
import math

import pytest
from scipy import stats

from roadmap import impact_stats as st
from roadmap.models import ImpactReview

# --- windows ------------------------------------------------------------------------------------


def test_a_short_review_compares_its_own_length_either_side_of_the_ship_day():
    # Given an item shipped mid-January with a 60-day metric
    # When the 30-day review's windows are drawn
    w = st.impact_windows(shipped_on=dt.date(2026, 1, 15), days_after=30, metric_window_days=60)
    # Then each side is 30 days, the ship day in neither, the after side ending on the review day
    assert w.days == 30
    assert (w.before_start, w.before_end) == (dt.date(2025, 12, 16), dt.date(2026, 1, 14))
    assert (w.after_start, w.after_end) == (dt.date(2026, 1, 16), dt.date(2026, 2, 14))
    # And no whole usage month after the ship date has ended yet
    assert w.months_after == w.months_before == ()


def test_a_late_review_looks_at_the_last_window_of_the_metric():
    # Given the 90-day review of a 60-day metric
    w = st.impact_windows(shipped_on=dt.date(2026, 1, 15), days_after=90, metric_window_days=60)
    # Then it compares the 60 days before with days 31–90 after, and two whole months each side
    assert w.days == 60
    assert (w.before_start, w.before_end) == (dt.date(2025, 11, 16), dt.date(2026, 1, 14))
    assert (w.after_start, w.after_end) == (dt.date(2026, 2, 15), dt.date(2026, 4, 15))
    assert w.months_before == (dt.date(2025, 11, 1), dt.date(2025, 12, 1))
    assert w.months_after == (dt.date(2026, 2, 1), dt.date(2026, 3, 1))


def test_shipping_on_the_first_counts_that_month_as_after():
    w = st.impact_windows(shipped_on=dt.date(2026, 1, 1), days_after=30, metric_window_days=60)
    assert w.months_before == (dt.date(2025, 12, 1),)
    assert w.months_after == (dt.date(2026, 1, 1),)


# --- volume -------------------------------------------------------------------------------------


def test_weekly_counts_keep_whole_weeks_only():
    assert st.weekly_counts([1] * 16) == [7, 7]
    assert st.weekly_counts([1] * 6) == []


def test_dispersion_is_about_one_for_steady_counts_and_high_for_bursts():
    assert st.dispersion([10, 10, 10], [5, 5, 5]) == 0
    assert st.dispersion([1, 30, 2, 1], [0, 1, 25, 0]) > 10
    assert st.dispersion([3], []) is None


def test_the_same_rate_on_both_sides_is_no_change():
    result = st.rate_change_test(before=40, after=40, before_days=60, after_days=60)
    assert result.change == 0
    assert result.p_value == pytest.approx(1.0)
    assert result.ci_low < 0 < result.ci_high


def test_halving_a_large_count_is_beyond_noise_and_its_interval_holds_the_truth():
    # Given 200 mentions before and 100 after in equally long windows
    result = st.rate_change_test(before=200, after=100, before_days=60, after_days=60)
    # Then the change is −50 %, the exact test rejects "no change", and the interval holds −50
    assert result.change == pytest.approx(-50)
    assert result.p_value < 1e-6
    assert result.ci_low < -50 < result.ci_high < 0
    assert result.method.startswith("exact")


def test_the_exact_test_matches_the_binomial_by_hand():
    # 13 before, 1 after: under no change the after count is Binomial(14, ½)
    result = st.rate_change_test(before=13, after=1, before_days=60, after_days=60)
    assert result.p_value == pytest.approx(2 * (1 + 14) / 2**14)
    assert result.change == pytest.approx((1 / 13 - 1) * 100)


def test_unequal_windows_compare_rates_per_day():
    result = st.rate_change_test(before=60, after=15, before_days=60, after_days=30)
    assert result.change == pytest.approx(-50)


def test_bursty_weeks_switch_to_the_wider_quasi_poisson_interval():
    steady = st.rate_change_test(before=40, after=20, before_days=28, after_days=28)
    bursty = st.rate_change_test(
        before=40,
        after=20,
        before_days=28,
        after_days=28,
        before_weekly=[1, 37, 1, 1],
        after_weekly=[0, 1, 18, 1],
    )
    assert bursty.method.startswith("quasi-Poisson")
    assert bursty.dispersion > 1
    assert bursty.p_value > steady.p_value
    assert bursty.ci_high - bursty.ci_low > steady.ci_high - steady.ci_low


def test_empty_windows_are_no_evidence():
    nothing = st.rate_change_test(before=0, after=0, before_days=30, after_days=30)
    assert (nothing.change, nothing.p_value) == (None, 1.0)
    appeared = st.rate_change_test(before=0, after=12, before_days=30, after_days=30)
    assert appeared.change is None
    assert appeared.p_value < 0.001
    with pytest.raises(ValueError, match="at least one day"):
        st.rate_change_test(before=1, after=1, before_days=0, after_days=30)


# --- differences --------------------------------------------------------------------------------


def test_nps_change_uses_the_variance_of_each_score():
    # Given NPS 0 (30/40/30 of 100) before and +40 (60/20/20 of 100) after
    result = st.nps_change_test(before=(30, 40, 30), after=(60, 20, 20))
    # Then the difference is 40 points with the z-test from both variances
    variance = ((0.6 - 0) / 100 + (0.8 - 0.16) / 100) * 10_000
    assert result.difference == pytest.approx(40)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(40 / math.sqrt(variance)))
    assert result.ci_low < 40 < result.ci_high
    assert st.nps_change_test(before=(0, 0, 0), after=(1, 0, 0)).p_value is None


def test_proportion_change_is_a_two_proportion_z_test():
    result = st.proportion_change_test(
        before_successes=50, before_n=100, after_successes=70, after_n=100
    )
    assert result.difference == pytest.approx(20)
    assert result.p_value == pytest.approx(0.00389, abs=1e-4)
    assert result.ci_low > 0


def test_welch_from_moments_matches_scipy():
    before = [0.1, -0.4, -0.2, -0.6, 0.0, -0.3]
    after = [0.3, 0.1, 0.5, -0.1, 0.2]

    def moments(xs):
        return st.Moments(len(xs), sum(xs), sum(x * x for x in xs))

    result = st.mean_change_test(before=moments(before), after=moments(after))
    expected = stats.ttest_ind(after, before, equal_var=False)
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.difference == pytest.approx(sum(after) / 5 - sum(before) / 6)
    assert st.mean_change_test(before=moments([0.1]), after=moments(after)).p_value is None


def test_paired_change_matches_scipy_in_points():
    pairs = [(0.30, 0.20), (0.50, 0.42), (0.10, 0.12), (0.70, 0.50), (0.40, 0.31)]
    result = st.paired_change_test(pairs=pairs, scale=100)
    expected = stats.ttest_rel([a for _, a in pairs], [b for b, _ in pairs])
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.difference == pytest.approx(-9.0)
    assert result.before == pytest.approx(40.0)


# --- verdicts -----------------------------------------------------------------------------------


def _change(observed, low, high, p, target=-50, better=-1, unit=" %"):
    return st.verdict_for_change(
        observed=observed,
        ci_low=low,
        ci_high=high,
        p_value=p,
        target=target,
        unit=unit,
        better=better,
    )[0]


@pytest.mark.parametrize(
    ("observed", "low", "high", "p", "verdict"),
    [
        (-70, -85, -48, 0.001, st.MET),  # reached, beyond noise
        (-50, -60, -38, 0.001, st.MET),  # exactly on target
        (30, 10, 55, 0.01, st.NOT_MET),  # up, beyond noise
        (-20, -35, -4, 0.02, st.NOT_MET),  # down, but even the best end misses −50
        (-40, -75, 20, 0.2, st.INCONCLUSIVE),  # within noise
        (-60, -90, 10, 0.08, st.INCONCLUSIVE),  # reached, within noise
        (-40, -60, -15, 0.01, st.INCONCLUSIVE),  # real, short, the target still plausible
    ],
)
def test_volume_verdicts(observed, low, high, p, verdict):
    assert _change(observed, low, high, p) == verdict


def test_a_rising_target_reads_upward():
    assert _change(12, 4, 20, 0.003, target=10, better=1, unit=" points") == st.MET
    assert _change(-6, -12, -1, 0.03, target=10, better=1, unit=" points") == st.NOT_MET
    assert _change(None, None, None, None) == st.INCONCLUSIVE


def test_level_verdicts():
    rise = st.Difference(30.0, 42.0, 12.0, 8.0, 16.0, 0.0001, "z")
    flat = st.Difference(38.0, 41.0, 3.0, -2.0, 8.0, 0.3, "z")
    fall = st.Difference(45.0, 38.0, -7.0, -11.0, -3.0, 0.001, "z")
    assert st.verdict_for_level(after=42, after_ci_high=45, change=rise, target=40)[0] == st.MET
    assert st.verdict_for_level(after=41, after_ci_high=45, change=flat, target=40)[0] == (
        st.INCONCLUSIVE
    )
    assert st.verdict_for_level(after=38, after_ci_high=41, change=fall, target=40)[0] == (
        st.NOT_MET
    )
    assert st.verdict_for_level(after=30, after_ci_high=33, change=flat, target=40)[0] == (
        st.NOT_MET
    )


def test_the_verdicts_are_the_models_values():
    assert {st.MET, st.NOT_MET, st.INCONCLUSIVE} < set(ImpactReview.Verdict.values)


def test_reasons_say_the_figures_and_the_p_value():
    verdict, reason = st.verdict_for_change(
        observed=-84.6, ci_low=-97, ci_high=-60, p_value=0.0004, target=-50, unit=" %", better=-1
    )
    assert verdict == st.MET
    assert "−84.6 %" in reason
    assert "−50.0 %" in reason
    assert "p < 0.001" in reason
