"""Two-sample Kolmogorov-Smirnov test of a batch column against the baseline profile's CDF."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = [
    "EXACT_MAX_N",
    "ks_against_profile",
    "ks_pvalue",
]


#: Effective sample sizes up to this use the exact finite-n distribution (``kstwo``); larger ones the
#: asymptotic Kolmogorov distribution (``kstwobign``), as scipy's ``ks_2samp`` does in "asymp" mode.
EXACT_MAX_N = 10_000


def ks_against_profile(sorted_batch: np.ndarray, profile) -> tuple[float, float]:
    """KS statistic ``D = sup |F_batch - F_baseline|`` and its p-value.

    ``sorted_batch`` holds the batch's finite values in ascending order; ``profile`` is a
    ``NumericProfile`` (exact counts or quantile sketch). Both CDFs are monotone and, between the
    union of their support points, one is constant and the other linear, so the supremum is reached at
    those points, from the right or from the left; both sides are evaluated at the batch's distinct
    values and at the profile's points (no union: searching 200k sorted values 200k times is slow).
    """
    n = len(sorted_batch)
    if n == 0 or profile.count == 0:
        return float("nan"), 1.0
    # At the batch's distinct values: its CDF from run boundaries, the baseline's by search in the
    # (small) profile. At the profile's points: the batch CDF by search in the batch.
    starts = np.flatnonzero(np.concatenate(([True], sorted_batch[1:] != sorted_batch[:-1])))
    distinct = sorted_batch[starts]
    batch_left = starts / n
    batch_right = np.concatenate((starts[1:], [n])) / n
    base_right, base_left = profile.cdf(distinct)
    gap = max(np.max(np.abs(batch_right - base_right)), np.max(np.abs(batch_left - base_left)))
    points = profile.values
    base_right, base_left = profile.cdf(points)
    batch_right = np.searchsorted(sorted_batch, points, side="right") / n
    batch_left = np.searchsorted(sorted_batch, points, side="left") / n
    gap = max(gap, np.max(np.abs(batch_right - base_right)), np.max(np.abs(batch_left - base_left)))
    statistic = float(gap)
    return statistic, ks_pvalue(statistic, n, profile.count)


def ks_pvalue(statistic: float, n: int, m: int) -> float:
    """p-value of a two-sample KS statistic with sample sizes ``n`` and ``m``.

    Uses the effective size ``n*m/(n+m)``: ``kstwo`` (exact one-sample distribution) when it is small,
    ``kstwobign`` (Kolmogorov's limit) when large.
    """
    if not np.isfinite(statistic):
        return 1.0
    effective = n * m / (n + m)
    if effective <= EXACT_MAX_N:
        return float(np.clip(stats.kstwo.sf(statistic, max(1, round(effective))), 0.0, 1.0))
    return float(np.clip(stats.kstwobign.sf(statistic * np.sqrt(effective)), 0.0, 1.0))
