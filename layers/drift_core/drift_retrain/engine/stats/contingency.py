"""Missing rates: the same share of missing values in baseline and batch?"""

from __future__ import annotations

import numpy as np
from scipy import stats

from drift_retrain.engine.stats.categories import MIN_EXPECTED
from drift_retrain.engine.stats.chi_square import chi_square, expected_counts

__all__ = [
    "missing_rate_test",
]


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
    expected = expected_counts(table)
    if expected.min() < MIN_EXPECTED:
        return difference, float(stats.fisher_exact(table).pvalue)
    return difference, chi_square(table, yates=True).pvalue
