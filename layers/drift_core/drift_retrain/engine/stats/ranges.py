"""Times before the baseline began: new times after it are expected, older ones are not."""

from __future__ import annotations

import math

from drift_retrain.engine.stats.effect import corrected_w
from drift_retrain.engine.stats.result import Outcome
from drift_retrain.engine.stats.unseen import chi_square_2x2

__all__ = [
    "earlier_test",
]


def earlier_test(earlier: int, baseline_rows: int, batch_rows: int) -> Outcome:
    """One-sided exact test that too many batch rows fall before the baseline's first value.

    Under no drift the baseline and batch rows are exchangeable, so ``k`` batch rows below every
    baseline row means the ``k`` smallest of all ``m + n`` rows came from the batch: probability
    ``n (n-1) ... (n-k+1) / ((m+n) (m+n-1) ... (m+n-k+1))`` (ties only make it smaller). The effect is
    the bias-corrected Cohen's w of the 2 x 2 table (the baseline has no row before its own start).
    """
    n, m, k = int(batch_rows), int(baseline_rows), int(earlier)
    if n == 0 or m == 0:
        return Outcome.untested("no rows" if n == 0 else "the baseline has no times")
    if not 0 <= k <= n:
        raise ValueError(f"earlier rows ({k}) must be within [0, {n}]")
    total = m + n
    log_p = sum(math.log((n - i) / (total - i)) for i in range(k))
    effect = corrected_w(chi_square_2x2(k, n - k, 0, m), 1, n, m) if k else 0.0
    return Outcome(statistic=k / n, p_value=math.exp(log_p), effect=effect, details={"earlier_rows": k})
