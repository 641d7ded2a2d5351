"""Concentration: does the batch repeat its levels more often than the baseline does?

When mass moves onto a few levels (bots hammering 50 accounts, one SKU flooding orders), each level is
still rare, but pairs of rows sharing a level become common. The statistic is the number of such pairs;
its no-drift mean and variance follow from the baseline's collision probabilities ``sum p**2`` and
``sum p**3`` (unbiased estimates kept in the profile), whatever the number of levels, and they do not
depend on which levels repeat: an ID column whose users are replaced by new ones of the same habits is
not drift, while a duplicated transaction ID in a column that never repeats is.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from drift_retrain.engine.stats.result import Outcome

__all__ = [
    "pair_moments",
    "repeat_test",
]


def pair_moments(counts: np.ndarray) -> tuple[float, float]:
    """Unbiased estimates of ``sum p**2`` and ``sum p**3`` from level counts of one sample."""
    c = np.asarray(counts, dtype=np.float64)
    m = c.sum()
    s2 = float(np.sum(c * (c - 1)) / (m * (m - 1))) if m > 1 else 0.0
    s3 = float(np.sum(c * (c - 1) * (c - 2)) / (m * (m - 1) * (m - 2))) if m > 2 else 0.0
    return s2, s3


def repeat_test(batch: np.ndarray, s2: float, s3: float, baseline_rows: int) -> Outcome:
    """One-sided test that pairs of batch rows share a level more often than in the baseline.

    ``batch``: count per level in the batch (missing values left out); ``s2``, ``s3``: the baseline's
    ``pair_moments`` over ``baseline_rows`` rows. The pair count's variance adds the batch's sampling
    variance (a U-statistic's) and the baseline estimate's; the p-value is a gamma tail matched to that
    mean and variance (exact for a Poisson-like count of rare pairs up to its extra skew, which makes it
    conservative; normal for a column with a few heavy levels), with a continuity correction. A baseline
    that never repeated counts as half a pair, so an ID column checked for uniqueness flags a repeat
    without dividing by zero. The effect is ``sqrt(max(0, pairs / expected - 1))``: for a uniform column
    this is exactly Cohen's w of the shift.
    """
    a = np.asarray(batch, dtype=np.float64)
    n, m = float(a.sum()), float(baseline_rows)
    if n < 2:
        return Outcome.untested("fewer than 2 rows")
    if m < 2:
        return Outcome.untested("the baseline has fewer than 2 rows")
    pairs_seen = float(np.sum(a * (a - 1)) / 2)
    s2 = max(float(s2), 1.0 / (m * (m - 1)))
    spread = max(0.0, float(s3) - s2 * s2)
    pairs = n * (n - 1) / 2
    mean = pairs * s2
    variance = pairs * (s2 - s2 * s2) + n * (n - 1) * (n - 2) * spread
    variance += pairs * pairs * (2 * (s2 - s2 * s2) + 4 * (m - 2) * spread) / (m * (m - 1))
    if variance <= 0.0:  # one level holds every baseline row: every pair already shares it
        return Outcome.untested("the baseline has a single level, so every pair of rows shares it")
    shape, scale = mean * mean / variance, variance / mean
    p_value = float(stats.gamma.sf(pairs_seen - 0.5, shape, scale=scale)) if pairs_seen > 0 else 1.0
    effect = math.sqrt(max(0.0, (pairs_seen - mean) / max(mean, 1.0)))
    return Outcome(
        statistic=pairs_seen,
        p_value=min(1.0, p_value),
        effect=effect,
        details={"expected_pairs": mean, "pair_share": pairs_seen / pairs, "baseline_pair_share": s2},
    )
