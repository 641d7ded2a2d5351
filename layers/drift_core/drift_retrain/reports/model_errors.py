"""Where each model goes wrong on the held-out rows: confusion matrices, or residual histograms.

EvaluateCandidate has every model's predictions for the same rows; a few counts per model are what the
evaluation page shows next to the decision. Residual histograms share their bins across models, so the
bars compare. Labels and predictions follow the transform outputs' conventions
(``workflow.evaluate_candidate.metrics``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["RESIDUAL_BINS", "confusion_matrix", "error_views", "residual_histograms"]

RESIDUAL_BINS = 21


def _classes_of(task: str, predictions: np.ndarray) -> np.ndarray:
    values = np.asarray(predictions, dtype=np.float64)
    if task == "binary":
        return (values >= 0.5).astype(np.int64)
    return np.rint(values).astype(np.int64)


def confusion_matrix(
    task: str, labels: np.ndarray, predictions: np.ndarray, n_classes: int
) -> list[list[int]]:
    """``matrix[true][predicted]`` counts; rows and columns outside ``0..n_classes-1`` are dropped."""
    truth = np.asarray(labels, dtype=np.float64).astype(np.int64)
    guess = _classes_of(task, predictions)
    keep = (truth >= 0) & (truth < n_classes) & (guess >= 0) & (guess < n_classes)
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (truth[keep], guess[keep]), 1)
    return matrix.tolist()


def residual_histograms(models: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> dict[str, Any]:
    """Counts of ``prediction - label`` per model on shared, symmetric bins (``edges`` has bins + 1)."""
    residuals = {
        name: np.asarray(pred, dtype=np.float64) - np.asarray(truth, dtype=np.float64)
        for name, (truth, pred) in models.items()
    }
    finite = [r[np.isfinite(r)] for r in residuals.values()]
    reach = max((float(np.quantile(np.abs(r), 0.99)) for r in finite if len(r)), default=1.0) or 1.0
    edges = np.linspace(-reach, reach, RESIDUAL_BINS + 1)
    counts = {}
    for name, r in residuals.items():
        clipped = np.clip(r[np.isfinite(r)], -reach, reach)
        counts[name] = np.histogram(clipped, bins=edges)[0].tolist()
    return {"edges": edges.tolist(), "counts": counts}


def error_views(
    task: str, classes: Sequence[str], models: Mapping[str, tuple[np.ndarray, np.ndarray]]
) -> dict[str, Any]:
    """Per model (``{name: (labels, predictions)}``): a confusion matrix, or shared residual histograms."""
    if task == "regression":
        return {"kind": "residuals", **residual_histograms(models)}
    return {
        "kind": "confusion",
        "classes": list(classes),
        "matrices": {
            name: confusion_matrix(task, truth, pred, len(classes)) for name, (truth, pred) in models.items()
        },
    }
