"""Segments of a batch: each categorical feature's levels and each numeric feature's baseline deciles.

The same keys serve twice: at profile-building time the champion's holdout errors are counted per
segment (:class:`HoldoutSegments`, a few kB kept in the baseline profile), and on a labelled batch the
champion's errors are counted per segment and compared with them (``segment_analysis``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.category_profile import CategoricalProfile
from drift_retrain.engine.roles import FEATURE
from drift_retrain.exceptions import ProfileError
from drift_retrain.reports.formatting import fmt_num

__all__ = [
    "MAX_HOLDOUT_LEVELS",
    "MISSING_SEGMENT",
    "HoldoutSegments",
    "SegmentCounts",
    "count_segments",
    "segment_keys",
    "segment_label",
]

#: A categorical feature's levels kept in the holdout table (most rows first); the rest fall back to the
#: overall holdout error when a batch has enough rows of them.
MAX_HOLDOUT_LEVELS = 50
MISSING_SEGMENT = "<missing>"


def segment_keys(column, values: pd.Series) -> np.ndarray:
    """Each row's segment of one feature: its level (categorical), or ``"0"``..``"9"``, the baseline decile
    bin ``[edge_i, edge_i+1)`` it falls in (numeric, open ends); missing or non-finite values are
    ``MISSING_SEGMENT``."""
    series = pd.Series(values)
    if isinstance(column, CategoricalProfile):
        keys = series.astype(object).where(series.notna(), MISSING_SEGMENT)
        return keys.map(str).to_numpy(dtype=object)
    numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    finite = np.isfinite(numbers)
    keys = np.full(len(numbers), MISSING_SEGMENT, dtype=object)
    bins = np.searchsorted(column.decile_edges, numbers[finite], side="right")
    keys[finite] = bins.astype(str).astype(object)
    return keys


def segment_label(column, key: str) -> str:
    """A segment in words: ``region = central``, ``salary < 31.2k``, ``salary 31.2k to < 40.5k``."""
    name = column.name
    if key == MISSING_SEGMENT:
        return f"{name} missing"
    if isinstance(column, CategoricalProfile):
        return f"{name} = {key}"
    edges = column.decile_edges
    index = int(key)
    if len(edges) == 0:
        return f"{name} (any value)"
    if index == 0:
        return f"{name} < {_short(edges[0])}"
    if index >= len(edges):
        return f"{name} ≥ {_short(edges[-1])}"
    return f"{name} {_short(edges[index - 1])} to < {_short(edges[index])}"


def _short(value: float) -> str:
    return fmt_num(float(value))


@dataclass(frozen=True)
class SegmentCounts:
    """Rows and losses of one segment: the error count (classification) or the sum and sum of squares of
    the squared errors (regression)."""

    rows: int
    loss_sum: float
    loss_squares: float = 0.0

    @property
    def mean(self) -> float:
        return self.loss_sum / self.rows if self.rows else float("nan")

    @property
    def variance(self) -> float:
        if self.rows < 2:
            return 0.0
        return max(0.0, (self.loss_squares - self.rows * self.mean**2) / (self.rows - 1))

    def to_list(self, task: str) -> list[float]:
        if task == "regression":
            return [self.rows, self.loss_sum, self.loss_squares]
        return [self.rows, int(self.loss_sum)]

    @classmethod
    def from_list(cls, data: list[Any]) -> SegmentCounts:
        rows, total = int(data[0]), float(data[1])
        return cls(rows, total, float(data[2]) if len(data) > 2 else total)


def count_segments(keys: np.ndarray, losses: np.ndarray) -> dict[str, SegmentCounts]:
    """Rows and losses per segment key, in the order keys first appear (one hash pass and three
    ``bincount``s: a pandas ``groupby`` cost milliseconds per feature on every labelled batch)."""
    losses = np.asarray(losses, dtype=np.float64)
    codes, uniques = pd.factorize(np.asarray(keys, dtype=object))
    size = len(uniques)
    rows = np.bincount(codes, minlength=size)
    totals = np.bincount(codes, weights=losses, minlength=size)
    squares = np.bincount(codes, weights=losses * losses, minlength=size)
    return {
        str(key): SegmentCounts(int(n), float(total), float(square))
        for key, n, total, square in zip(uniques, rows, totals, squares, strict=True)
    }


@dataclass
class HoldoutSegments:
    """The champion's holdout errors per segment of every feature (what ``segment_analysis`` compares a
    batch's segments with): ``features[name][key]`` is that segment's :class:`SegmentCounts`."""

    task: str
    rows: int
    features: dict[str, dict[str, SegmentCounts]] = field(default_factory=dict)

    @classmethod
    def build(cls, profile, frame: pd.DataFrame, losses: np.ndarray) -> HoldoutSegments:
        """Count ``losses`` (the champion's per-row loss on the holdout ``frame``) per segment, with the
        profile's columns (its decile edges) deciding the numeric segments."""
        losses = np.asarray(losses, dtype=np.float64)
        if len(losses) != len(frame):
            raise ProfileError(f"{len(losses)} holdout losses for {len(frame)} holdout rows")
        features = {}
        for spec in profile.schema.columns:
            if spec.role != FEATURE or spec.name not in frame.columns:
                continue
            column = profile.columns[spec.name]
            counts = count_segments(segment_keys(column, frame[spec.name]), losses)
            if isinstance(column, CategoricalProfile):
                kept = sorted(counts, key=lambda k: (-counts[k].rows, k))[:MAX_HOLDOUT_LEVELS]
                counts = {k: counts[k] for k in kept}
            features[spec.name] = counts
        return cls(profile.schema.task, len(losses), features)

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "rows": self.rows,
            "features": {
                name: {key: counts.to_list(self.task) for key, counts in segments.items()}
                for name, segments in self.features.items()
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HoldoutSegments:
        try:
            return cls(
                task=str(data["task"]),
                rows=int(data["rows"]),
                features={
                    str(name): {str(k): SegmentCounts.from_list(v) for k, v in segments.items()}
                    for name, segments in dict(data["features"]).items()
                },
            )
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            raise ProfileError(f"holdout segments are malformed: {exc}") from exc
