"""Family-wise error control across the many columns of one batch."""

from __future__ import annotations

import numpy as np

__all__ = [
    "adjust_pvalues",
]


def adjust_pvalues(pvalues: np.ndarray | list[float], method: str = "holm") -> np.ndarray:
    """Adjusted p-values (reject where ``adjusted <= alpha``) controlling the family-wise error rate.

    ``holm``: step-down, ``max_{j<=i} min(1, (m-j+1) p_(j))``; uniformly at least as powerful as
    ``bonferroni``: ``min(1, m p)``.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    m = len(p)
    if m == 0:
        return p
    if method == "bonferroni":
        return np.minimum(1.0, p * m)
    if method != "holm":
        raise ValueError(f"unknown correction {method!r}")
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, p[order] * (m - np.arange(m)))
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled)
    return adjusted
