"""Values outside the baseline's range: times before it began (new times after it are expected, older
ones are not), and numbers below its minimum or above its maximum (a tail the training data never had)."""

from __future__ import annotations

import math

from drift_retrain.engine.stats.effect import corrected_w
from drift_retrain.engine.stats.result import Outcome
from drift_retrain.engine.stats.unseen import chi_square_2x2

__all__ = [
    "beyond_range_test",
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


def beyond_range_test(beyond: int, baseline_rows: int, batch_rows: int) -> Outcome:
    """One-sided exact test that too many batch rows fall outside the baseline's range ``[min, max]``.

    Under no drift the ``m + n`` rows are exchangeable: their order is a random sequence of ``m``
    baseline and ``n`` batch rows, and the batch rows beyond the baseline's range are the batch rows in
    its two end runs. With ``g(k) = C(m+n-k, m) / C(m+n, m)`` (the first ``a`` and last ``k - a`` rows
    all from the batch), ``P(K >= k) = (k+1) g(k) - k g(k+1)``; a value equal to the baseline's min or
    max is not beyond it, so ties only make the test conservative. The effect is the bias-corrected
    Cohen's w of the 2 x 2 table (the baseline has no row outside its own range): about the square
    root of the share beyond, 0.1 for 1% of rows.
    """
    n, m, k = int(batch_rows), int(baseline_rows), int(beyond)
    if n == 0 or m == 0:
        return Outcome.untested("no rows" if n == 0 else "the baseline has no values")
    if not 0 <= k <= n:
        raise ValueError(f"rows beyond the range ({k}) must be within [0, {n}]")
    total = m + n
    log_g = sum(math.log((n - i) / (total - i)) for i in range(k))
    ratio = (n - k) / (total - k)  # g(k+1) / g(k)
    p_value = math.exp(log_g) * ((k + 1) - k * ratio) if k else 1.0
    effect = corrected_w(chi_square_2x2(k, n - k, 0, m), 1, n, m) if k else 0.0
    return Outcome(statistic=k / n, p_value=min(1.0, max(0.0, p_value)), effect=effect)
