"""A captured request body as rows of the profile's feature columns.

Positional rows (a CSV line, a JSON list) hold the encoded features a built-in algorithm reads, in the
profile's feature order (label excluded): numbers, and categorical columns as the integer codes of
``engine.encoding.FeatureEncoder``, decoded back to their category here. Named rows (a JSON object keyed
by feature name) hold the values as they are: a categorical value is taken as its text. The accepted
JSON shapes are listed in docs/data-capture.md.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from drift_retrain.capture.bodies import CSV, JSON_LINES
from drift_retrain.capture.exceptions import CaptureRecordError
from drift_retrain.engine.encoding import FeatureEncoder
from drift_retrain.engine.schema import CATEGORICAL, canonical_label

__all__ = ["ColumnIssues", "InputMapper", "input_rows"]

NO_INPUT, UNDECODABLE, FIELD_COUNT, NOT_NUMERIC = (
    "capture_no_input",
    "capture_undecodable",
    "capture_field_count",
    "capture_not_numeric",
)
#: Keys under which JSON requests commonly carry their rows or one row's values.
_ROW_LISTS = ("instances", "inputs", "data", "rows")
_VALUE_KEYS = ("features", "values", "data")


def input_rows(text: str, kind: str) -> list[list[Any] | dict[str, Any]]:
    """The rows of a request body: lists (positional) or dicts (named)."""
    if kind == CSV:
        lines = [line for line in text.splitlines() if line.strip()]
        if not lines:
            raise CaptureRecordError(NO_INPUT, "the input body is empty")
        return [next(csv.reader(io.StringIO(line))) for line in lines]
    try:
        if kind == JSON_LINES:
            documents = [json.loads(line) for line in text.splitlines() if line.strip()]
            rows = [row for document in documents for row in _json_rows(document)]
        else:
            rows = _json_rows(json.loads(text))
    except ValueError as exc:
        raise CaptureRecordError(
            UNDECODABLE, f"the JSON input does not parse ({type(exc).__name__})"
        ) from exc
    if not rows:
        raise CaptureRecordError(NO_INPUT, "the JSON input holds no rows")
    return rows


def _json_rows(document: Any) -> list[list[Any] | dict[str, Any]]:
    if isinstance(document, Mapping):
        for key in _ROW_LISTS:
            if isinstance(document.get(key), list):
                return [_json_row(item) for item in document[key]]
        return [_json_row(document)]
    if isinstance(document, list):
        if all(not isinstance(item, (list, Mapping)) for item in document):
            return [list(document)]  # one flat row
        return [_json_row(item) for item in document]
    raise CaptureRecordError(UNDECODABLE, f"the JSON input is a {type(document).__name__}, not rows")


def _json_row(item: Any) -> list[Any] | dict[str, Any]:
    """One row: a list, ``{"features": [...]}``, ``{"data": {"features": {"values": [...]}}}`` or named."""
    if isinstance(item, list):
        return item
    if isinstance(item, Mapping):
        for key in _VALUE_KEYS:
            if key in item and len(item) == 1:
                return _json_row(item[key])
        return dict(item)
    raise CaptureRecordError(
        UNDECODABLE, f"a JSON input row is a {type(item).__name__}, not a list or object"
    )


@dataclass
class ColumnIssues:
    """Per-column findings of named inputs and failed conversions (Model Monitor's column checks)."""

    missing_column: dict[str, int] = field(default_factory=dict)
    extra_column: dict[str, int] = field(default_factory=dict)
    data_type: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, name: str) -> None:
        bucket = getattr(self, kind)
        bucket[name] = bucket.get(name, 0) + 1

    def merge(self, other: ColumnIssues) -> None:
        for kind, counts in other.to_dict().items():
            bucket = getattr(self, kind)
            for name, n in counts.items():
                bucket[name] = bucket.get(name, 0) + n

    def to_dict(self) -> dict[str, dict[str, int]]:
        return {k: dict(v) for k, v in self.__dict__.items()}


class InputMapper:
    """Maps parsed rows to the schema's feature values (numbers as float, categories as text)."""

    def __init__(self, profile):
        self.schema = profile.schema
        self.names = self.schema.feature_names
        self.categorical = set(self.schema.names_of(CATEGORICAL))
        self.vocabularies = FeatureEncoder.from_profile(profile).vocabularies
        self.issues = ColumnIssues()

    def values(self, rows: Sequence[list[Any] | dict[str, Any]]) -> list[list[Any]]:
        """Every row's values in feature order; raises ``CaptureRecordError`` for the first bad row."""
        issues = ColumnIssues()  # counted only once the whole request is good
        out = [self._row(row, issues) for row in rows]
        self.issues.merge(issues)
        return out

    def _row(self, row: list[Any] | dict[str, Any], issues: ColumnIssues) -> list[Any]:
        if isinstance(row, dict):
            for name in row:
                if name not in self.names:
                    issues.count("extra_column", str(name)[:200])
            values = []
            for name in self.names:
                if name not in row:
                    issues.count("missing_column", name)
                values.append(self._named(name, row.get(name)))
            return values
        if len(row) != len(self.names):
            raise CaptureRecordError(
                FIELD_COUNT, f"an input row has {len(row)} fields; the model reads {len(self.names)} features"
            )
        return [self._positional(name, value) for name, value in zip(self.names, row, strict=True)]

    def _positional(self, name: str, value: Any) -> Any:
        if _is_missing(value):
            return None if name in self.categorical else math.nan
        if name in self.categorical:
            code = _number(value)
            vocabulary = self.vocabularies[name]
            if code is not None and code.is_integer() and 0 <= code < len(vocabulary):
                return vocabulary[int(code)]
            return None if code is not None else str(value).strip()
        return self._numeric(name, value)

    def _named(self, name: str, value: Any) -> Any:
        if _is_missing(value):
            return None if name in self.categorical else math.nan
        if name in self.categorical:
            return canonical_label(value) if isinstance(value, (int, float)) else str(value)
        return self._numeric(name, value)

    def _numeric(self, name: str, value: Any) -> float:
        number = _number(value)
        if number is None or not math.isfinite(number):
            self.issues.count("data_type", name)
            raise CaptureRecordError(
                NOT_NUMERIC, f"feature {name[:200]!r} is numeric but a row holds a non-number"
            )
        return number


def _is_missing(value: Any) -> bool:
    return (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, float) and math.isnan(value))
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
