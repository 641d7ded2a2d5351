"""Chi-square test of homogeneity on category counts, valid at any number of levels and any batch size.

Levels a batch expects fewer than ``MIN_EXPECTED`` times are pooled, and the pools are formed from the
*combined* counts (baseline + batch) only. Under no drift, which rows of a level fall in the batch is
random given the combined counts, so a grouping built from them cannot bias the test. Pooling by the
baseline's counts would: the levels that look biggest in the baseline are there partly by luck
(winner's curse), and every batch then seems to have too few of them.
"""

from __future__ import annotations

import bisect

import numpy as np
from scipy import stats

from drift_retrain.engine.stats.chi_square import chi_square
from drift_retrain.engine.stats.effect import corrected_w
from drift_retrain.engine.stats.result import Outcome

__all__ = [
    "MIN_EXPECTED",
    "category_test",
    "grouped_table",
]


#: Every cell of the tested table expects at least this many batch rows (Cochran's rule).
MIN_EXPECTED = 5.0


def category_test(baseline: np.ndarray, batch: np.ndarray, tiebreak: np.ndarray | None = None) -> Outcome:
    """Test that baseline and batch draw levels from the same distribution.

    ``baseline`` and ``batch`` are counts per cell (a level, a hash bucket of levels, missing) in the
    same order; ``tiebreak`` orders cells with equal combined counts and must not depend on which sample
    a row came from (a hash of the level name; by default the cell position). The pooled table
    (``grouped_table``) gets a chi-square test of homogeneity (``chi_square``, Yates' correction
    at one degree of freedom). A remainder of rare levels too small for a cell of its own (a new level
    at 2% of a small batch, when every other level is common) gets Fisher's exact test of its share
    instead of vanishing into a big cell; the two p-values combine by Bonferroni. The effect is the
    bias-corrected Cohen's w of the more significant part. When one sample has no rows outside that
    remainder (a small batch that is all missing, or all never-seen levels), the table's other cells
    say nothing about it and the remainder's test decides alone. Untested when no table can be formed.
    """
    base = np.asarray(baseline, dtype=np.float64)
    new = np.asarray(batch, dtype=np.float64)
    n, m = float(new.sum()), float(base.sum())
    if n == 0 or m == 0:
        return Outcome.untested("no rows" if n == 0 else "the baseline has no rows")
    table, remainder = grouped_table(base, new, tiebreak)
    parts: list[tuple[float, float, float]] = []  # (p-value, statistic, effect)
    details: dict[str, float | int] = {"cells": int(table.shape[1]) + (remainder is not None), "dof": 0}
    if table.shape[1] >= 2 and table.sum(axis=1).all():
        result = chi_square(table, yates=True)
        dof = result.dof
        raw = result.statistic if dof > 1 else chi_square(table, yates=False).statistic
        parts.append((float(result.pvalue), float(result.statistic), corrected_w(float(raw), dof, n, m)))
        details["dof"] = dof
    if remainder is not None and table.shape[1] >= 1:
        (rest_base, rest_new), (pool_base, pool_new) = table.sum(axis=1), remainder
        pair = np.array([[pool_base, rest_base], [pool_new, rest_new]])
        p_value = float(stats.fisher_exact(np.rint(pair).astype(np.int64)).pvalue)
        raw = chi_square(pair, yates=False).statistic
        parts.append((p_value, raw, corrected_w(raw, 1, n, m)))
        details["remainder_p_value"] = p_value
        details["dof"] = max(1, int(details["dof"]))
    if not parts:
        reason = (
            "one level holds every row"
            if np.count_nonzero(base + new) <= 1
            else f"too few rows: {n:.0f} rows fill fewer than 2 cells expecting {MIN_EXPECTED:g} each"
        )
        return Outcome.untested(reason, rows=int(n))
    p_value, statistic, effect = min(parts)
    return Outcome(statistic, min(1.0, len(parts) * p_value), effect, details=details)


def grouped_table(
    base: np.ndarray, new: np.ndarray, tiebreak: np.ndarray | None = None
) -> tuple[np.ndarray, tuple[float, float] | None]:
    """The 2 x k table tested by chi-square, and a remainder of rare rows (baseline, batch) if any.

    A cell is kept alone when the batch expects ``MIN_EXPECTED`` rows of it. The rest are sorted by
    combined count (similar levels pool together, so a surge of rare or new levels stays visible) and
    pooled greedily until each pool expects ``MIN_EXPECTED`` rows. A last, smaller remainder joins the
    previous pool; when there is none, it is returned apart (for Fisher's exact test).
    """
    combined = base + new
    n, total = new.sum(), combined.sum()
    present = combined > 0
    expected = combined * (n / total)
    alone = present & (expected >= MIN_EXPECTED)
    rare = np.flatnonzero(present & ~alone)
    keys = np.arange(len(base)) if tiebreak is None else np.asarray(tiebreak)
    rare = rare[np.lexsort((keys[rare], -combined[rare]))]
    kept = np.array([base[alone], new[alone]], dtype=np.float64)
    if len(rare) == 0:
        return kept, None
    starts = _pool_starts(expected[rare])
    pooled = np.array([np.add.reduceat(base[rare], starts), np.add.reduceat(new[rare], starts)])
    if pooled[:, -1].sum() * (n / total) < MIN_EXPECTED:  # a short remainder
        if pooled.shape[1] == 1:
            return kept, (float(pooled[0, 0]), float(pooled[1, 0]))
        pooled = np.column_stack([pooled[:, :-2], pooled[:, -2] + pooled[:, -1]])
    return np.column_stack([kept, pooled]), None


def _pool_starts(expected: np.ndarray) -> np.ndarray:
    """Start positions of consecutive pools, each closed as soon as it expects ``MIN_EXPECTED`` rows.

    Greedy: a pool starting at ``s`` closes at the first ``i`` with ``sum(expected[s:i+1]) >= MIN_EXPECTED``,
    found by bisecting the cumulative sums (one search per pool, not one step per cell; ``bisect`` on a list,
    as a NumPy call per pool cost more than the search).
    """
    cumulative = np.cumsum(expected).tolist()
    starts, start, total = [], 0, len(cumulative)
    while start < total:
        starts.append(start)
        before = cumulative[start - 1] if start else 0.0
        start = bisect.bisect_left(cumulative, before + MIN_EXPECTED * (1 - 1e-12)) + 1
    return np.asarray(starts, dtype=np.intp)
