"""Column kinds, label and task of a model's data: inferred from training data, overridable by a file."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.cell_text import LEGACY_MISSING_MARKERS, missing_in_numeric, parse_numbers
from drift_retrain.engine.kind_inference import InferredKind, infer_kind
from drift_retrain.engine.roles import FEATURE, ROLES, TIMESTAMP, infer_role
from drift_retrain.exceptions import SchemaError

__all__ = [
    "CATEGORICAL",
    "DEPENDENCE",
    "KINDS",
    "MAX_CLASSES",
    "NUMERIC",
    "TASKS",
    "ColumnSpec",
    "Schema",
    "canonical_codes",
    "canonical_label",
    "canonical_labels",
    "infer_schema",
    "labels_from_codes",
    "load_schema_overrides",
    "with_classes",
]


NUMERIC = "numeric"
CATEGORICAL = "categorical"
KINDS = (NUMERIC, CATEGORICAL)
TASKS = ("binary", "multiclass", "regression")
#: ``Schema.dependence``: rows are independent draws (default) or autocorrelated (time series order).
DEPENDENCE = ("independent", "autocorrelated")

#: A numeric label with at most this many distinct integer values is treated as classes.
MAX_CLASSES = 20


@dataclass(frozen=True)
class ColumnSpec:
    """One feature column: its name, whether it is numeric or categorical, and its role (see ``roles``).

    ``role_reason`` and ``kind_reason`` say where the role and the kind came from (the schema file, or
    what inference saw); ``caution`` says when inference made a call worth checking (``kind_inference``).
    """

    name: str
    kind: str
    role: str = FEATURE
    role_reason: str = "default"
    kind_reason: str = "default"
    caution: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SchemaError(f"column {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.role not in ROLES:
            raise SchemaError(f"column {self.name!r}: role must be one of {ROLES}, got {self.role!r}")

    def to_dict(self) -> dict[str, Any]:
        data = {"name": self.name, "kind": self.kind, "role": self.role, "role_reason": self.role_reason}
        data["kind_reason"] = self.kind_reason
        if self.caution:
            data["caution"] = self.caution
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnSpec:
        return cls(
            str(data["name"]),
            str(data["kind"]),
            str(data.get("role", FEATURE)),
            str(data.get("role_reason", "default")),
            str(data.get("kind_reason", "default")),
            str(data.get("caution", "")),
        )


@dataclass(frozen=True)
class Schema:
    """Feature columns (in training order), the label column, the task and, for classification, the classes.

    ``classes`` are canonical strings (see ``canonical_label``); class ``i`` is encoded as ``i`` for training.
    ``dependence`` is ``"autocorrelated"`` for rows in time order that are not independent draws (daily
    weather, sensor logs): numeric tests then count effective rather than raw rows.
    ``missing_markers`` are cells read as missing in every column besides the empty cell (numeric
    columns also take ``NA``, ``null``, ... see ``cell_text``); by default none, so a level ``NA`` is kept.
    """

    columns: tuple[ColumnSpec, ...]
    label: str
    task: str
    classes: tuple[str, ...] = ()
    dependence: str = "independent"
    missing_markers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise SchemaError(f"task must be one of {TASKS}, got {self.task!r}")
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise SchemaError(f"duplicate feature names: {sorted({n for n in names if names.count(n) > 1})}")
        if self.label in names:
            raise SchemaError(f"label {self.label!r} is also listed as a feature")
        if not self.columns:
            raise SchemaError("the schema has no feature columns")
        if self.task == "binary" and len(self.classes) != 2:
            raise SchemaError(f"a binary task needs exactly 2 classes, got {list(self.classes)}")
        if self.task == "multiclass" and len(self.classes) < 2:
            raise SchemaError(f"a multiclass task needs at least 2 classes, got {list(self.classes)}")
        if self.dependence not in DEPENDENCE:
            raise SchemaError(f"dependence must be one of {DEPENDENCE}, got {self.dependence!r}")

    @property
    def feature_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def is_classification(self) -> bool:
        return self.task != "regression"

    def kind_of(self, name: str) -> str:
        for column in self.columns:
            if column.name == name:
                return column.kind
        raise KeyError(name)

    def names_of(self, kind: str) -> list[str]:
        return [c.name for c in self.columns if c.kind == kind]

    @property
    def timestamp(self) -> str | None:
        """The first column with the ``timestamp`` role (it orders rows), if any."""
        return next((c.name for c in self.columns if c.role == TIMESTAMP), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "task": self.task,
            "classes": list(self.classes),
            "dependence": self.dependence,
            "missing_markers": list(self.missing_markers),
            "columns": [c.to_dict() for c in self.columns],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        try:
            columns = tuple(ColumnSpec.from_dict(c) for c in data["columns"])
            return cls(
                columns=columns,
                label=str(data["label"]),
                task=str(data["task"]),
                classes=tuple(str(c) for c in data.get("classes", ())),
                dependence=str(data.get("dependence", "independent")),
                missing_markers=tuple(str(m) for m in data.get("missing_markers", LEGACY_MISSING_MARKERS)),
            )
        except (KeyError, TypeError) as exc:
            raise SchemaError(f"schema is missing a field or has a wrong type: {exc}") from exc


def canonical_label(value: Any) -> str:
    """One spelling per class value, so ``1``, ``1.0`` and ``"1"`` are the same class."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if math.isfinite(value) and float(value).is_integer() else repr(float(value))
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return canonical_label(number) if math.isfinite(number) else text


