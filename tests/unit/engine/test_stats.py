"""Our statistics agree with scipy's reference implementations (or exact enumeration) on the same data."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import optimize, stats

from drift_retrain.engine.profile import profile_numeric
from drift_retrain.engine.stats import (
    adjust_pvalues,
    beyond_range_test,
    category_test,
    corrected_w,
    earlier_test,
    effective_size,
    error_rate_test,
    ks_against_profile,
    lag1_autocorrelation,
    loss_test,
    pair_moments,
    psi,
    repeat_test,
    unseen_test,
)
from drift_retrain.engine.stats.categories import grouped_table
from drift_retrain.engine.stats.concept import restricted_rates
from drift_retrain.engine.stats.contingency import missing_rate_test


@pytest.mark.parametrize(
    ("baseline_rows", "batch_rows", "shift"),
    [(500, 40, 0.0), (5_000, 300, 0.3), (50_000, 5_000, 0.05), (300_000, 60_000, 0.02)],
)
def test_ks_matches_scipy_ks_2samp(baseline_rows, batch_rows, shift):
    rng = np.random.default_rng(baseline_rows)
    baseline = rng.normal(size=baseline_rows)
    batch = rng.normal(shift, 1.0, size=batch_rows)
    column = profile_numeric("x", baseline)
    statistic, p_value = ks_against_profile(np.sort(batch), column)
    reference = stats.ks_2samp(batch, baseline, method="asymp")
    # exact profiles (small baselines) agree to rounding, the 10,001-point sketch within 1e-4
    assert statistic == pytest.approx(reference.statistic, abs=1e-4 if not column.exact else 1e-12)
    assert p_value == pytest.approx(reference.pvalue, rel=0.05, abs=1e-6)


def test_ks_on_discrete_columns_uses_exact_counts_and_matches_scipy():
    rng = np.random.default_rng(5)
    baseline = rng.integers(0, 7, 100_000).astype(float)
    batch = rng.integers(0, 8, 2_000).astype(float)
    column = profile_numeric("x", baseline)
    assert column.exact
    statistic, _ = ks_against_profile(np.sort(batch), column)
    assert statistic == pytest.approx(stats.ks_2samp(batch, baseline).statistic, abs=1e-12)


def test_ks_with_an_atom_in_a_continuous_column():
    rng = np.random.default_rng(9)
    baseline = np.where(rng.random(400_000) < 0.3, 0.0, rng.exponential(size=400_000))
    batch = np.where(rng.random(20_000) < 0.4, 0.0, rng.exponential(size=20_000))
    column = profile_numeric("x", baseline)
    assert not column.exact
    statistic, _ = ks_against_profile(np.sort(batch), column)
    assert statistic == pytest.approx(stats.ks_2samp(batch, baseline).statistic, abs=2e-4)


def test_category_test_matches_chi2_contingency_when_cells_are_large():
    baseline = np.array([5000, 3000, 2000])
    batch = np.array([480, 320, 200])
    outcome = category_test(baseline, batch)
    reference = stats.chi2_contingency(np.array([baseline, batch]))
    assert (outcome.statistic, outcome.p_value, outcome.details["dof"]) == pytest.approx(
        (reference.statistic, reference.pvalue, reference.dof)
    )


def test_category_test_pools_rare_categories_by_combined_counts():
    baseline = np.array([9000, 900, 90, 9, 1, 0])
    batch = np.array([90, 9, 1, 0, 0, 0])
    # the 100-row batch expects >= 5 rows only in the first two categories; the rest is too small for a
    # pool of its own, so its share gets Fisher's exact test, Bonferroni-combined with the chi-square
    table, remainder = grouped_table(baseline.astype(float), batch.astype(float))
    assert table.tolist() == [[9000, 900], [90, 9]] and remainder == (100, 1)
    outcome = category_test(baseline, batch)
    chi2 = stats.chi2_contingency(table).pvalue
    fisher = stats.fisher_exact([[100, 9900], [1, 99]]).pvalue
    assert outcome.p_value == pytest.approx(min(1.0, 2 * min(chi2, fisher)))
    # a new category at 2% of a 1,000-row batch stands out
    assert category_test(np.array([5000, 5000, 0]), np.array([490, 490, 20])).p_value < 1e-5


def test_category_test_on_levels_all_rare_in_the_batch_is_computed_not_p_one():
    """The issue's case: 800 levels expected under 5 times each and a surge of 200 rows on a new level."""
    outcome = category_test(np.array([125] * 800 + [0]), np.array([1] * 800 + [200]))
    assert outcome.tested and outcome.p_value < 1e-12 and outcome.details["dof"] >= 100
    same = category_test(np.array([125] * 800), np.array([1] * 800))
    assert same.tested and same.p_value > 0.5 and same.effect == 0.0


