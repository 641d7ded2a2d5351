"""Tests on counts: category shares (chi-square test of homogeneity) and missing rates."""

from __future__ import annotations

import numpy as np
from scipy import stats

#: Categories expected fewer times than this in the batch are pooled, keeping chi-square valid.
MIN_EXPECTED = 5.0


def category_test(baseline: np.ndarray, batch: np.ndarray) -> tuple[float, float, int]:
    """Chi-square test that baseline and batch draw categories from the same distribution.

    A test of homogeneity on the 2 x k contingency table (``chi2_contingency``), not a goodness-of-fit
    test against fixed baseline shares: the baseline is a sample too. Categories whose expected batch
    count is below ``MIN_EXPECTED`` are pooled (rarest first) so the chi-square approximation holds.
    Returns ``(statistic, p_value, degrees_of_freedom)``; with fewer than two bins left the test cannot
    run and returns ``(nan, 1.0, 0)``.
    """
    base = np.asarray(baseline, dtype=np.float64)
    new = np.asarray(batch, dtype=np.float64)
    n, m = new.sum(), base.sum()
    if n == 0 or m == 0:
        return float("nan"), 1.0, 0
    expected = (base + new) * n / (n + m)
    order = np.argsort(expected, kind="stable")
    keep = np.ones(len(base), dtype=bool)
    pooled_base = pooled_new = pooled_expected = 0.0
    for i in order:
        # Stop at the first well-filled category, unless the pool so far is still too thin to stand alone.
        if expected[i] >= MIN_EXPECTED and (pooled_expected == 0 or pooled_expected >= MIN_EXPECTED):
            break
        keep[i] = False
        pooled_base += base[i]
        pooled_new += new[i]
        pooled_expected += expected[i]
    table_base = list(base[keep])
    table_new = list(new[keep])
    if pooled_base + pooled_new > 0:
        table_base.append(pooled_base)
        table_new.append(pooled_new)
    if len(table_base) < 2:
        return float("nan"), 1.0, 0
    table = np.array([table_base, table_new])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return float("nan"), 1.0, 0
    result = stats.chi2_contingency(table, correction=True)
    return float(result.statistic), float(result.pvalue), int(result.dof)


def missing_rate_test(baseline_missing: int, baseline_rows: int, batch_missing: int, batch_rows: int):
    """Two-sided test that the missing rate is the same in baseline and batch.

    Fisher's exact test when an expected cell is small, otherwise the chi-square test of the 2 x 2 table
    (with Yates' correction). Returns ``(statistic, p_value)``; the statistic is the batch-minus-baseline
    difference in missing rate.
    """
    if baseline_rows == 0 or batch_rows == 0:
        return float("nan"), 1.0
    difference = batch_missing / batch_rows - baseline_missing / baseline_rows
    if baseline_missing + batch_missing == 0:
        return difference, 1.0
    table = np.array(
        [[baseline_missing, baseline_rows - baseline_missing], [batch_missing, batch_rows - batch_missing]]
    )
    expected = stats.contingency.expected_freq(table)
    if expected.min() < MIN_EXPECTED:
        return difference, float(stats.fisher_exact(table).pvalue)
    return difference, float(stats.chi2_contingency(table, correction=True).pvalue)