def canonical_labels(values: pd.Series) -> pd.Series:
    """Vectorised ``canonical_label`` for a label column (missing stays missing, as NaN)."""
    codes, names = canonical_codes(values)
    return pd.Series(labels_from_codes(codes, names), index=values.index, name=values.name, dtype=object)


def canonical_codes(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Each row's distinct value as a code (-1 when missing) and each code's ``canonical_label``: the
    spelling is worked out once per distinct value, and callers can test the distinct names only."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes, [canonical_label(u) for u in uniques]


def labels_from_codes(codes: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """``canonical_codes`` back to one label per row (object; NaN where missing)."""
    out = np.full(len(codes), np.nan, dtype=object)
    present = codes >= 0
    out[present] = np.array(names, dtype=object)[codes[present]]
    return out


def load_schema_overrides(path: str | Path) -> dict[str, Any]:
    """Read a schema file; every key is optional and what is given overrides inference.

    ``{"label": "y", "task": "binary", "dependence": "autocorrelated", "missing_markers": ["?", "NA"],
    "columns": {"zip": "categorical",
    "user_id": "id", "day": "timestamp", "notes": "ignore", "age": {"kind": "numeric", "role": "feature"}}}``:
    a column maps to a kind, a role (see ``roles``) or both.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SchemaError(f"cannot read schema file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise SchemaError(f"schema file {path} must hold a JSON object")
    columns = data.get("columns", {})
    if isinstance(columns, list):
        columns = {c["name"]: {k: v for k, v in c.items() if k != "name"} for c in columns}
    data["columns"] = {str(name): _column_override(str(name), spec) for name, spec in columns.items()}
    data["missing_markers"] = _markers(data.get("missing_markers", []))
    return data


def _markers(markers: Any) -> list[str]:
    if not isinstance(markers, list) or not all(isinstance(m, str) for m in markers):
        raise SchemaError(f"schema file: missing_markers must be a list of strings, got {markers!r}")
    return markers


def _column_override(name: str, spec: Any) -> dict[str, str]:
    """``"categorical"``, ``"id"`` or ``{"kind": ..., "role": ...}`` as ``{"kind": ..., "role": ...}``."""
    if isinstance(spec, str):
        spec = {"kind": spec} if spec in KINDS else {"role": spec} if spec in ROLES else {"kind": spec}
    if not isinstance(spec, Mapping) or not set(spec) <= {"kind", "role"}:
        raise SchemaError(f"schema file: column {name!r} must map to a kind, a role or {{'kind', 'role'}}")
    kind, role = spec.get("kind"), spec.get("role")
    if kind is not None and kind not in KINDS:
        raise SchemaError(
            f"schema file: column {name!r}: {kind!r} is neither a kind {KINDS} nor a role {ROLES}"
        )
    if role is not None and role not in ROLES:
        raise SchemaError(f"schema file: column {name!r}: role must be one of {ROLES}, got {role!r}")
    return {k: str(v) for k, v in (("kind", kind), ("role", role)) if v is not None}


def infer_schema(
    frame: pd.DataFrame,
    label: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    kinds: Mapping[str, InferredKind] | None = None,
) -> Schema:
    """Infer feature kinds and roles, the label and the task from training data.

    ``frame`` holds the columns as read (text; see ``reading.read_training``) or as built in memory.
    A column whose every non-missing cell is a number is numeric; anything else (text, booleans, a
    column with no values) is categorical (``kind_inference``, which says why). Roles follow
    ``roles.infer_role`` (ISO dates are timestamps, nearly unique text is an ID). The label is
    ``label``, else the override's, else the first column. A label of 0/1 or two values is binary,
    a few distinct integers or strings are multiclass, other numbers are regression. ``kinds`` are
    columns' kinds already inferred (the reader infers them once and keeps the parsed numbers).
    """
    kinds = kinds or {}
    overrides = dict(overrides or {})
    markers = tuple(_markers(list(overrides.get("missing_markers", []))))
    label = label or overrides.get("label") or (str(frame.columns[0]) if len(frame.columns) else None)
    if label is None or label not in frame.columns:
        raise SchemaError(f"label column {label!r} is not in the data (columns: {list(frame.columns)})")
    given: Mapping[str, Any] = {
        str(name): _column_override(str(name), spec) for name, spec in overrides.get("columns", {}).items()
    }
    unknown = sorted(set(given) - {str(c) for c in frame.columns})
    if unknown:
        raise SchemaError(f"schema file names columns that are not in the data: {unknown}")
    columns = tuple(
        _column_spec(
            str(name),
            frame[name],
            given.get(str(name), {}),
            kinds.get(str(name)) or infer_kind(frame[name], markers),
        )
        for name in frame.columns
        if name != label
    )
    labels = frame[label]
    label_kind = kinds.get(str(label)) or infer_kind(labels, markers)
    if label_kind.kind == NUMERIC and not pd.api.types.is_numeric_dtype(labels):
        labels = _as_numbers(labels, markers)
    task, classes = _infer_task(labels, overrides.get("task"))
    dependence = str(overrides.get("dependence", "independent"))
    return Schema(
        columns=columns,
        label=str(label),
        task=task,
        classes=classes,
        dependence=dependence,
        missing_markers=markers,
    )


def _column_spec(
    name: str, values: pd.Series, given: Mapping[str, str], inferred: InferredKind
) -> ColumnSpec:
    if "kind" in given:
        kind, kind_reason, caution = given["kind"], "schema file", ""
    else:
        kind, kind_reason, caution = inferred.kind, inferred.reason, inferred.caution
    if "role" in given:
        return ColumnSpec(name, kind, given["role"], "schema file", kind_reason, caution)
    role, reason = infer_role(values, kind)  # only text columns are looked at
    return ColumnSpec(name, kind, role, reason, kind_reason, caution)


def _as_numbers(values: pd.Series, markers: tuple[str, ...]) -> pd.Series:
    """A numeric column's text as numbers for inference (values that are not numbers become missing)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values
    text = values.where(~values.isin(missing_in_numeric(markers)))
    return parse_numbers(text)


def _infer_task(values: pd.Series, forced: str | None) -> tuple[str, tuple[str, ...]]:
    present = values.dropna()
    if present.empty:
        raise SchemaError(f"label column {values.name!r} has no values")
    numeric = pd.api.types.is_numeric_dtype(present) and not pd.api.types.is_bool_dtype(present)
    if forced == "regression" or (forced is None and numeric and not _looks_like_classes(present)):
        if not numeric:
            raise SchemaError(f"label column {values.name!r} is not numeric, so it cannot be a regression")
        return "regression", ()
    classes = _sorted_classes(canonical_labels(present).unique())
    task = forced or ("binary" if len(classes) == 2 else "multiclass")
    if len(classes) < 2:
        raise SchemaError(f"label column {values.name!r} has a single class {classes}: nothing to learn")
    if task == "binary" and len(classes) != 2:
        raise SchemaError(f"task is binary but label column {values.name!r} has classes {classes}")
    return task, tuple(classes)


def _looks_like_classes(present: pd.Series) -> bool:
    uniques = pd.unique(present)
    if len(uniques) > MAX_CLASSES:
        return False
    as_float = np.asarray(uniques, dtype=float)
    return bool(np.all(np.isfinite(as_float)) and np.all(as_float == np.round(as_float)))


def with_classes(schema: Schema, classes: Iterable[str], task: str | None = None) -> Schema:
    """``schema`` with more training data's classes: the union, sorted as inferred; a binary task that
    gains a class becomes multiclass unless ``task`` (a schema file's) says otherwise."""
    union = tuple(_sorted_classes(sorted({*schema.classes, *map(str, classes)})))
    if union == schema.classes:
        return schema
    return replace(schema, classes=union, task=task or ("binary" if len(union) == 2 else "multiclass"))


def _sorted_classes(classes: Sequence[str]) -> list[str]:
    """Numeric classes in numeric order (0, 1, 2, 10), others alphabetically."""
    try:
        return sorted(classes, key=float)
    except ValueError:
        return sorted(classes)
