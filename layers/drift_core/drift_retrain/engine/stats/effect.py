"""Effect sizes for tests on counts that mean the same thing at any cardinality and batch size."""

from __future__ import annotations

import math

__all__ = [
    "corrected_w",
]


def corrected_w(chi_square: float, dof: int, batch_rows: float, baseline_rows: float) -> float:
    """Bias-corrected Cohen's w of a two-sample chi-square: ``sqrt(max(0, chi2 - dof) / n_eff)``.

    Between a batch of ``n`` rows and a baseline of ``m`` rows, Pearson's statistic is about
    ``dof + n_eff * w**2`` with ``n_eff = n*m/(n+m)`` and ``w**2 = sum((p_batch - p_base)**2 / p_base)``
    (the chi-square divergence, about PSI for small shifts). Subtracting its no-drift expectation
    ``dof`` removes the bias that makes raw w (or PSI) grow with the number of cells and shrink with the
    batch size (as Bergsma's correction does for Cramér's V), so the no-drift median is 0 whatever the
    cardinality. The value is Cohen's w: 0.1 is a small effect, 0.3 medium, 0.5 large.
    """
    if batch_rows <= 0 or baseline_rows <= 0 or not math.isfinite(chi_square):
        return 0.0
    effective = batch_rows * baseline_rows / (batch_rows + baseline_rows)
    return math.sqrt(max(0.0, chi_square - dof) / effective)