@pytest.mark.parametrize(
    "batch",
    [
        np.array([0, 0, 0, 200, 0]),  # the column left empty in a 200-row batch (missing is the 4th cell)
        np.array([0, 0, 0, 0, 150]),  # only a never-seen level
        np.array([0, 0, 0, 120, 80]),  # empty or never-seen
    ],
)
def test_category_test_on_a_small_batch_outside_every_baseline_level_is_computed(batch):
    """Baseline levels the batch expects 5+ times but never holds, the batch's rows all in a remainder
    too small for a cell: the remainder's exact test decides (chi-square on the big cells would divide
    by a zero margin)."""
    outcome = category_test(np.array([12_000, 5_000, 3_000, 0, 0]), batch)
    assert outcome.tested and outcome.p_value < 1e-100 and outcome.details["remainder_p_value"] < 1e-100


def test_pooling_ignores_which_sample_a_row_came_from():
    """Pools follow combined counts and the tie-break keys only: swapping rows between samples within a
    pool leaves the pooled table's margins unchanged."""
    keys = np.arange(24)[::-1]
    first, _ = grouped_table(np.array([500.0, 3, 2, 1, 0, 0] * 4), np.array([50.0, 0, 1, 1, 1, 1] * 4), keys)
    second, _ = grouped_table(np.array([500.0, 2, 3, 0, 1, 0] * 4), np.array([50.0, 1, 0, 2, 0, 1] * 4), keys)
    assert first.shape[1] > 2 and first.sum(axis=0).tolist() == second.sum(axis=0).tolist()


@pytest.mark.parametrize(
    ("baseline", "batch", "reason"),
    [
        (np.array([100, 100]), np.array([3, 4]), "too few rows"),
        (np.array([100, 0]), np.array([30, 0]), "one level"),
        (np.array([100, 100]), np.array([0, 0]), "no rows"),
    ],
)
def test_category_test_says_why_it_cannot_be_computed(baseline, batch, reason):
    outcome = category_test(baseline, batch)
    assert not outcome.tested and outcome.p_value is None and reason in outcome.reason


def test_corrected_w_removes_the_no_drift_bias_and_is_cohens_w_for_large_samples():
    assert corrected_w(90.0, 100, 1_000, 100_000) == 0.0  # below its no-drift expectation
    rng = np.random.default_rng(4)
    base_shares = np.array([0.5, 0.3, 0.2])
    batch_shares = np.array([0.45, 0.3, 0.25])
    expected_w = np.sqrt(np.sum((batch_shares - base_shares) ** 2 / base_shares))
    baseline = rng.multinomial(2_000_000, base_shares)
    batch = rng.multinomial(500_000, batch_shares)
    outcome = category_test(baseline, batch)
    assert outcome.effect == pytest.approx(expected_w, rel=0.03)


def test_unseen_test_is_the_one_sided_fisher_exact_test():
    outcome = unseen_test(12, 40, 100_000, 1_000)
    table = [[12, 1_000 - 12], [28, 100_000 - 28]]
    assert outcome.p_value == pytest.approx(stats.fisher_exact(table, alternative="greater").pvalue)
    assert outcome.effect > 0.5
    quiet = unseen_test(0, 500, 100_000, 1_000)
    assert quiet.p_value == 1.0 and quiet.effect == 0.0
    with pytest.raises(ValueError, match="unseen rows"):
        unseen_test(5, 3, 100, 10)


def _exact_pair_distribution(shares: np.ndarray, rows: int) -> tuple[float, float]:
    """Mean and variance of the number of pairs sharing a level, by enumerating every multinomial outcome."""
    from itertools import product
    from math import comb, factorial, prod

    mean = second = 0.0
    for counts in product(range(rows + 1), repeat=len(shares)):
        if sum(counts) != rows:
            continue
        weight = factorial(rows) / prod(factorial(c) for c in counts) * prod(shares**counts)
        pairs = sum(comb(c, 2) for c in counts)
        mean += weight * pairs
        second += weight * pairs**2
    return mean, second - mean**2


