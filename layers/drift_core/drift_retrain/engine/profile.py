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
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain import strict_json
from drift_retrain.engine.category_profile import MAX_CATEGORIES, CategoricalProfile, profile_categorical
from drift_retrain.engine.levels import EXACT_MAX_LEVELS
from drift_retrain.engine.numeric_profile import (
    EXACT_MAX_VALUES,
    SKETCH_POINTS,
    NumericProfile,
    bin_shares,
    decile_edges,
    finite_values,
    missing_indicator,
)
from drift_retrain.engine.performance import HoldoutPerformance
from drift_retrain.engine.profile_parts import (
    ProfilePart,
    column_part,
    finish_categorical,
    finish_column,
    finish_numeric,
    numeric_part,
    profile_part,
)
from drift_retrain.engine.schema import NUMERIC, ColumnSpec, Schema
from drift_retrain.engine.segments import HoldoutSegments
from drift_retrain.engine.time_order import in_time_order, time_order_of, time_ordered
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
    "finish_profile",
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
MISSING_LEVEL = "<missing>"

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
    return finish_profile(
        profile_part(frame, schema),
        holdout=holdout,
        holdout_rows=holdout_rows,
        holdout_losses=holdout_losses,
        metadata=metadata,
    )


def finish_profile(
    part: ProfilePart,
    *,
    holdout: HoldoutPerformance | None = None,
    holdout_rows: pd.DataFrame | None = None,
    holdout_losses: np.ndarray | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> BaselineProfile:
    """The baseline profile of one part or of merged parts (``profile_parts``), with the champion's
    holdout as ``build_profile`` takes it: the holdout comes from the champion, not from the parts."""
    schema = part.schema
    columns = {spec.name: finish_column(spec, part.columns[spec.name]) for spec in schema.columns}
    if schema.is_classification:
        label: ColumnProfile = finish_categorical(schema.label, part.label)  # type: ignore[arg-type]
    else:
        label = finish_numeric(schema.label, part.label)  # type: ignore[arg-type]
    profile = BaselineProfile(
        schema=schema,
        rows=part.rows,
        columns=columns,
        label=label,
        holdout=holdout,
        metadata=dict(metadata or {}),
    )
    if holdout_rows is not None and holdout_losses is not None:
        profile.holdout_segments = HoldoutSegments.build(profile, holdout_rows, holdout_losses)
    return profile


def profile_column(spec: ColumnSpec, values: pd.Series, *, lag1: bool = False) -> ColumnProfile:
    """One feature's profile, as its kind and role need it (an ID is counted as text whatever its kind)."""
    return finish_column(spec, column_part(spec, values, lag1=lag1))


def profile_numeric(name: str, values: pd.Series | np.ndarray, *, lag1: bool = False) -> NumericProfile:
    """A numeric column's profile: exact value counts up to ``EXACT_MAX_VALUES`` distinct values (or
    ``SKETCH_POINTS`` rows), else its quantile sketch, with its decile edges and shares."""
    return finish_numeric(name, numeric_part(values, lag1=lag1))


def _column_from_dict(data: Mapping[str, Any], version: int) -> ColumnProfile:
    if data.get("kind") == NUMERIC:
        return NumericProfile.from_dict(data)
    return CategoricalProfile.from_dict(data, version)
