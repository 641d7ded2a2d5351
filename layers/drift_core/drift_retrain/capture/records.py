"""Read SageMaker Data Capture JSON Lines into rows of the profile's features plus what was served.

One record per request: ``captureData.endpointInput`` / ``endpointOutput`` (``observedContentType``,
``mode``, ``data``, ``encoding`` CSV | JSON | BASE64), ``eventMetadata`` (``eventId``, ``inferenceTime``,
``inferenceId`` when the caller set one) and ``eventVersion``. A request body of N rows gives N rows
sharing the event's metadata, numbered by ``_capture_row``. A record that cannot be used becomes a
``BadRecord`` with its own reason; the file's other records are still read. A record without an output
(capture of the input only) keeps its rows, with no prediction, and is counted in ``without_output``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.capture.bodies import CSV, JSON, body_kind, body_text, record_object
from drift_retrain.capture.exceptions import CaptureRecordError
from drift_retrain.capture.inputs import NO_INPUT, UNDECODABLE, ColumnIssues, InputMapper, input_rows
from drift_retrain.capture.outputs import BAD_OUTPUT, served_predictions
from drift_retrain.engine.schema import CATEGORICAL
from drift_retrain.layout import OWN_INFERENCE_PREFIX
from drift_retrain.workflow.shared.algorithms import LINEAR_LEARNER

__all__ = [
    "BAD_OUTPUT",
    "CAPTURE_REASONS",
    "EVENT_ID",
    "INFERENCE_ID",
    "INFERENCE_TIME",
    "META_COLUMNS",
    "PREDICTION",
    "ROW",
    "SCORE",
    "BadRecord",
    "CapturedRows",
    "read_capture",
]

EVENT_ID, INFERENCE_ID, INFERENCE_TIME = "_capture_event_id", "_capture_inference_id", "_capture_time"
ROW, PREDICTION, SCORE = "_capture_row", "_capture_prediction", "_capture_score"
#: Reserved columns after the profile's feature columns, in this order.
META_COLUMNS = (EVENT_ID, INFERENCE_ID, INFERENCE_TIME, ROW, PREDICTION, SCORE)

NOT_JSON, NO_EVENT_ID = "capture_not_json", "capture_no_event_id"
#: Every reason a capture record can be set aside for (docs/data-capture.md explains each).
CAPTURE_REASONS = (
    NOT_JSON,
    NO_INPUT,
    NO_EVENT_ID,
    UNDECODABLE,
    "capture_field_count",
    "capture_not_numeric",
    BAD_OUTPUT,
)


@dataclass(frozen=True)
class BadRecord:
    """A record set aside: its 1-based line in the file, a reason code, and a detail without values."""

    line: int
    reason: str
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "reason": self.reason, "detail": self.detail}


@dataclass
class CapturedRows:
    """The rows of the good records, the bad records, and how many records were read."""

    frame: pd.DataFrame
    bad: tuple[BadRecord, ...]
    records: int
    without_output: int = 0
    issues: ColumnIssues = field(default_factory=ColumnIssues)
    #: Records of the service's own requests (``OWN_INFERENCE_PREFIX``): left out, counted.
    own_requests: int = 0

    @property
    def bad_by_reason(self) -> dict[str, int]:
        return dict(sorted(Counter(b.reason for b in self.bad).items()))

    @classmethod
    def concat(cls, parts: Iterable[CapturedRows], names: Iterable[str] | None = None) -> CapturedRows:
        """At least one file's rows as one; with ``names``, each bad record's detail starts with its file's."""
        parts = list(parts)
        labels = list(names) if names is not None else [None] * len(parts)
        issues = ColumnIssues()
        for part in parts:
            issues.merge(part.issues)
        frames = [p.frame for p in parts if not p.frame.empty]
        return cls(
            frame=pd.concat(frames, ignore_index=True) if frames else parts[0].frame.iloc[0:0],
            bad=tuple(
                b if name is None else BadRecord(b.line, b.reason, f"{name}: {b.detail}")
                for part, name in zip(parts, labels, strict=True)
                for b in part.bad
            ),
            records=sum(p.records for p in parts),
            without_output=sum(p.without_output for p in parts),
            own_requests=sum(p.own_requests for p in parts),
            issues=issues,
        )

    def summary(self) -> dict[str, Any]:
        """What the report's ``capture`` section says about reading."""
        return {
            "records": self.records,
            "rows": len(self.frame),
            "bad_records": len(self.bad),
            "bad_by_reason": self.bad_by_reason,
            "records_without_output": self.without_output,
            "own_requests_left_out": self.own_requests,
            "column_issues": self.issues.to_dict(),
        }


