"""Never-seen levels: does the batch hold more levels the baseline never saw than chance allows?

In ID-like columns every level is rare, so a share test per level has nothing to work with; what moves
is the share of rows whose level is new. Good-Turing: the chance that the next row brings a level not
seen in ``m`` rows is about the share of levels seen exactly once. The exact version used here: pool
baseline and batch; under no drift every row is equally likely to be in either sample, so the levels
seen once in the pooled data (``T`` rows) fall into the batch as a hypergeometric draw. A batch row of a
level seen nowhere else is one of them. The test is exact at any batch size and cardinality.
"""

from __future__ import annotations

from scipy import stats

from drift_retrain.engine.stats.effect import corrected_w
from drift_retrain.engine.stats.result import Outcome

__all__ = [
    "chi_square_2x2",
    "unseen_test",
]


def unseen_test(unseen: int, pooled_singletons: int, baseline_rows: int, batch_rows: int) -> Outcome:
    """One-sided exact test that the batch has too many rows of never-seen levels.

    ``unseen``: batch rows whose level occurs once in the batch and never in the baseline;
    ``pooled_singletons``: rows whose level occurs exactly once in baseline and batch together (the
    ``unseen`` ones included). An overstated ``pooled_singletons`` only makes the test conservative.
    The p-value is ``P(X >= unseen)`` for ``X ~ Hypergeometric(m + n, pooled_singletons, n)``, which is
    also the one-sided Fisher exact test of the 2 x 2 table. The effect is the bias-corrected Cohen's w
    of that table (0 when the batch has no excess).
    """
    n, m, s, t = int(batch_rows), int(baseline_rows), int(unseen), int(pooled_singletons)
    if n == 0:
        return Outcome.untested("no rows")
    if m == 0:
        return Outcome.untested("the baseline has no rows")
    if not 0 <= s <= min(t, n):
        raise ValueError(f"unseen rows ({s}) must be within [0, min(pooled singletons {t}, batch rows {n})]")
    p_value = float(stats.hypergeom.sf(s - 1, m + n, t, n)) if s else 1.0
    baseline_share = (t - s) / m
    excess = s / n > baseline_share
    effect = corrected_w(chi_square_2x2(s, n - s, t - s, m - (t - s)), 1, n, m) if excess else 0.0
    return Outcome(
        statistic=s / n,
        p_value=min(1.0, max(0.0, p_value)),
        effect=effect,
        details={
            "unseen_rows": s,
            "expected_rows": t * n / (m + n),
            "baseline_singleton_share": baseline_share,
        },
    )


def chi_square_2x2(a: float, b: float, c: float, d: float) -> float:
    """Pearson's statistic of ``[[a, b], [c, d]]`` without continuity correction (0 with an empty margin)."""
    margins = (a + b) * (c + d) * (a + c) * (b + d)
    if margins == 0:
        return 0.0
    total = a + b + c + d
    return total * (a * d - b * c) ** 2 / margins
