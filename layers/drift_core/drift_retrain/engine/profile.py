"""Baseline profile: everything the drift check needs from the champion's training data, a few MB at most.

Built once when a model is promoted, stored next to it, and loaded for every batch, so the training data
is never read again. Numeric columns keep exact value counts (low cardinality) or a 10,001-point quantile
sketch, plus decile edges and shares for PSI; categorical columns keep every level's count, or all levels
hashed into buckets beyond ``EXACT_MAX_LEVELS`` (see ``levels``). Versioned by ``FORMAT_VERSION``;
format 1 profiles still load (their pooled many-level columns are reported as untestable until rebuilt).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain import strict_json
from drift_retrain.engine.category_profile import MAX_CATEGORIES, CategoricalProfile, profile_categorical
from drift_retrain.engine.levels import EXACT_MAX_LEVELS
from drift_retrain.engine.performance import HoldoutPerformance
from drift_retrain.engine.roles import parse_times
from drift_retrain.engine.schema import NUMERIC, ColumnSpec, Schema
from drift_retrain.engine.segments import HoldoutSegments
from drift_retrain.exceptions import ProfileError, SchemaError

__all__ = [
    "EXACT_MAX_LEVELS",
    "EXACT_MAX_VALUES",
    "FORMAT_VERSION",
    "MAX_CATEGORIES",
    "MISSING_LEVEL",
    "PROFILE_FILE",
    "READABLE_VERSIONS",
    "SKETCH_POINTS",
    "BaselineProfile",
    "CategoricalProfile",
    "NumericProfile",
    "bin_shares",
    "build_profile",
    "decile_edges",
    "finite_values",
    "in_time_order",
    "missing_indicator",
    "profile_categorical",
    "profile_column",
    "profile_numeric",
    "time_order_of",
    "time_ordered",
]


#: 2: every categorical level kept (or hashed), roles, time ranges, autocorrelation. 1: top 1,000 only.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
PROFILE_FILE = "profile.json"
#: Quantile points per numeric column; KS statistics from the sketch stay within ~1e-4 of exact.
SKETCH_POINTS = 10_001
#: Numeric columns with at most this many distinct values keep exact value counts.
EXACT_MAX_VALUES = 2_000
MISSING_LEVEL = "<missing>"


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


ColumnProfile = NumericProfile | CategoricalProfile


@dataclass
class BaselineProfile:
    """The schema, a profile per feature and for the label, and the champion's holdout performance."""

    schema: Schema
    rows: int
    columns: dict[str, ColumnProfile]
    label: ColumnProfile
    holdout: HoldoutPerformance | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    #: The best holdout error seen before the latest change (the regime the service must get back to);
    #: None until a retrain after drift promotes a model. See ``drift_retrain.engine.champion``.
    reference: HoldoutPerformance | None = None
    #: The champion's holdout errors per segment (``segments``), for "where the error moved"; None in
    #: profiles built without holdout rows or before the table existed (segments then use the overall error).
    holdout_segments: HoldoutSegments | None = None
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "created_at": self.created_at,
            "rows": self.rows,
            "schema": self.schema.to_dict(),
            "holdout": None if self.holdout is None else self.holdout.to_dict(),
            "reference": None if self.reference is None else self.reference.to_dict(),
            "holdout_segments": None if self.holdout_segments is None else self.holdout_segments.to_dict(),
            "metadata": self.metadata,
            "label": self.label.to_dict(),
            "columns": [self.columns[name].to_dict() for name in self.schema.feature_names],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BaselineProfile:
        if not isinstance(data, Mapping):
            raise ProfileError("a baseline profile must be a JSON object")
        version = data.get("format_version")
        if version not in READABLE_VERSIONS:
            raise ProfileError(
                f"baseline profile format {version!r} is not supported (this code reads "
                f"{', '.join(map(str, READABLE_VERSIONS))}); rebuild it with `drift-retrain profile`"
            )
        try:
            schema = Schema.from_dict(data["schema"])
            columns = {c["name"]: _column_from_dict(c, version) for c in data["columns"]}
            label = _column_from_dict(data["label"], version)
            holdout = data.get("holdout")
            reference = data.get("reference")
            segments = data.get("holdout_segments")
            profile = cls(
                schema=schema,
                rows=int(data["rows"]),
                columns=columns,
                label=label,
                holdout=None if holdout is None else HoldoutPerformance.from_dict(holdout),
                metadata=dict(data.get("metadata") or {}),
                reference=None if reference is None else HoldoutPerformance.from_dict(reference),
                holdout_segments=None if segments is None else HoldoutSegments.from_dict(segments),
                created_at=str(data.get("created_at", "")),
                format_version=int(version),
            )
        except (KeyError, TypeError, ValueError, SchemaError) as exc:
            raise ProfileError(f"baseline profile is corrupt: {type(exc).__name__}: {exc}") from exc
        missing = [n for n in schema.feature_names if n not in columns]
        if missing:
            raise ProfileError(f"baseline profile has no statistics for columns {missing}")
        return profile

    def to_json_bytes(self) -> bytes:
        return strict_json.dump_bytes(self.to_dict(), indent=None, compact=True)

    @classmethod
    def from_json_bytes(cls, raw: bytes) -> BaselineProfile:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ProfileError(f"baseline profile is not valid JSON: {exc}") from exc
        return cls.from_dict(data)

    def save(self, directory: str | Path) -> Path:
        """Write ``profile.json`` into ``directory`` (created if needed); returns the file path."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        target = path / PROFILE_FILE
        tmp = target.with_suffix(".json.tmp")
        tmp.write_bytes(self.to_json_bytes())
        tmp.replace(target)
        return target

    @classmethod
    def load(cls, location: str | Path) -> BaselineProfile:
        """Read a profile from a directory holding ``profile.json`` or from the file itself."""
        path = Path(location)
        if path.is_dir():
            path = path / PROFILE_FILE
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ProfileError(f"cannot read baseline profile {path}: {exc.strerror}") from exc
        return cls.from_json_bytes(raw)


def build_profile(
    frame: pd.DataFrame,
    schema: Schema,
    *,
    holdout: HoldoutPerformance | None = None,
    holdout_rows: pd.DataFrame | None = None,
    holdout_losses: np.ndarray | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> BaselineProfile:
    """Profile training data (features and label) for later drift checks.

    ``holdout`` is the champion's performance on held-out rows, the reference of the concept-drift test;
    without it that test is skipped and the report says why. ``holdout_rows`` (the held-out rows'
    features) with ``holdout_losses`` (the champion's loss on each, ``performance.prediction_losses``)
    add the per-segment holdout errors that "where the error moved" compares a batch's segments with.
    """
    from drift_retrain.engine.profile_parts import finish_profile, profile_part

    return finish_profile(
        profile_part(frame, schema),
        holdout=holdout,
        holdout_rows=holdout_rows,
        holdout_losses=holdout_losses,
        metadata=metadata,
    )


def profile_column(spec: ColumnSpec, values: pd.Series, *, lag1: bool = False) -> ColumnProfile:
    """One feature's profile, as its kind and role need it (an ID is counted as text whatever its kind)."""
    from drift_retrain.engine.profile_parts import column_part, finish_column

    return finish_column(spec, column_part(spec, values, lag1=lag1))


def time_ordered(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """Rows in time order when the rows are autocorrelated and a timestamp column says the order."""
    if schema.dependence != "autocorrelated":
        return frame
    return in_time_order(frame, schema)


def in_time_order(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """Rows sorted by the schema's timestamp column (stable; rows without a time first, as the oldest),
    or as read when there is none: then the file's order is taken as time order."""
    column = schema.timestamp
    if column is None or column not in frame.columns:
        return frame
    times = parse_times(frame[column]).reset_index(drop=True)
    order = times.sort_values(kind="stable", na_position="first").index.to_numpy()
    return frame.iloc[order]


def time_order_of(schema: Schema) -> str:
    """What orders a table's rows in time, as training manifests and reports say it."""
    return f"timestamp column {schema.timestamp}" if schema.timestamp else "file order"


def finite_values(values: pd.Series | np.ndarray) -> np.ndarray:
    """Non-missing, finite values as float64 (infinities count as missing)."""
    array = np.asarray(values, dtype=np.float64)
    return array[np.isfinite(array)]


def profile_numeric(name: str, values: pd.Series | np.ndarray, *, lag1: bool = False) -> NumericProfile:
    """A numeric column's profile: exact value counts up to ``EXACT_MAX_VALUES`` distinct values (or
    ``SKETCH_POINTS`` rows), else its quantile sketch, with its decile edges and shares."""
    from drift_retrain.engine.profile_parts import finish_numeric, numeric_part

    return finish_numeric(name, numeric_part(values, lag1=lag1))


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


def _column_from_dict(data: Mapping[str, Any], version: int) -> ColumnProfile:
    if data.get("kind") == NUMERIC:
        return NumericProfile.from_dict(data)
    return CategoricalProfile.from_dict(data, version)
