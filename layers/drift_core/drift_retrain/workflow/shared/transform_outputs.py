"""Transform outputs: the ``label,prediction`` lines a batch transform wrote, read and lined up.

An XGBoost transform wrote ``<test file>.out`` lines of ``label,prediction`` (``DataProcessing`` joined the
input and kept its first and last fields). A Linear Learner transform wrote JSON Lines, one
``{"score": ..., "predicted_label": ...}`` record per held-out row in the input's order (the algorithm
documents no CSV response); its labels come from the first column of the model's test file. Every model must have scored the same held-out rows in the same order, so the labels
are compared row by row before anything is computed.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.aws import storage
from drift_retrain.workflow.shared.exceptions import (
    LabelMismatchError,
    PredictionCountMismatchError,
    TransformOutputFormatError,
    TransformOutputMissingError,
)

__all__ = [
    "ScoredRows",
    "pair_outputs",
    "parse_jsonlines_output",
    "parse_transform_output",
    "read_transform_output",
]


@dataclass(frozen=True)
class ScoredRows:
    """Labels and predictions of one model, in the test file's row order."""

    labels: np.ndarray
    predictions: np.ndarray
    source: str


def parse_transform_output(text: str, source: str) -> tuple[np.ndarray, np.ndarray]:
    """``label,prediction`` lines -> two float arrays."""
    if not text.strip():
        return np.empty(0), np.empty(0)
    try:
        frame = pd.read_csv(io.StringIO(text), header=None, dtype=np.float64, skip_blank_lines=True)
    except (ValueError, pd.errors.ParserError) as exc:
        raise TransformOutputFormatError(
            f"{source}: lines are not 'label,prediction' numbers ({exc})"
        ) from exc
    if frame.shape[1] != 2:
        raise TransformOutputFormatError(
            f"{source}: expected 2 fields per line (label,prediction; OutputFilter $[0,-1]), got {frame.shape[1]}"
        )
    if frame.isna().any().any():
        raise TransformOutputFormatError(f"{source}: a label or prediction is missing")
    return frame[0].to_numpy(), frame[1].to_numpy()


def parse_jsonlines_output(text: str, source: str, task: str) -> np.ndarray:
    """Linear Learner's JSON Lines records -> the prediction the metrics read for ``task``.

    Binary: ``score`` (the probability of class 1); multiclass: ``predicted_label`` (a class index);
    regression: ``score``.
    """
    key = "predicted_label" if task == "multiclass" else "score"
    values = []
    for number, line in enumerate((ln for ln in text.splitlines() if ln.strip()), start=1):
        try:
            record = json.loads(line)
            values.append(float(record[key]))
        except (ValueError, TypeError, KeyError) as exc:
            raise TransformOutputFormatError(
                f"{source}: record {number} is not a Linear Learner JSON line with a numeric {key!r} ({exc})"
            ) from exc
    return np.asarray(values, dtype=np.float64)


def _objects(s3: Any, uri: str, suffix: str) -> list[tuple[str, str]]:
    bucket, prefix = storage.split_uri(uri)
    keys = sorted(o.key for o in storage.list_objects(s3, bucket, prefix) if o.key.endswith(suffix))
    return [(storage.s3_uri(bucket, k), storage.read_object(s3, bucket, k).decode("utf-8")) for k in keys]


def _test_labels(s3: Any, test_uri: str) -> np.ndarray:
    """The first column of the headerless test file(s) the transform read, in key order."""
    labels = []
    for source, text in _objects(s3, test_uri, ".csv"):
        if text.strip():
            first = [line.split(",", 1)[0] for line in text.splitlines() if line.strip()]
            try:
                labels.append(np.asarray(first, dtype=np.float64))
            except ValueError as exc:
                raise TransformOutputFormatError(f"{source}: a label is not a number ({exc})") from exc
    return np.concatenate(labels) if labels else np.empty(0)


def read_transform_output(
    s3: Any, uri: str, *, algorithm: str = "xgboost", test_uri: str | None = None, task: str = "binary"
) -> ScoredRows:
    """Every ``.out`` file under the transform's output prefix, in key order, read as ``algorithm`` wrote it.

    ``test_uri`` (the transform's input prefix) supplies the labels of a Linear Learner output.
    """
    objects = _objects(s3, uri, ".out")
    if not objects:
        raise TransformOutputMissingError(
            f"no .out file under {uri}: did the transform job write its output there?"
        )
    if algorithm == "linear-learner":
        if not test_uri:
            raise TransformOutputFormatError(f"{uri}: a Linear Learner output needs its test file's labels")
        predictions = np.concatenate([parse_jsonlines_output(text, src, task) for src, text in objects])
        labels = _test_labels(s3, test_uri)
        if len(labels) != len(predictions):
            raise PredictionCountMismatchError(
                f"{uri} holds {len(predictions)} predictions for the {len(labels)} rows of {test_uri}"
            )
        return ScoredRows(labels, predictions, uri)
    pairs = [parse_transform_output(text, src) for src, text in objects]
    return ScoredRows(np.concatenate([y for y, _ in pairs]), np.concatenate([p for _, p in pairs]), uri)


def pair_outputs(candidate: ScoredRows, champion: ScoredRows | None, expected_rows: int | None) -> None:
    """Check both outputs score the same rows in the same order (and all held-out rows)."""
    if expected_rows is not None and len(candidate.labels) != expected_rows:
        raise PredictionCountMismatchError(
            f"{candidate.source} has {len(candidate.labels)} rows, the held-out test file has {expected_rows}"
        )
    if len(candidate.labels) == 0:
        raise PredictionCountMismatchError(f"{candidate.source} has no rows to evaluate")
    if champion is None:
        return
    if len(champion.labels) != len(candidate.labels):
        raise PredictionCountMismatchError(
            f"candidate output has {len(candidate.labels)} rows, champion output has {len(champion.labels)}"
        )
    differ = np.flatnonzero(~np.isclose(candidate.labels, champion.labels, rtol=1e-9, atol=1e-9))
    if len(differ):
        i = int(differ[0])
        raise LabelMismatchError(
            f"row {i + 1}: candidate output says label {candidate.labels[i]:g}, champion output says "
            f"{champion.labels[i]:g} ({len(differ)} rows differ): the outputs are not the same rows in order"
        )
