"""A look at the rows the champion gets wrong (the seeds' ``get_sample``), for the drift report.

A person trusts a concept-drift verdict faster after seeing a few rows the model now misses. The list is
bounded (at most :data:`MAX_MISCLASSIFIED` rows, so a report stays small whatever the batch) and
deterministic. Classification: the wrong predictions the champion was most sure of first, with the
probability it gave its answer (when it returned probabilities; a seeded sample when it returned class
indices only). Regression, where every row is "wrong" by some amount: the largest squared errors first.
Each row carries its data row and, when the reader kept it, its file line (the numbering error
messages use).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.performance import predicted_classes

__all__ = [
    "ERROR_FIELD",
    "LINE_FIELD",
    "MAX_MISCLASSIFIED",
    "PREDICTION_FIELD",
    "PROBABILITY_FIELD",
    "ROW_FIELD",
    "prediction_confidence",
    "sample_misclassified",
]

#: Most rows a report lists.
MAX_MISCLASSIFIED = 20
#: Keys added next to the batch's columns in each sampled row.
PREDICTION_FIELD, ROW_FIELD, LINE_FIELD = "prediction", "row", "line"
PROBABILITY_FIELD, ERROR_FIELD = "probability", "squared_error"


def sample_misclassified(
    rows: pd.DataFrame,
    predictions: np.ndarray,
    losses: np.ndarray,
    *,
    task: str,
    classes: tuple[str, ...],
    seed: int,
    limit: int = MAX_MISCLASSIFIED,
    lines: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Up to ``limit`` of ``rows`` the champion got wrong, with its prediction, most telling first.

    ``rows`` are the labelled rows that were scored (the batch's columns, their index the position in the
    batch as read), ``predictions`` and ``losses`` what the champion returned for them and their per-row
    loss, ``lines`` the file line of every row of the batch (``CsvBatch.line_of_row``) when known. Each
    entry holds the batch's columns, ``prediction`` (the class name, or the value), ``probability`` (the
    champion's probability of its answer, classification) or ``squared_error`` (regression), ``row``
    (1-based position among the rows checked) and ``line`` (its file line, or None).
    """
    losses = np.asarray(losses, dtype=np.float64)
    wrong = np.flatnonzero(losses > 0)
    confidence = None
    if task == "regression":
        chosen = wrong[np.argsort(-losses[wrong], kind="stable")[:limit]]
        shown = np.asarray(predictions, dtype=np.float64).reshape(len(losses), -1)[:, 0]
    else:
        confidence = prediction_confidence(predictions, len(classes))
        if confidence is not None:
            chosen = wrong[np.argsort(-confidence[wrong], kind="stable")[:limit]]
        else:
            rng = np.random.default_rng(seed)
            chosen = wrong if len(wrong) <= limit else np.sort(rng.choice(wrong, limit, replace=False))
        shown = np.asarray(classes, dtype=object)[predicted_classes(predictions, len(classes))]
    sample = []
    for position in chosen:
        position = int(position)
        record = {str(k): _plain(v) for k, v in rows.iloc[position].items()}
        record[PREDICTION_FIELD] = _plain(shown[position])
        if task == "regression":
            record[ERROR_FIELD] = _plain(losses[position])
        else:
            record[PROBABILITY_FIELD] = None if confidence is None else _plain(confidence[position])
        index = int(rows.index[position])
        record[ROW_FIELD] = index + 1
        record[LINE_FIELD] = int(lines[index]) if lines is not None and 0 <= index < len(lines) else None
        sample.append(record)
    return sample


def prediction_confidence(predictions: np.ndarray, n_classes: int) -> np.ndarray | None:
    """The probability the champion gave the class it predicted, per row; None for class indices."""
    preds = np.asarray(predictions, dtype=np.float64)
    if preds.ndim == 2 and preds.shape[1] == 1:
        preds = preds[:, 0]
    if preds.ndim == 2:
        return preds.max(axis=1)
    if n_classes == 2 and len(preds) and np.all((preds >= 0) & (preds <= 1)):
        if np.all((preds == 0) | (preds == 1)):
            return None  # hard 0/1 answers carry no confidence
        return np.where(preds >= 0.5, preds, 1.0 - preds)
    return None


def _plain(value: Any) -> Any:
    """A JSON-ready scalar: numpy types to Python, missing and non-finite values to ``None``."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value if isinstance(value, (bool, int, float, str)) else str(value)
