"""Read ground-truth JSON Lines: labels for captured requests, as Model Monitor's merge reads them.

A record is ``{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId":
"<the request's inferenceId if it had one, else its eventId>"}, "eventVersion": "0"}``. A CSV body of N
lines labels the request's rows 0..N-1; a JSON body is a label, a list of labels (rows 0..N-1) or an
object with the label under the schema's label name or ``label``. A label that is not one of the
model's classes (or not a number, for regression) sets the record aside as ``ground_truth_unknown_class``;
a body that does not decode in its declared encoding as ``ground_truth_wrong_encoding``.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.capture.bodies import CSV, JSON, body_kind, body_text, record_object
from drift_retrain.capture.exceptions import CaptureRecordError
from drift_retrain.capture.records import ROW, BadRecord
from drift_retrain.engine.schema import canonical_label

__all__ = ["GROUND_TRUTH_REASONS", "JOIN_KEY", "RECEIVED", "GroundTruthRows", "read_ground_truth"]

JOIN_KEY = "_capture_join_key"
#: Order in which labels were received (file order, then line, then row): the duplicate rule's "first".
RECEIVED = "_capture_received"
NOT_JSON, NO_DATA, NO_EVENT_ID = "ground_truth_not_json", "ground_truth_no_data", "ground_truth_no_event_id"
WRONG_ENCODING, UNKNOWN_CLASS = "ground_truth_wrong_encoding", "ground_truth_unknown_class"
GROUND_TRUTH_REASONS = (NOT_JSON, NO_DATA, NO_EVENT_ID, WRONG_ENCODING, UNKNOWN_CLASS)


@dataclass
class GroundTruthRows:
    """One row per label: its join key, the captured row it labels, the label; and the bad records."""

    frame: pd.DataFrame
    bad: tuple[BadRecord, ...]
    records: int

    @property
    def bad_by_reason(self) -> dict[str, int]:
        return dict(sorted(Counter(b.reason for b in self.bad).items()))

    @classmethod
    def concat(cls, parts: Iterable[GroundTruthRows]) -> GroundTruthRows:
        """At least one file's labels as one, in the order given (read each with ``start`` after the last)."""
        parts = list(parts)
        frames = [p.frame for p in parts if not p.frame.empty]
        return cls(
            frame=pd.concat(frames, ignore_index=True) if frames else parts[0].frame.iloc[0:0],
            bad=tuple(b for p in parts for b in p.bad),
            records=sum(p.records for p in parts),
        )

    @property
    def wrong_encoding(self) -> int:
        return sum(b.reason == WRONG_ENCODING for b in self.bad)


def read_ground_truth(lines: Iterable[str | bytes], profile, *, start: int = 0) -> GroundTruthRows:
    """Read ground-truth JSON Lines; ``start`` offsets the received order (for files read one by one)."""
    schema = profile.schema
    rows: list[tuple[str, int, Any]] = []
    bad: list[BadRecord] = []
    records = 0
    for number, raw in enumerate(lines, start=1):
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        if not text.strip():
            continue
        records += 1
        try:
            key, labels = _record(text, schema)
        except CaptureRecordError as error:
            bad.append(BadRecord(number, error.reason, str(error)))
            continue
        rows.extend((key, index, label) for index, label in enumerate(labels))
    frame = pd.DataFrame(rows, columns=[JOIN_KEY, ROW, schema.label])
    frame[ROW] = frame[ROW].astype(np.int64)
    frame[RECEIVED] = np.arange(start, start + len(frame), dtype=np.int64)
    if schema.task == "regression":
        frame[schema.label] = pd.to_numeric(frame[schema.label]).astype(np.float64)
    else:
        frame[schema.label] = frame[schema.label].astype(object)
    return GroundTruthRows(frame=frame, bad=tuple(bad), records=records)


def _record(text: str, schema) -> tuple[str, list[Any]]:
    record = record_object(text, NOT_JSON)
    entry = record.get("groundTruthData")
    if not isinstance(entry, Mapping) or entry.get("data") in (None, ""):
        raise CaptureRecordError(NO_DATA, "the record has no groundTruthData.data")
    metadata = record.get("eventMetadata")
    key = metadata.get("eventId") if isinstance(metadata, Mapping) else None
    if not isinstance(key, str) or not key:
        raise CaptureRecordError(NO_EVENT_ID, "the record has no eventMetadata.eventId")
    text = body_text(entry, "groundTruthData", WRONG_ENCODING)
    values = _values(text, body_kind(entry) if entry.get("observedContentType") else _kind(entry), schema)
    return key, [_label(value, schema) for value in values]


def _kind(entry: Mapping[str, Any]) -> str:
    """Without a content type, CSV and JSON say what they are; decoded BASE64 is read as CSV."""
    return JSON if str(entry.get("encoding")).upper() == "JSON" else CSV


def _values(text: str, kind: str, schema) -> list[Any]:
    if kind == CSV:
        lines = [line for line in text.splitlines() if line.strip()]
        fields = [next(csv.reader(io.StringIO(line))) for line in lines]
        if not fields or any(len(f) != 1 for f in fields):
            raise CaptureRecordError(WRONG_ENCODING, "a CSV label body must hold one label per line")
        return [f[0] for f in fields]
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise CaptureRecordError(
            WRONG_ENCODING, "the label body is declared JSON but does not parse"
        ) from exc
    if isinstance(document, Mapping):
        for key in (schema.label, "label", "labels"):
            if key in document:
                document = document[key]
                break
        else:
            raise CaptureRecordError(
                WRONG_ENCODING, f"a JSON label object has neither {schema.label[:200]!r} nor 'label'"
            )
    values = document if isinstance(document, list) else [document]
    if not values or any(isinstance(v, (list, Mapping)) for v in values):
        raise CaptureRecordError(WRONG_ENCODING, "a JSON label body must be a label or a list of labels")
    return values


def _label(value: Any, schema) -> Any:
    if schema.task == "regression":
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if isinstance(value, bool) or not math.isfinite(number):
            raise CaptureRecordError(UNKNOWN_CLASS, "a label of a regression model is not a finite number")
        return number
    label = None if value is None else canonical_label(value)
    if label not in schema.classes:
        raise CaptureRecordError(
            UNKNOWN_CLASS, f"a label is not one of the model's {len(schema.classes)} classes"
        )
    return label
