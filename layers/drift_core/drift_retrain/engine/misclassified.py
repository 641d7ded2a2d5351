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
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.performance import predicted_classes

__all__ = [
    "ERROR_FIELD",
    "LINE_FIELD",
    "MAX_MISCLASSIFIED",
    "PART_FIELD",
    "PREDICTION_FIELD",
    "PROBABILITY_FIELD",
    "ROW_FIELD",
    "MisclassifiedSample",
    "prediction_confidence",
    "sample_misclassified",
]

#: Most rows a report lists.
MAX_MISCLASSIFIED = 20
#: Keys added next to the batch's columns in each sampled row.
PREDICTION_FIELD, ROW_FIELD, LINE_FIELD = "prediction", "row", "line"
PROBABILITY_FIELD, ERROR_FIELD = "probability", "squared_error"
#: The part a row came from, when a batch was summarised part by part.
PART_FIELD = "part"


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
    sample = MisclassifiedSample.of(
        rows, predictions, losses, task=task, classes=classes, seed=seed, limit=limit, lines=lines
    )
    return sample.records()


@dataclass
class MisclassifiedSample:
    """The ``limit`` most telling wrong rows of a batch or part, each with its rank key, mergeable.

    A key is ``[order, part, row]``: the negated confidence or squared error (surest, largest first), or,
    when the champion gave no probabilities, a seeded hash of the row's values, so the rows kept do not
    depend on how the batch was split into parts (those are listed in batch order).
    """

    limit: int
    by_row: bool
    candidates: list[tuple[list[Any], dict[str, Any]]] = field(default_factory=list)

    @classmethod
    def of(
        cls,
        rows: pd.DataFrame,
        predictions: np.ndarray,
        losses: np.ndarray,
        *,
        task: str,
        classes: tuple[str, ...],
        seed: int,
        limit: int = MAX_MISCLASSIFIED,
        lines: np.ndarray | None = None,
        part: str | None = None,
    ) -> MisclassifiedSample:
        losses = np.asarray(losses, dtype=np.float64)
        wrong = np.flatnonzero(losses > 0)
        confidence = None
        if task == "regression":
            order = -losses[wrong]
            shown = np.asarray(predictions, dtype=np.float64).reshape(len(losses), -1)[:, 0]
        else:
            confidence = prediction_confidence(predictions, len(classes))
            order = -confidence[wrong] if confidence is not None else _row_hashes(rows.iloc[wrong], seed)
            shown = np.asarray(classes, dtype=object)[predicted_classes(predictions, len(classes))]
        by_row = task != "regression" and confidence is None
        chosen = np.argsort(order, kind="stable")[:limit]
        sample = cls(limit, by_row)
        for at in chosen:
            position = int(wrong[at])
            record = {str(k): _plain(v) for k, v in rows.iloc[position].items()}
            record[PREDICTION_FIELD] = _plain(shown[position])
            if task == "regression":
                record[ERROR_FIELD] = _plain(losses[position])
            else:
                record[PROBABILITY_FIELD] = None if confidence is None else _plain(confidence[position])
            index = int(rows.index[position])
            record[ROW_FIELD] = index + 1
            record[LINE_FIELD] = int(lines[index]) if lines is not None and 0 <= index < len(lines) else None
            if part is not None:
                record[PART_FIELD] = part
            sample.candidates.append(([_plain(order[at]), part or "", index], record))
        return sample

    def merge(self, other: MisclassifiedSample) -> MisclassifiedSample:
        """The ``limit`` best-ranked of both: what one pass over both parts keeps."""
        joined = sorted([*self.candidates, *other.candidates], key=lambda c: c[0])
        return MisclassifiedSample(self.limit, self.by_row and other.by_row, joined[: self.limit])

    def records(self) -> list[dict[str, Any]]:
        """The rows as the report lists them: rank order, or batch order for a seeded sample."""
        kept = sorted(self.candidates, key=lambda c: c[0])[: self.limit]
        if self.by_row:
            kept.sort(key=lambda c: c[0][1:])
        return [record for _, record in kept]

    def to_json(self) -> dict[str, Any]:
        return {
            "limit": self.limit,
            "by_row": self.by_row,
            "candidates": [{"key": key, "row": record} for key, record in self.candidates],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MisclassifiedSample:
        candidates = [(list(c["key"]), dict(c["row"])) for c in data["candidates"]]
        return cls(int(data["limit"]), bool(data["by_row"]), candidates)


def _row_hashes(rows: pd.DataFrame, seed: int) -> np.ndarray:
    """A seeded 64-bit hash of each row's values (the same row, the same hash, in whichever part)."""
    key = f"{seed % (1 << 64):016x}"[-16:]
    return pd.util.hash_pandas_object(rows, index=False, hash_key=key).to_numpy(dtype=np.uint64)


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