def test_repeat_test_moments_are_the_exact_pair_count_moments():
    """With a baseline so large its estimates are exact, the test's mean and variance match enumeration."""
    shares = np.array([0.5, 0.3, 0.15, 0.05])
    mean, variance = _exact_pair_distribution(shares, 6)
    s2, s3 = float(np.sum(shares**2)), float(np.sum(shares**3))
    outcome = repeat_test(np.array([3, 2, 1, 0]), s2, s3, 10**12)  # 3 + 1 = 4 pairs among 6 rows
    assert outcome.statistic == 4 and outcome.details["expected_pairs"] == pytest.approx(mean)
    shape, scale = mean**2 / variance, variance / mean  # the gamma with the exact mean and variance
    assert outcome.p_value == pytest.approx(stats.gamma.sf(3.5, shape, scale=scale), rel=1e-6)


def test_repeat_test_flags_a_repeat_in_a_column_that_never_repeats():
    assert pair_moments(np.ones(50_000)) == (0.0, 0.0)
    unique = repeat_test(np.ones(1_000), 0.0, 0.0, 50_000)
    assert unique.p_value == 1.0 and unique.effect == 0.0
    duplicated = repeat_test(np.array([2.0] + [1.0] * 998), 0.0, 0.0, 50_000)
    assert duplicated.p_value < 1e-3 and duplicated.effect >= 0.99
    assert not repeat_test(np.array([1.0]), 0.1, 0.01, 100).tested


def test_repeat_test_on_a_single_level_baseline_says_every_pair_already_repeats():
    outcome = repeat_test(np.array([40.0]), 1.0, 1.0, 3_000)
    assert not outcome.tested and "single level" in outcome.reason


def test_lag1_autocorrelation_and_effective_size():
    rng = np.random.default_rng(8)
    noise = rng.normal(size=20_000)
    series = np.empty_like(noise)
    series[0] = noise[0]
    for i in range(1, len(noise)):
        series[i] = 0.8 * series[i - 1] + noise[i]
    assert lag1_autocorrelation(series) == pytest.approx(0.8, abs=0.03)
    assert lag1_autocorrelation(rng.normal(size=20_000)) < 0.03
    assert effective_size(1_000, 0.8) == pytest.approx(1_000 * 0.2 / 1.8)
    assert effective_size(1_000, 0.0) == 1_000 and effective_size(10, 0.99) >= 1.0


def test_missing_rate_test_uses_fisher_for_small_counts_and_chi2_for_large():
    _, p_small = missing_rate_test(1, 1000, 3, 20)
    assert p_small == pytest.approx(stats.fisher_exact([[1, 999], [3, 17]]).pvalue)
    _, p_large = missing_rate_test(1000, 100_000, 300, 20_000)
    assert p_large == pytest.approx(stats.chi2_contingency([[1000, 99_000], [300, 19_700]]).pvalue)
    assert missing_rate_test(0, 100, 0, 100) == (0.0, 1.0)


