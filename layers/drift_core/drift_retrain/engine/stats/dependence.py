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
]


#: Autocorrelation is capped here, so a near-constant series keeps a few effective rows.
MAX_RHO = 0.99


def lag1_autocorrelation(values: np.ndarray) -> float:
    """Lag-1 autocorrelation of the ranks of ``values`` in row order (missing values dropped), in [0, 0.99].

    Ranks keep one heavy tail from deciding it; negative autocorrelation (which would claim more
    information than rows) counts as none.
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
    return float(np.clip(rho, 0.0, MAX_RHO))


def effective_size(rows: float, rho: float) -> float:
    """``rows * (1 - rho) / (1 + rho)``, at least 1 (at most ``rows``)."""
    if rows <= 0:
        return 0.0
    rho = float(np.clip(rho, 0.0, MAX_RHO))
    return float(min(rows, max(1.0, rows * (1.0 - rho) / (1.0 + rho))))
