"""Population Stability Index: the effect size that decides whether a significant shift matters."""

from __future__ import annotations

import numpy as np

__all__ = [
    "SHARE_FLOOR",
    "psi",
]


#: Shares below this are floored, so an empty bin gives a large but finite PSI.
SHARE_FLOOR = 1e-4


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """``sum((a - e) * ln(a / e))`` over bins, with shares floored at ``SHARE_FLOOR``."""
    e = np.maximum(np.asarray(expected, dtype=np.float64), SHARE_FLOOR)
    a = np.maximum(np.asarray(actual, dtype=np.float64), SHARE_FLOOR)
    return float(np.sum((a - e) * np.log(a / e)))
