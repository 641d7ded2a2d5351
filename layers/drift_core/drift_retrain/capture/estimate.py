"""Confidence-based performance estimation (CBPE): the champion's error before the labels arrive.

At promotion the champion's scores are calibrated on its holdout with isotonic regression (pool
adjacent violators; a monotone step function, interpolated between block means), so a calibrated score
is the observed frequency of the event it scores. On unlabelled rows the expected error is then

* binary: the mean over rows of c(p) where the served class is negative, 1 - c(p) where it is positive
  (``p`` the served P(positive), ``c`` the calibration; this is min(c, 1 - c) when the calibrated score
  and the served class agree on the side of 0.5);
* multiclass: 1 - c(max p), the calibrated probability that the served class is wrong.

The interval adds the spread of the realised error around its expectation (independent Bernoulli rows,
variance sum e(1 - e) / n^2) to the calibration's own sampling error (e(1 - e) / holdout rows).

**Assumption**: P(label | features) is the one seen on the holdout (covariate shift only). The estimate
follows a change in *which* rows arrive; it cannot see a pure concept change, where the same rows get
different labels: then only the labels (the concept test) can tell.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.stats import norm

__all__ = ["Calibration", "ErrorEstimate", "estimate_error", "rise_test"]

#: Two-sided 95% interval.
Z_INTERVAL = float(norm.ppf(0.975))
#: At most this many steps are stored (isotonic blocks merged by score quantile beyond it).
MAX_STEPS = 200


@dataclass(frozen=True)
class Calibration:
    """A monotone map from a raw score to the probability of the scored event (isotonic regression).

    ``kind`` is ``binary`` (score = P(positive class), event = the label is positive) or ``confidence``
    (score = the served class's probability, event = the served class is right).
    """

    kind: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    rows: int

    @classmethod
    def fit(
        cls,
        scores: Any,
        labels: Any,
        *,
        positive_label: Any = None,
        predictions: Any = None,
    ) -> Calibration:
        """Binary: ``positive_label`` given, the event is ``labels == positive_label``. Multiclass:
        ``predictions`` (the served classes) given, the event is ``labels == predictions``."""
        scores = np.asarray(scores, dtype=np.float64)
        labels = np.asarray(labels, dtype=object)
        if (positive_label is None) == (predictions is None):
            raise ValueError("give positive_label (binary) or predictions (multiclass), not both")
        if positive_label is not None:
            kind, event = "binary", labels == positive_label
        else:
            kind, event = "confidence", labels == np.asarray(predictions, dtype=object)
        keep = np.isfinite(scores)
        x, y = _isotonic(scores[keep], event[keep].astype(np.float64))
        return cls(kind=kind, x=tuple(x), y=tuple(y), rows=int(keep.sum()))

    def __call__(self, scores: Any) -> np.ndarray:
        values = np.asarray(scores, dtype=np.float64)
        if not self.x:
            return values
        return np.interp(values, self.x, self.y)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "isotonic",
            "kind": self.kind,
            "x": list(self.x),
            "y": list(self.y),
            "rows": self.rows,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        return cls(
            kind=str(data["kind"]),
            x=tuple(float(v) for v in data["x"]),
            y=tuple(float(v) for v in data["y"]),
            rows=int(data["rows"]),
        )


def _isotonic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pool adjacent violators on ``y`` ordered by ``x``: block mean scores and block event rates."""
    if len(x) == 0:
        return np.empty(0), np.empty(0)
    xs, inverse, counts = np.unique(x, return_inverse=True, return_counts=True)  # tied scores pooled first
    ys = np.bincount(inverse, weights=y) / counts
    means: list[float] = []
    weights: list[float] = []
    sums: list[float] = []
    for xv, yv, wv in zip(xs, ys, counts, strict=True):
        means.append(float(yv))
        weights.append(float(wv))
        sums.append(float(xv) * float(wv))
        while len(means) > 1 and means[-2] >= means[-1]:
            w = weights[-2] + weights[-1]
            means[-2] = (means[-2] * weights[-2] + means[-1] * weights[-1]) / w
            sums[-2] += sums[-1]
            weights[-2] = w
            del means[-1], weights[-1], sums[-1]
    w = np.asarray(weights)
    centres, rates = np.asarray(sums) / w, np.asarray(means)
    if len(centres) > MAX_STEPS:  # merge neighbouring blocks into MAX_STEPS of equal weight (stays monotone)
        groups = np.minimum((np.cumsum(w) - w / 2) / w.sum() * MAX_STEPS, MAX_STEPS - 1).astype(np.int64)
        totals = np.bincount(groups, weights=w)
        used = totals > 0
        centres = np.bincount(groups, weights=centres * w)[used] / totals[used]
        rates = np.bincount(groups, weights=rates * w)[used] / totals[used]
    return centres, rates


@dataclass(frozen=True)
class ErrorEstimate:
    """Estimated error rate, its 95% interval, the rows it is based on, and whether it was calibrated."""

    error: float
    low: float
    high: float
    rows: int
    calibrated: bool
    #: Standard error of ``error`` (the interval is ``error`` +- 1.96 of it, clipped to [0, 1]).
    std: float = 0.0

    @property
    def variance(self) -> float:
        return self.std**2

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def estimate_error(scores: Any, calibration: Calibration | None, task: str) -> ErrorEstimate | None:
    """The expected error of the served predictions from their scores (see the module docstring).

    ``scores``: P(positive class) per row (binary) or the served class's probability (multiclass); rows
    without a score are left out. None for regression or when no row has a score.
    """
    if task == "regression":
        return None
    values = np.asarray(scores, dtype=np.float64)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return None
    calibrated = calibration(values) if calibration is not None else values
    calibrated = np.clip(calibrated, 0.0, 1.0)
    errors = np.where(values >= 0.5, 1.0 - calibrated, calibrated) if task == "binary" else 1.0 - calibrated
    n = len(errors)
    error = float(errors.mean())
    variance = float(np.sum(errors * (1.0 - errors))) / n**2
    if calibration is not None and calibration.rows:
        variance += error * (1.0 - error) / calibration.rows
    std = math.sqrt(variance)
    return ErrorEstimate(
        error=error,
        low=max(0.0, error - Z_INTERVAL * std),
        high=min(1.0, error + Z_INTERVAL * std),
        rows=n,
        calibrated=calibration is not None,
        std=std,
    )


def rise_test(estimate: ErrorEstimate, holdout_error: float, holdout_rows: int, margin: float) -> float:
    """One-sided p-value that the estimated error exceeds the holdout error by more than ``margin``."""
    variance = estimate.variance + holdout_error * (1.0 - holdout_error) / max(holdout_rows, 1)
    if variance <= 0:
        return 0.0 if estimate.error > holdout_error + margin else 1.0
    z = (estimate.error - holdout_error - margin) / math.sqrt(variance)
    return float(norm.sf(z))
