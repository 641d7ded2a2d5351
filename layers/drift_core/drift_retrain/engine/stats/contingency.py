"""Tests on counts: category shares (chi-square test of homogeneity) and missing rates."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = [
    "MIN_EXPECTED",
    "category_test",
    "missing_rate_test",
]


#: Categories expected fewer times than this in the batch are pooled, keeping chi-square valid.
MIN_EXPECTED = 5.0


def category_test(baseline: np.ndarray, batch: np.ndarray) -> tuple[float, float, int]:
    """Test that baseline and batch draw categories from the same distribution.

    Categories expected at least ``MIN_EXPECTED`` times in the batch are compared by a chi-square test
    of homogeneity on the 2 x k table (``chi2_contingency``; not goodness-of-fit against fixed shares:
    the baseline is a sample too). The rest, rare and unseen categories, are pooled: when the pool is
    itself well filled it is one more chi-square column; otherwise its share is compared by Fisher's
    exact test (a new category at 2% of a small batch must not vanish into a pooled column, and a
    chi-square on near-empty cells would raise false alarms). Two tests combine by Bonferroni.
    Returns ``(chi-square statistic, p_value, chi-square degrees of freedom)``.
    """
    base = np.asarray(baseline, dtype=np.float64)
    new = np.asarray(batch, dtype=np.float64)
    n, m = new.sum(), base.sum()
    if n == 0 or m == 0:
        return float("nan"), 1.0, 0
    expected = (base + new) * n / (n + m)
    common = expected >= MIN_EXPECTED
    rare_base, rare_new = float(base[~common].sum()), float(new[~common].sum())
    rare_expected = float(expected[~common].sum())
    table = np.array([base[common], new[common]])
    if rare_base + rare_new > 0 and rare_expected >= MIN_EXPECTED:
        table = np.column_stack([table, [rare_base, rare_new]])
        rare_base = rare_new = 0.0
    pvalues = []
    statistic, dof = float("nan"), 0
    if table.shape[1] >= 2:
        result = stats.chi2_contingency(table, correction=True)
        statistic, dof = float(result.statistic), int(result.dof)
        pvalues.append(float(result.pvalue))
    if rare_base + rare_new > 0:
        rare_table = [[rare_base, m - rare_base], [rare_new, n - rare_new]]
        pvalues.append(float(stats.fisher_exact(np.array(rare_table, dtype=np.int64)).pvalue))
    if not pvalues:
        return statistic, 1.0, 0
    return statistic, min(1.0, len(pvalues) * min(pvalues)), dof


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
