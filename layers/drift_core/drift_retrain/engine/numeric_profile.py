"""A numeric column's baseline: exact value counts or a quantile sketch, decile edges and shares, its CDF.

The profile's numeric half, kept apart from the builder (``profile_parts``) so that the summaries and the
builder both import it without importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.schema import NUMERIC

__all__ = [
    "EXACT_MAX_VALUES",
    "SKETCH_POINTS",
    "NumericProfile",
    "bin_shares",
    "decile_edges",
    "finite_values",
    "missing_indicator",
]

#: Quantile points per numeric column; KS statistics from the sketch stay within ~1e-4 of exact.
SKETCH_POINTS = 10_001
#: Numeric columns with at most this many distinct values keep exact value counts.
EXACT_MAX_VALUES = 2_000


@dataclass
class NumericProfile:
    """Distribution of one numeric column (non-missing, finite values) and its missing count."""

    name: str
    count: int
    missing: int
    mean: float | None
    std: float | None
    minimum: float | None
    maximum: float | None
    values: np.ndarray  # exact: distinct values; sketch: quantiles at linspace(0, 1, len)
    counts: np.ndarray | None  # exact: count per value; sketch: None
    decile_edges: np.ndarray
    decile_shares: np.ndarray
    lag1: float = 0.0  # autocorrelation in row order, for schemas with dependence "autocorrelated"
    missing_inflation: float = 1.0  # variance inflation of the missing-value indicator (batch means)
    _continuous: bool | None = field(default=None, repr=False, compare=False)

    @property
    def exact(self) -> bool:
        return self.counts is not None

    @cached_property
    def points(self) -> np.ndarray:
        """The distinct support points, ascending (a sketch may repeat a quantile at an atom)."""
        return np.unique(self.values)

    def cdf(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Baseline CDF at ``points``: ``F(t)`` and its left limit ``F(t-)``."""
        if self.count == 0:
            zeros = np.zeros(len(points))
            return zeros, zeros
        if self.exact:
            cum = np.concatenate(([0.0], np.cumsum(self.counts) / self.count))
            right = cum[np.searchsorted(self.values, points, side="right")]
            left = cum[np.searchsorted(self.values, points, side="left")]
            return right, left
        if self._continuous is None:
            self._continuous = bool(np.all(np.diff(self.values) > 0))
        if self._continuous:  # no atoms: the CDF is continuous and np.interp is exact and fast
            value = np.interp(points, self.values, np.linspace(0.0, 1.0, len(self.values)))
            return value, value
        return _sketch_cdf(self.values, points, "right"), _sketch_cdf(self.values, points, "left")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": NUMERIC,
            "count": self.count,
            "missing": self.missing,
            "mean": self.mean,
            "std": self.std,
            "min": self.minimum,
            "max": self.maximum,
            "representation": "exact" if self.exact else "quantiles",
            "values": self.values.tolist(),
            "counts": None if self.counts is None else self.counts.tolist(),
            "decile_edges": self.decile_edges.tolist(),
            "decile_shares": self.decile_shares.tolist(),
            "lag1": self.lag1,
            "missing_inflation": self.missing_inflation,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NumericProfile:
        counts = data.get("counts")
        return cls(
            name=str(data["name"]),
            count=int(data["count"]),
            missing=int(data["missing"]),
            mean=data.get("mean"),
            std=data.get("std"),
            minimum=data.get("min"),
            maximum=data.get("max"),
            values=np.asarray(data["values"], dtype=np.float64),
            counts=None if counts is None else np.asarray(counts, dtype=np.int64),
            decile_edges=np.asarray(data["decile_edges"], dtype=np.float64),
            decile_shares=np.asarray(data["decile_shares"], dtype=np.float64),
            lag1=float(data.get("lag1", 0.0)),
            missing_inflation=float(data.get("missing_inflation", 1.0)),
        )


def finite_values(values: pd.Series | np.ndarray) -> np.ndarray:
    """Non-missing, finite values as float64 (infinities count as missing)."""
    array = np.asarray(values, dtype=np.float64)
    return array[np.isfinite(array)]


def missing_indicator(values: pd.Series | np.ndarray) -> np.ndarray:
    """1.0 where a value is missing or infinite, 0.0 elsewhere, in row order."""
    return (~np.isfinite(np.asarray(values, dtype=np.float64))).astype(np.float64)


def decile_edges(sorted_values: np.ndarray) -> np.ndarray:
    """Distinct inner decile edges (ties collapse, so a discrete column may have fewer bins)."""
    if len(sorted_values) == 0:
        return np.empty(0)
    return np.unique(np.quantile(sorted_values, np.linspace(0.1, 0.9, 9)))


def bin_shares(values: np.ndarray, edges: np.ndarray, *, presorted: bool = False) -> np.ndarray:
    """Share of values per bin ``[edge_i, edge_{i+1})`` with open ends."""
    ordered = values if presorted else np.sort(values)
    if len(ordered) == 0:
        return np.zeros(len(edges) + 1)
    cuts = np.searchsorted(ordered, edges, side="left")
    counts = np.diff(np.concatenate(([0], cuts, [len(ordered)])))
    return counts / len(ordered)


def _sketch_cdf(quantiles: np.ndarray, points: np.ndarray, side: str) -> np.ndarray:
    """Piecewise-linear CDF through quantile points, right-continuous or its left limit."""
    k = len(quantiles)
    probs = np.linspace(0.0, 1.0, k)
    j = np.searchsorted(quantiles, points, side=side)
    out = np.where(j >= k, 1.0, 0.0)
    inner = (j > 0) & (j < k)
    lo = j[inner] - 1
    span = quantiles[lo + 1] - quantiles[lo]
    frac = np.divide(points[inner] - quantiles[lo], span, out=np.ones_like(span), where=span > 0)
    out[inner] = probs[lo] + np.clip(frac, 0.0, 1.0) * (probs[lo + 1] - probs[lo])
    return out
