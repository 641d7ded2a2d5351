"""Transform outputs: the ``label,prediction`` lines a batch transform wrote, read and lined up.

Each transform wrote ``<test file>.out`` lines (``DataProcessing`` joined the input and kept its first
and last fields). Every model must have scored the same held-out rows in the same order, so the labels
are compared row by row before anything is computed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.aws import storage
from drift_retrain.workflow.exceptions import (
    LabelMismatchError,
    PredictionCountMismatchError,
    TransformOutputFormatError,
    TransformOutputMissingError,
)

__all__ = ["ScoredRows", "pair_outputs", "parse_transform_output", "read_transform_output"]


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


def read_transform_output(s3: Any, uri: str) -> ScoredRows:
    """Every ``.out`` file under the transform's output prefix, in key order."""
    bucket, prefix = storage.split_uri(uri)
    keys = sorted(o.key for o in storage.list_objects(s3, bucket, prefix) if o.key.endswith(".out"))
    if not keys:
        raise TransformOutputMissingError(
            f"no .out file under {uri}: did the transform job write its output there?"
        )
    labels, predictions = [], []
    for key in keys:
        text = storage.read_object(s3, bucket, key).decode("utf-8")
        y, p = parse_transform_output(text, storage.s3_uri(bucket, key))
        labels.append(y)
        predictions.append(p)
    return ScoredRows(np.concatenate(labels), np.concatenate(predictions), uri)


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
