"""Column kinds, label and task of a model's data: inferred from training data, overridable by a file."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.exceptions import SchemaError

__all__ = [
    "CATEGORICAL",
    "KINDS",
    "MAX_CLASSES",
    "NUMERIC",
    "TASKS",
    "ColumnSpec",
    "Schema",
    "canonical_label",
    "canonical_labels",
    "infer_schema",
    "load_schema_overrides",
]


NUMERIC = "numeric"
CATEGORICAL = "categorical"
KINDS = (NUMERIC, CATEGORICAL)
TASKS = ("binary", "multiclass", "regression")

#: A numeric label with at most this many distinct integer values is treated as classes.
MAX_CLASSES = 20


@dataclass(frozen=True)
class ColumnSpec:
    """One feature column: its name and whether it is numeric or categorical."""

    name: str
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise SchemaError(f"column {self.name!r}: kind must be one of {KINDS}, got {self.kind!r}")


@dataclass(frozen=True)
class Schema:
    """Feature columns (in training order), the label column, the task and, for classification, the classes.

    ``classes`` are canonical strings (see ``canonical_label``); class ``i`` is encoded as ``i`` for training.
    """

    columns: tuple[ColumnSpec, ...]
    label: str
    task: str
    classes: tuple[str, ...] = ()

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

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "task": self.task,
            "classes": list(self.classes),
            "columns": [{"name": c.name, "kind": c.kind} for c in self.columns],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Schema:
        try:
            columns = tuple(ColumnSpec(str(c["name"]), str(c["kind"])) for c in data["columns"])
            return cls(
                columns=columns,
                label=str(data["label"]),
                task=str(data["task"]),
                classes=tuple(str(c) for c in data.get("classes", ())),
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
    """Vectorised ``canonical_label`` for a label column (missing stays missing)."""
    present = values.dropna()
    uniques = pd.unique(present)
    mapping = {u: canonical_label(u) for u in uniques}
    return values.map(mapping, na_action="ignore").astype(object)


def load_schema_overrides(path: str | Path) -> dict[str, Any]:
    """Read a schema file: ``{"label": ..., "task": ..., "columns": {"name": "numeric"|"categorical"}}``.

    Every key is optional; what is given overrides inference.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SchemaError(f"cannot read schema file {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise SchemaError(f"schema file {path} must hold a JSON object")
    columns = data.get("columns", {})
    if isinstance(columns, list):
        columns = {c["name"]: c["kind"] for c in columns}
    data["columns"] = columns
    return data


def infer_schema(
    frame: pd.DataFrame,
    label: str | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Schema:
    """Infer feature kinds, the label and the task from training data.

    Numbers are numeric features; anything else (text, booleans) is categorical. The label is
    ``label``, else the override's, else the first column. A label of 0/1 or two values is binary,
    a few distinct integers or strings are multiclass, other numbers are regression.
    """
    overrides = dict(overrides or {})
    label = label or overrides.get("label") or (str(frame.columns[0]) if len(frame.columns) else None)
    if label is None or label not in frame.columns:
        raise SchemaError(f"label column {label!r} is not in the data (columns: {list(frame.columns)})")
    kinds: Mapping[str, str] = overrides.get("columns", {})
    unknown = sorted(set(kinds) - set(frame.columns))
    if unknown:
        raise SchemaError(f"schema file names columns that are not in the data: {unknown}")
    columns = tuple(
        ColumnSpec(str(name), kinds.get(name) or _infer_kind(frame[name]))
        for name in frame.columns
        if name != label
    )
    task, classes = _infer_task(frame[label], overrides.get("task"))
    return Schema(columns=columns, label=str(label), task=task, classes=classes)


def _infer_kind(values: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return CATEGORICAL
    return NUMERIC


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


def _sorted_classes(classes: Sequence[str]) -> list[str]:
    """Numeric classes in numeric order (0, 1, 2, 10), others alphabetically."""
    try:
        return sorted(classes, key=float)
    except ValueError:
        return sorted(classes)
