"""Concept drift: is the champion worse on the batch's labelled rows than on its own holdout?

Feature tests cannot see a change in P(y | x); the champion's error can. Both tests are one-sided
(only getting worse matters) and treat the holdout as the sample it is, not as an exact rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from drift_retrain.engine.metric_names import ERROR_RATE, MSE

__all__ = [
    "ConceptTest",
    "error_rate_test",
    "loss_test",
    "loss_test_from_moments",
    "restricted_rates",
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
    """One-sided test that the batch error rate exceeds the baseline's by more than ``margin``.

    The margin is part of the null hypothesis (H0: batch rate <= baseline rate + margin), not a check
    on the observed rise: a holdout measured on a few hundred rows can be low by luck, and an observed
    rise just past the margin is then no evidence that the model lost that much (it once started a
    needless retrain: 2 errors in 200 held-out rows, then 44 in 1,000 served rows, p = 0.011 against
    equality, p = 0.07 against the margin). With a margin, the Farrington-Manning score test (the
    standard non-inferiority test for a risk difference, with the variance at the restricted maximum
    likelihood under H0, so a holdout with no errors is still treated as a sample); without one,
    Fisher's exact test, which conditions on both totals and is exact for small counts.
    """
    batch_rate = batch_errors / batch_rows
    baseline_rate = baseline_errors / baseline_rows
    if margin > 0:
        test = "farrington_manning_one_sided"
        p_value = _risk_difference_p(batch_errors, batch_rows, baseline_errors, baseline_rows, margin)
    else:
        test = "fisher_exact_one_sided"
        table = np.array(
            [[batch_errors, batch_rows - batch_errors], [baseline_errors, baseline_rows - baseline_errors]]
        )
        p_value = float(stats.fisher_exact(table, alternative="greater").pvalue)
    detected = p_value <= alpha and batch_rate - baseline_rate > margin
    return ConceptTest(test, ERROR_RATE, batch_rate, baseline_rate, p_value, margin, detected)


def _risk_difference_p(x1: int, n1: int, x0: int, n0: int, margin: float) -> float:
    """One-sided p-value of H0: p1 - p0 <= margin (Farrington & Manning 1990, score statistic)."""
    p1_hat, p0_hat = x1 / n1, x0 / n0
    p1, p0 = restricted_rates(p1_hat, n1, p0_hat, n0, margin)
    variance = p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0
    if variance <= 0:
        return 0.0 if p1_hat - p0_hat > margin else 1.0
    z = (p1_hat - p0_hat - margin) / np.sqrt(variance)
    return float(stats.norm.sf(z))


def restricted_rates(p1_hat: float, n1: int, p0_hat: float, n0: int, margin: float) -> tuple[float, float]:
    """Maximum-likelihood rates under p1 - p0 = margin: the closed-form root of Farrington and
    Manning's cubic (their eq. 9; Miettinen and Nurminen 1985)."""
    theta = n0 / n1
    a = 1 + theta
    b = -(1 + theta + p1_hat + theta * p0_hat + margin * (theta + 2))
    c = margin**2 + margin * (2 * p1_hat + theta + 1) + p1_hat + theta * p0_hat
    d = -p1_hat * margin * (1 + margin)
    v = b**3 / (27 * a**3) - b * c / (6 * a**2) + d / (2 * a)
    u = np.copysign(np.sqrt(max(b**2 / (9 * a**2) - c / (3 * a), 0.0)), v)
    cosine = 1.0 if u == 0 else float(np.clip(v / u**3, -1.0, 1.0))
    w = (np.pi + np.arccos(cosine)) / 3
    p1 = float(np.clip(2 * u * np.cos(w) - b / (3 * a), margin, 1.0))
    return p1, p1 - margin


def loss_test(
    batch_losses: np.ndarray,
    baseline_mean: float,
    baseline_var: float,
    baseline_rows: int,
    *,
    alpha: float,
    relative_margin: float,
) -> ConceptTest:
    """One-sided Welch t-test that the batch's mean squared error exceeds ``(1 + relative_margin)``
    times the baseline's (the margin is in the null hypothesis, as in :func:`error_rate_test`)."""
    losses = np.asarray(batch_losses, dtype=np.float64)
    var = float(losses.var(ddof=1)) if len(losses) > 1 else 0.0
    return loss_test_from_moments(
        float(losses.mean()),
        var,
        len(losses),
        baseline_mean,
        baseline_var,
        baseline_rows,
        alpha=alpha,
        relative_margin=relative_margin,
    )


def loss_test_from_moments(
    mean: float,
    var: float,
    rows: int,
    baseline_mean: float,
    baseline_var: float,
    baseline_rows: int,
    *,
    alpha: float,
    relative_margin: float,
) -> ConceptTest:
    """:func:`loss_test` from the batch's mean, variance (ddof 1) and rows (what merged parts keep)."""
    scale = 1.0 + relative_margin
    if var == 0.0 and baseline_var == 0.0:
        p_value = 0.0 if mean > baseline_mean * scale else 1.0
    else:
        result = stats.ttest_ind_from_stats(
            mean,
            np.sqrt(var),
            rows,
            baseline_mean * scale,
            np.sqrt(baseline_var) * scale,
            baseline_rows,
            equal_var=False,
            alternative="greater",
        )
        p_value = float(result.pvalue)
    detected = p_value <= alpha and mean > baseline_mean * scale
    return ConceptTest("welch_t_one_sided", MSE, mean, baseline_mean, p_value, relative_margin, detected)
