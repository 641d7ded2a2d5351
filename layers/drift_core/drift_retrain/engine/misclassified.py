"""A look at the rows the champion gets wrong (the seeds' ``get_sample``), for the drift report.

A person trusts a concept-drift verdict faster after seeing a few rows the model now misses. The sample is
bounded (at most :data:`MAX_MISCLASSIFIED` rows, so a report stays small whatever the batch) and seeded
(the same batch gives the same rows). Classification: a seeded uniform sample of the misclassified rows.
Regression, where every row is "wrong" by some amount: the rows with the largest squared error.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.performance import predicted_classes

__all__ = ["MAX_MISCLASSIFIED", "PREDICTION_FIELD", "ROW_FIELD", "sample_misclassified"]

#: Most rows a report lists.
MAX_MISCLASSIFIED = 20
#: Keys added next to the batch's columns in each sampled row.
PREDICTION_FIELD, ROW_FIELD = "prediction", "row"


def sample_misclassified(
    rows: pd.DataFrame,
    predictions: np.ndarray,
    losses: np.ndarray,
    *,
    task: str,
    classes: tuple[str, ...],
    seed: int,
    limit: int = MAX_MISCLASSIFIED,
) -> list[dict[str, Any]]:
    """Up to ``limit`` of ``rows`` the champion got wrong, with its prediction, in batch order.

    ``rows`` are the labelled rows that were scored (the batch's columns, original index), ``predictions``
    and ``losses`` what the champion returned for them and their per-row loss. Each entry holds the
    batch's columns, ``prediction`` (the class name, or the value) and ``row`` (1-based position among
    the rows checked).
    """
    losses = np.asarray(losses, dtype=np.float64)
    if task == "regression":
        wrong = np.flatnonzero(losses > 0)
        chosen = wrong[np.argsort(-losses[wrong], kind="stable")[:limit]]
        shown = np.asarray(predictions, dtype=np.float64).reshape(len(losses), -1)[:, 0]
    else:
        wrong = np.flatnonzero(losses > 0)
        chosen = (
            wrong if len(wrong) <= limit else np.random.default_rng(seed).choice(wrong, limit, replace=False)
        )
        shown = np.asarray(classes, dtype=object)[predicted_classes(predictions, len(classes))]
    chosen = np.sort(chosen)
    sample = []
    for position in chosen:
        record = {str(k): _plain(v) for k, v in rows.iloc[int(position)].items()}
        record[PREDICTION_FIELD] = _plain(shown[int(position)])
        record[ROW_FIELD] = int(rows.index[int(position)]) + 1
        sample.append(record)
    return sample


def _plain(value: Any) -> Any:
    """A JSON-ready scalar: numpy types to Python, missing and non-finite values to ``None``."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value if isinstance(value, (bool, int, float, str)) else str(value)