def test_holm_and_bonferroni_against_hand_computed_values():
    p = [0.01, 0.04, 0.03, 0.005]
    # Holm: sorted 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> running max 0.02,0.03,0.06,0.06
    assert adjust_pvalues(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert adjust_pvalues(p, "bonferroni") == pytest.approx([0.04, 0.16, 0.12, 0.02])
    assert len(adjust_pvalues([], "holm")) == 0


def test_psi_is_zero_for_equal_shares_and_floors_empty_bins():
    assert psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert psi([0.1] * 10, [0.1] * 10) == pytest.approx(0.0)
    value = psi([0.5, 0.5, 0.0], [0.45, 0.45, 0.1])
    assert np.isfinite(value) and value > 0.5


def test_error_rate_test_without_a_margin_is_one_sided_fisher():
    result = error_rate_test(60, 500, 50, 1000, alpha=0.05, margin=0.0)
    reference = stats.fisher_exact([[60, 440], [50, 950]], alternative="greater").pvalue
    assert result.test == "fisher_exact_one_sided"
    assert result.p_value == pytest.approx(reference)
    assert result.detected  # 12% vs 5%
    better = error_rate_test(10, 500, 50, 1000, alpha=0.05, margin=0.0)
    assert not better.detected and better.p_value > 0.5


def test_error_rate_test_puts_the_margin_in_the_null_hypothesis():
    assert error_rate_test(60, 500, 50, 1000, alpha=0.05, margin=0.02).detected  # 12% vs 5%: 7 points
    tiny_rise = error_rate_test(5_300, 100_000, 5_000, 100_000, alpha=0.05, margin=0.02)
    assert not tiny_rise.detected and tiny_rise.p_value > 0.5  # a significant rise, but under the margin
    # A lucky holdout (2 errors in 200 rows) and a served error past the margin by 1.4 points: the
    # Fisher test against equality says p = 0.011; the rise over the margin is not significant.
    lucky = error_rate_test(44, 1000, 2, 200, alpha=0.05, margin=0.02)
    assert lucky.test == "farrington_manning_one_sided"
    assert stats.fisher_exact([[44, 956], [2, 198]], alternative="greater").pvalue < 0.05
    assert not lucky.detected and 0.05 < lucky.p_value < 0.2


@pytest.mark.parametrize(
    ("x1", "n1", "x0", "n0", "margin"),
    [(44, 1000, 2, 200, 0.02), (60, 500, 50, 1000, 0.02), (0, 100, 0, 300, 0.05), (30, 100, 10, 300, 0.1)],
)
def test_restricted_rates_are_the_constrained_maximum_likelihood(x1, n1, x0, n0, margin):
    """The closed form against a numerical maximisation of the likelihood under p1 - p0 = margin."""

    def negative_log_likelihood(p0):
        return -(stats.binom.logpmf(x1, n1, p0 + margin) + stats.binom.logpmf(x0, n0, p0))

    best = optimize.minimize_scalar(
        negative_log_likelihood,
        bounds=(1e-12, 1 - margin - 1e-12),
        method="bounded",
        options={"xatol": 1e-12},
    )
    p1, p0 = restricted_rates(x1 / n1, n1, x0 / n0, n0, margin)
    assert p1 - p0 == pytest.approx(margin)
    assert p0 == pytest.approx(best.x, abs=1e-7)


def test_loss_test_matches_welch_t():
    rng = np.random.default_rng(2)
    holdout = rng.normal(0, 1, 2000) ** 2
    batch = rng.normal(0, 1.5, 800) ** 2
    result = loss_test(
        batch, holdout.mean(), holdout.var(ddof=1), len(holdout), alpha=0.05, relative_margin=0.1
    )
    # H0: the batch's loss is at most 1.1 times the holdout's: Welch's t against the scaled holdout.
    reference = stats.ttest_ind(batch, holdout * 1.1, equal_var=False, alternative="greater").pvalue
    assert result.p_value == pytest.approx(reference, rel=1e-6)
    assert result.detected
    slight = loss_test(
        holdout[:800] * 1.05,
        holdout.mean(),
        holdout.var(ddof=1),
        len(holdout),
        alpha=0.05,
        relative_margin=0.1,
    )
    assert not slight.detected  # 5% worse is under the 10% margin


@pytest.mark.parametrize(("m", "n"), [(5, 4), (3, 7), (8, 2)])
def test_beyond_range_test_is_exact_by_enumerating_every_order(m, n):
    """Every arrangement of m baseline and n batch rows is equally likely under no drift: the p-value of
    k rows beyond the baseline's range is the share of arrangements with k or more in the two end runs."""
    beyond = []
    for batch_positions in itertools.combinations(range(m + n), n):
        in_batch = np.zeros(m + n, dtype=bool)
        in_batch[list(batch_positions)] = True
        first, last = np.flatnonzero(~in_batch)[[0, -1]]
        beyond.append(first + (m + n - 1 - last))
    beyond = np.array(beyond)
    for k in range(n + 1):
        assert beyond_range_test(k, m, n).p_value == pytest.approx(np.mean(beyond >= k), abs=1e-12)
    assert beyond_range_test(0, m, n).effect == 0.0
    assert not beyond_range_test(0, m, 0).tested


def test_earlier_test_is_the_chance_that_the_smallest_rows_all_come_from_the_batch():
    outcome = earlier_test(3, 10_000, 500)
    # drawing the 3 smallest of 10,500 rows: all 3 from the 500 batch rows
    assert outcome.p_value == pytest.approx(stats.hypergeom.pmf(3, 10_500, 500, 3))
    assert earlier_test(0, 10_000, 500).p_value == 1.0 and earlier_test(0, 10_000, 500).effect == 0.0
    assert earlier_test(30, 100_000, 1_000).p_value < 1e-40
    assert not earlier_test(0, 10_000, 0).tested
