"""Window batches as CSV: the profile's features, the label when joined, and the ``_capture_*`` columns.

One writer and one reader, so a part, a window and a labelled window read back exactly as written: numeric
features as floats, categorical ones and classification labels as text (the schema's label spelling),
the capture columns with their contract types.
"""

from __future__ import annotations

import io

import pandas as pd

from drift_retrain.engine.schema import CATEGORICAL, Schema, canonical_labels

__all__ = ["META_PREFIX", "drop_meta", "meta_columns", "read_frame", "write_frame"]

#: Every column the monitor or the capture reader adds starts with this (never a feature, never trained on).
META_PREFIX = "_capture_"
_TEXT_META = (
    "_capture_event_id",
    "_capture_inference_id",
    "_capture_time",
    "_capture_model",
    "_capture_join_key",
)


def meta_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if str(c).startswith(META_PREFIX)]


def drop_meta(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as a batch reader would give it: features and label only."""
    return frame.drop(columns=meta_columns(frame))


def write_frame(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def read_frame(body: bytes, schema: Schema) -> pd.DataFrame:
    """Read what :func:`write_frame` wrote, typed by ``schema``."""
    text = {name: str for name in schema.names_of(CATEGORICAL)}
    text.update({name: str for name in _TEXT_META})
    if schema.is_classification:
        text[schema.label] = str
        text["_capture_prediction"] = str
    frame = pd.read_csv(io.BytesIO(body), dtype=text, keep_default_na=False, na_values=[""])
    for name in schema.names_of("numeric"):
        if name in frame.columns:
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    if schema.is_classification and schema.label in frame.columns:
        frame[schema.label] = canonical_labels(frame[schema.label])
    for name in ("_capture_score",) + (() if schema.is_classification else ("_capture_prediction",)):
        if name in frame.columns:
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    if "_capture_row" in frame.columns:
        frame["_capture_row"] = frame["_capture_row"].astype(int)
    return frame
