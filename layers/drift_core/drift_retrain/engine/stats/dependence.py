"""Autocorrelated rows: fewer independent observations than rows, so tests must use fewer.

Daily weather, sensor readings or sessions logged in time order are not independent draws: a batch of
1,000 consecutive days holds far less information than 1,000 random days, and tests that count every
row as independent fire on every batch. Under an AR(1) model with lag-1 autocorrelation ``rho`` the
variance of a mean grows by ``(1 + rho) / (1 - rho)``; dividing the sample size by that factor is the
usual effective-sample-size correction (Bayley & Hammersley 1946).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = [
    "MAX_RHO",
    "effective_size",
    "lag1_autocorrelation",
    "variance_inflation",
]


#: Autocorrelation is capped here, so a near-constant series keeps a few effective rows.
MAX_RHO = 0.99


def lag1_autocorrelation(values: np.ndarray) -> float:
    """Lag-1 autocorrelation of the ranks of ``values`` in row order (missing values dropped), in [0, 0.99].

    Ranks keep one heavy tail from deciding it; the estimate is corrected for its downward bias in short
    series, ``(1 + 3 rho) / n``; negative autocorrelation (which would claim more information than rows)
    counts as none.
    """
    array = np.asarray(values, dtype=np.float64)
    array = array[np.isfinite(array)]
    if len(array) < 3:
        return 0.0
    ranks = stats.rankdata(array)
    ranks -= ranks.mean()
    denominator = float(np.dot(ranks, ranks))
    if denominator == 0.0:
        return 0.0
    rho = float(np.dot(ranks[:-1], ranks[1:])) / denominator
    rho += (1.0 + 3.0 * rho) / len(array)  # the estimate's small-sample bias (Marriott & Pope 1954)
    return float(np.clip(rho, 0.0, MAX_RHO))


def effective_size(rows: float, rho: float) -> float:
    """``rows * (1 - rho) / (1 + rho)``, at least 1 (at most ``rows``)."""
    if rows <= 0:
        return 0.0
    rho = float(np.clip(rho, 0.0, MAX_RHO))
    return float(min(rows, max(1.0, rows * (1.0 - rho) / (1.0 + rho))))


def variance_inflation(values: np.ndarray) -> float:
    """How much autocorrelation inflates the variance of a mean, by batch means (at least 1).

    The variance of means of blocks of ``b = sqrt(n)`` consecutive values, times ``b``, over the
    values' variance: ``1 + 2 * sum of autocorrelations`` without assuming an AR(1) shape. Used for
    missing-value indicators, whose runs (a sensor down for a day) decay slower than lag 1 suggests.
    """
    array = np.asarray(values, dtype=np.float64)
    variance = float(array.var())
    block = max(10, int(np.sqrt(len(array))))
    blocks = len(array) // block
    if variance == 0.0 or blocks < 10:
        return 1.0
    means = array[: blocks * block].reshape(blocks, block).mean(axis=1)
    return float(np.clip(block * means.var(ddof=1) / variance, 1.0, block))