def read_capture(lines: Iterable[str | bytes], profile, *, algorithm: str = "xgboost") -> CapturedRows:
    """Read capture JSON Lines (one file, or several chained) against ``profile``.

    ``algorithm`` is the serving model's built-in algorithm (profile metadata ``algorithm``): responses
    are read by their observed content type in the documented formats (``outputs``); one whose content
    type says nothing (base64 ``application/octet-stream``) is read as that algorithm answers: JSON for
    ``linear-learner``, CSV for ``xgboost``.
    """
    answers = JSON if algorithm == LINEAR_LEARNER else CSV
    schema = profile.schema
    mapper = InputMapper(profile)
    values: list[list[Any]] = []
    meta: list[tuple[Any, ...]] = []
    bad: list[BadRecord] = []
    records = without_output = own = 0
    for number, raw in enumerate(lines, start=1):
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        if not text.strip():
            continue
        records += 1
        try:
            read = _record(text, mapper, schema, answers)
        except CaptureRecordError as error:
            bad.append(BadRecord(number, error.reason, str(error)))
            continue
        if read is None:  # the service's own request (DetectDrift scoring a batch)
            own += 1
            continue
        rows, served, event = read
        without_output += served is None
        for index, row in enumerate(rows):
            prediction, score = served[index] if served is not None else (None, math.nan)
            values.append(row)
            meta.append((*event, index, prediction, score))
    return CapturedRows(
        frame=_frame(values, meta, schema),
        bad=tuple(bad),
        records=records,
        without_output=without_output,
        issues=mapper.issues,
        own_requests=own,
    )


def _record(
    text: str, mapper: InputMapper, schema, answers: str
) -> tuple[list[list[Any]], list | None, tuple] | None:
    """One record's rows, served predictions and event; ``None`` for the service's own request."""
    record = record_object(text, NOT_JSON)
    data = record.get("captureData")
    entry = data.get("endpointInput") if isinstance(data, Mapping) else None
    if not isinstance(entry, Mapping) or entry.get("data") in (None, ""):
        raise CaptureRecordError(NO_INPUT, "the record has no captureData.endpointInput data")
    metadata = record.get("eventMetadata")
    event_id = metadata.get("eventId") if isinstance(metadata, Mapping) else None
    if not isinstance(event_id, str) or not event_id:
        raise CaptureRecordError(NO_EVENT_ID, "the record has no eventMetadata.eventId")
    if str(metadata.get("inferenceId") or "").startswith(OWN_INFERENCE_PREFIX):
        return None
    rows = mapper.values(input_rows(body_text(entry, "endpointInput", UNDECODABLE), body_kind(entry)))
    output = data.get("endpointOutput")
    served = None
    if isinstance(output, Mapping) and output.get("data") not in (None, ""):
        text_out = body_text(output, "endpointOutput", BAD_OUTPUT)
        served = served_predictions(text_out, body_kind(output, answers), len(rows), schema)
    inference_id = metadata.get("inferenceId")
    event = (
        event_id,
        str(inference_id) if inference_id not in (None, "") else None,
        None if metadata.get("inferenceTime") is None else str(metadata.get("inferenceTime")),
    )
    return rows, served, event


def _frame(values: list[list[Any]], meta: list[tuple[Any, ...]], schema) -> pd.DataFrame:
    """Features with the types ``engine.reading`` gives a batch (float64; categories as text)."""
    names = schema.feature_names
    features = pd.DataFrame(values, columns=names) if values else pd.DataFrame(columns=names)
    for spec in schema.columns:
        if spec.kind == CATEGORICAL:
            features[spec.name] = features[spec.name].astype(object).where(features[spec.name].notna(), None)
        else:
            features[spec.name] = pd.to_numeric(features[spec.name]).astype(np.float64)
    extra = (
        pd.DataFrame(meta, columns=list(META_COLUMNS)) if meta else pd.DataFrame(columns=list(META_COLUMNS))
    )
    extra[ROW] = extra[ROW].astype(np.int64)
    extra[SCORE] = pd.to_numeric(extra[SCORE]).astype(np.float64)
    if schema.task == "regression":
        extra[PREDICTION] = pd.to_numeric(extra[PREDICTION]).astype(np.float64)
    else:
        extra[PREDICTION] = extra[PREDICTION].astype(object)
    return pd.concat([features.reset_index(drop=True), extra.reset_index(drop=True)], axis=1)
