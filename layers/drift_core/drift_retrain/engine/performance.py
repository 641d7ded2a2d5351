"""How wrong a model is on labelled rows: errors for classification, squared error for regression.

The champion's figure on its holdout is stored in the baseline profile; the concept-drift test compares
the same figure on a new batch against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.metric_names import concept_metric
from drift_retrain.engine.schema import canonical_labels
from drift_retrain.exceptions import PredictionError, ProfileError

__all__ = [
    "HoldoutPerformance",
    "encode_labels",
    "predicted_classes",
    "prediction_losses",
]


@dataclass(frozen=True)
class HoldoutPerformance:
    """Summary of a model's errors on labelled rows.

    Classification: ``errors`` of ``rows`` misclassified. Regression: mean and variance of the squared
    error over ``rows`` (enough for a two-sample test of the mean loss without keeping the rows).
    """

    task: str
    rows: int
    errors: int = 0
    loss_mean: float = 0.0
    loss_var: float = 0.0

    @property
    def metric(self) -> str:
        return concept_metric(self.task)

    @property
    def value(self) -> float:
        """Error rate (classification) or mean squared error (regression)."""
        if self.rows == 0:
            return float("nan")
        return self.loss_mean if self.task == "regression" else self.errors / self.rows

    @classmethod
    def from_predictions(
        cls, task: str, labels: np.ndarray, predictions: np.ndarray, classes: tuple[str, ...] = ()
    ) -> HoldoutPerformance:
        """Summarise predictions against labels (see ``prediction_errors`` for the accepted shapes)."""
        return cls.from_losses(task, prediction_losses(task, labels, predictions, classes))

    @classmethod
    def from_losses(cls, task: str, losses: np.ndarray) -> HoldoutPerformance:
        """Summarise per-row losses (``prediction_losses``)."""
        losses = np.asarray(losses)
        if task == "regression":
            var = float(np.var(losses, ddof=1)) if len(losses) > 1 else 0.0
            return cls(task=task, rows=len(losses), loss_mean=float(np.mean(losses)), loss_var=var)
        return cls(task=task, rows=len(losses), errors=int(losses.sum()))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["metric"] = self.metric
        data["value"] = self.value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HoldoutPerformance:
        try:
            return cls(
                task=str(data["task"]),
                rows=int(data["rows"]),
                errors=int(data.get("errors", 0)),
                loss_mean=float(data.get("loss_mean", 0.0)),
                loss_var=float(data.get("loss_var", 0.0)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ProfileError(f"holdout performance is malformed: {exc}") from exc


def encode_labels(labels: pd.Series | np.ndarray, classes: tuple[str, ...]) -> np.ndarray:
    """Class labels (canonical strings) to indices 0..K-1 in ``classes`` order; what the model learns."""
    index = {c: i for i, c in enumerate(classes)}
    values = canonical_labels(pd.Series(labels, dtype=object))
    codes = values.map(index)
    if codes.isna().any():
        bad = values[codes.isna()].iloc[0]
        raise PredictionError(f"label {bad!r} is not one of the classes {list(classes)}")
    return codes.to_numpy(dtype=np.int64)


def predicted_classes(predictions: np.ndarray, n_classes: int) -> np.ndarray:
    """Class indices from what a built-in XGBoost endpoint returns.

    Binary: a probability per row (``binary:logistic``), thresholded at 0.5, or a 2-column matrix.
    Multiclass: a probability matrix (``multi:softprob``, argmax) or a class index per row (``multi:softmax``).
    """
    preds = np.asarray(predictions, dtype=np.float64)
    if preds.ndim == 2 and preds.shape[1] == 1:
        preds = preds[:, 0]
    if preds.ndim == 2:
        if preds.shape[1] != n_classes:
            raise PredictionError(f"predictions have {preds.shape[1]} columns for {n_classes} classes")
        return np.argmax(preds, axis=1)
    if np.isnan(preds).any():
        raise PredictionError("predictions contain missing values")
    if n_classes == 2 and np.all((preds >= 0) & (preds <= 1)):
        return (preds >= 0.5).astype(np.int64)
    if np.all(preds == np.round(preds)) and preds.min() >= 0 and preds.max() < n_classes:
        return preds.astype(np.int64)
    raise PredictionError(
        f"predictions are neither probabilities nor class indices for {n_classes} classes "
        f"(range {preds.min():g}..{preds.max():g})"
    )


def prediction_losses(
    task: str, labels: np.ndarray | pd.Series, predictions: np.ndarray, classes: tuple[str, ...] = ()
) -> np.ndarray:
    """Per-row loss: 0/1 misclassification, or squared error for regression."""
    preds = np.asarray(predictions)
    if len(preds) != len(labels):
        raise PredictionError(f"{len(preds)} predictions for {len(labels)} labelled rows")
    if task == "regression":
        values = np.asarray(preds, dtype=np.float64).reshape(len(preds), -1)[:, 0]
        truth = np.asarray(labels, dtype=np.float64)
        if np.isnan(values).any():
            raise PredictionError("predictions contain missing values")
        return (values - truth) ** 2
    truth_idx = encode_labels(labels, classes)
    return (predicted_classes(preds, len(classes)) != truth_idx).astype(np.int64)
