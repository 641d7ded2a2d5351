"""Concept drift: is the champion worse on the batch's labelled rows than on its own holdout?

Feature tests cannot see a change in P(y | x); the champion's error can. Both tests are one-sided
(only getting worse matters) and treat the holdout as the sample it is, not as an exact rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "ConceptTest",
    "error_rate_test",
    "loss_test",
]


@dataclass(frozen=True)
class ConceptTest:
    test: str
    metric: str
    batch_value: float
    baseline_value: float
    p_value: float
    margin: float
    detected: bool


def error_rate_test(
    batch_errors: int,
    batch_rows: int,
    baseline_errors: int,
    baseline_rows: int,
    *,
    alpha: float,
    margin: float,
) -> ConceptTest:
    """One-sided Fisher exact test that the batch error rate exceeds the baseline's.

    Detected when ``p <= alpha`` and the observed rise is at least ``margin`` (absolute error rate).
    Fisher's test conditions on both samples' totals, so a small holdout is accounted for.
    """
    table = np.array(
        [[batch_errors, batch_rows - batch_errors], [baseline_errors, baseline_rows - baseline_errors]]
    )
    p_value = float(stats.fisher_exact(table, alternative="greater").pvalue)
    batch_rate = batch_errors / batch_rows
    baseline_rate = baseline_errors / baseline_rows
    detected = p_value <= alpha and batch_rate - baseline_rate >= margin
    return ConceptTest(
        "fisher_exact_one_sided", "error_rate", batch_rate, baseline_rate, p_value, margin, detected
    )


def loss_test(
    batch_losses: np.ndarray,
    baseline_mean: float,
    baseline_var: float,
    baseline_rows: int,
    *,
    alpha: float,
    relative_margin: float,
) -> ConceptTest:
    """One-sided Welch t-test that the batch's mean squared error exceeds the baseline's.

    Detected when ``p <= alpha`` and the batch loss is at least ``(1 + relative_margin)`` times the
    baseline's.
    """
    losses = np.asarray(batch_losses, dtype=np.float64)
    mean = float(losses.mean())
    var = float(losses.var(ddof=1)) if len(losses) > 1 else 0.0
    if var == 0.0 and baseline_var == 0.0:
        p_value = 0.0 if mean > baseline_mean else 1.0
    else:
        result = stats.ttest_ind_from_stats(
            mean,
            np.sqrt(var),
            len(losses),
            baseline_mean,
            np.sqrt(baseline_var),
            baseline_rows,
            equal_var=False,
            alternative="greater",
        )
        p_value = float(result.pvalue)
    detected = p_value <= alpha and mean >= baseline_mean * (1.0 + relative_margin)
    return ConceptTest(
        "welch_t_one_sided", "mean_squared_error", mean, baseline_mean, p_value, relative_margin, detected
    )
