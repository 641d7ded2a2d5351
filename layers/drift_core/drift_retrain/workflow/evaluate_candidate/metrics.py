"""Metrics of one model on held-out rows, and paired tests of two models on the SAME rows.

Pure numpy/scipy. Labels are what the training CSV held: class indices ``0..K-1`` for classification,
numbers for regression. Predictions are what built-in XGBoost returns: a probability of class 1
(``binary:logistic``), a class index (``multi:softmax``) or a value (``reg:squarederror``).

Paired tests use that both models scored the same rows, which is far more sensitive than comparing two
error rates: McNemar's exact test on the discordant rows (classification) and a paired bootstrap of the
per-row squared-error difference (regression). Both are one-sided: "is the candidate better?".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from scipy import stats

__all__ = [
    "PairedTest",
    "classification_metrics",
    "correct_predictions",
    "mcnemar_test",
    "paired_bootstrap_test",
    "regression_metrics",
    "roc_auc",
]

_EPS = 1e-15


def correct_predictions(task: str, labels: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """Boolean per row: the predicted class equals the label (binary thresholds at 0.5)."""
    labels = np.asarray(labels, dtype=np.float64)
    predictions = np.asarray(predictions, dtype=np.float64)
    if task == "binary":
        return (predictions >= 0.5).astype(np.int64) == labels.astype(np.int64)
    return np.rint(predictions).astype(np.int64) == labels.astype(np.int64)


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney with midranks for ties); ``None`` with a single class."""
    labels = np.asarray(labels).astype(np.int64)
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    ranks = stats.rankdata(np.asarray(scores, dtype=np.float64))
    return float((ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def classification_metrics(task: str, labels: np.ndarray, predictions: np.ndarray) -> dict[str, float | None]:
    """Accuracy and error rate; for binary also AUC and log loss."""
    correct = correct_predictions(task, labels, predictions)
    accuracy = float(correct.mean()) if len(correct) else float("nan")
    result: dict[str, float | None] = {
        "rows": len(correct),
        "accuracy": accuracy,
        "error_rate": 1.0 - accuracy,
    }
    if task == "binary":
        p = np.clip(np.asarray(predictions, dtype=np.float64), _EPS, 1 - _EPS)
        y = np.asarray(labels, dtype=np.float64)
        result["auc"] = roc_auc(y, p)
        result["log_loss"] = float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))) if len(y) else None
    return result


def regression_metrics(labels: np.ndarray, predictions: np.ndarray) -> dict[str, float]:
    """RMSE, MAE and MSE."""
    errors = np.asarray(predictions, dtype=np.float64) - np.asarray(labels, dtype=np.float64)
    mse = float(np.mean(errors**2)) if len(errors) else float("nan")
    return {
        "rows": len(errors),
        "rmse": float(np.sqrt(mse)),
        "mae": float(np.mean(np.abs(errors))) if len(errors) else float("nan"),
        "mse": mse,
    }


@dataclass(frozen=True)
class PairedTest:
    """Result of a one-sided paired test "candidate better than champion"."""

    name: str
    p_value: float
    statistic: float
    detail: dict

    def to_dict(self) -> dict:
        return asdict(self)


def mcnemar_test(candidate_correct: np.ndarray, champion_correct: np.ndarray) -> PairedTest:
    """Exact one-sided McNemar test on the discordant rows.

    ``b`` rows only the candidate gets right, ``c`` rows only the champion gets right. Under "equally
    good", ``b ~ Binomial(b + c, 1/2)``; the p-value is ``P(B >= b)``. No discordant rows: p = 1.
    """
    candidate_correct = np.asarray(candidate_correct, dtype=bool)
    champion_correct = np.asarray(champion_correct, dtype=bool)
    b = int(np.sum(candidate_correct & ~champion_correct))
    c = int(np.sum(~candidate_correct & champion_correct))
    p_value = 1.0 if b + c == 0 else float(stats.binomtest(b, b + c, 0.5, alternative="greater").pvalue)
    return PairedTest(
        name="mcnemar_exact_one_sided",
        p_value=p_value,
        statistic=float(b - c),
        detail={"candidate_only_correct": b, "champion_only_correct": c, "discordant": b + c},
    )


def paired_bootstrap_test(
    candidate_loss: np.ndarray, champion_loss: np.ndarray, *, resamples: int = 2000, seed: int = 0
) -> PairedTest:
    """One-sided paired bootstrap of the mean per-row loss difference (champion - candidate).

    The p-value is the share of resampled mean differences at or below zero (with the +1 correction),
    i.e. how often the candidate does not look better when the rows are resampled together.
    """
    diff = np.asarray(champion_loss, dtype=np.float64) - np.asarray(candidate_loss, dtype=np.float64)
    n = len(diff)
    if n == 0:
        return PairedTest("paired_bootstrap_one_sided", 1.0, 0.0, {"resamples": 0, "mean_difference": None})
    rng = np.random.default_rng(seed)
    at_or_below = 0
    chunk = max(1, min(resamples, 4_000_000 // max(n, 1)))
    done = 0
    while done < resamples:
        size = min(chunk, resamples - done)
        means = diff[rng.integers(0, n, size=(size, n))].mean(axis=1)
        at_or_below += int(np.sum(means <= 0))
        done += size
    p_value = (at_or_below + 1) / (resamples + 1)
    mean = float(diff.mean())
    return PairedTest(
        name="paired_bootstrap_one_sided",
        p_value=float(p_value),
        statistic=mean,
        detail={"resamples": resamples, "mean_difference": mean, "seed": seed},
    )
