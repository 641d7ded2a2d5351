"""The probe: a cheap linear model fitted on a batch's labelled rows, to see whether a fresh model would
beat the champion there (``engine.challenger`` tests the gain).

Classification: L2-regularised logistic regression (one against the rest for more than two classes) by
a few Newton steps; regression: ridge regression. Both on the features as the champion sees them
(``FeatureEncoder``), standardised on the fitting rows, a missing value at the column's mean. The fit is
cross-fitted (:data:`FOLDS` seeded folds), so each row's probe loss is out of fold and the paired gain
(champion loss minus probe loss) is an honest estimate of what a model of these rows would gain on rows
like them. numpy only, and bounded: at most :data:`ITERATIONS` Newton steps per fit, on at most
:func:`probe_rows` rows (a seeded sample of the scored rows beyond it), so that its fits take at most
:data:`BUDGET` multiply-adds, about a second of one Lambda vCPU; a table too wide for that gets no probe.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "BUDGET",
    "FOLDS",
    "ITERATIONS",
    "MAX_ROWS",
    "RIDGE",
    "min_probe_rows",
    "probe_losses",
    "probe_rows",
]

#: Cross-fitting folds, Newton steps per logistic fit, and the L2 penalty on standardised features.
FOLDS = 5
ITERATIONS = 8
RIDGE = 1.0
#: Most rows a probe is fitted on, and the most multiply-adds its fits may take (the Hessians dominate:
#: rows x coefficients^2 per Newton step, per fold, per class beyond two).
MAX_ROWS = 2_000
BUDGET = 1e9


def min_probe_rows(features: int) -> int:
    """Fewest rows for a fit: each fold's fitting rows at least five per coefficient."""
    return max(5 * (features + 1) * FOLDS // (FOLDS - 1), 50)


def probe_rows(features: int, classes: int) -> int:
    """The most rows a probe may be fitted on within :data:`BUDGET` (at most :data:`MAX_ROWS`)."""
    fits = classes if classes > 2 else 1
    per_row = (features + 1) ** 2 * fits * FOLDS * ITERATIONS
    return int(min(MAX_ROWS, BUDGET // per_row))


def probe_losses(task: str, matrix: np.ndarray, target: np.ndarray, *, classes: int, seed: int) -> np.ndarray:
    """Out-of-fold probe losses (0/1 error, or squared error) for ``matrix`` (rows x features, NaN for
    missing) and ``target`` (class indices, or values for ``task`` "regression")."""
    matrix = np.asarray(matrix, dtype=np.float64)
    n = len(matrix)
    order = np.random.default_rng(seed).permutation(n)
    fold_of = np.empty(n, dtype=np.int64)
    fold_of[order] = np.arange(n) % FOLDS
    losses = np.empty(n, dtype=np.float64)
    for fold in range(FOLDS):
        test = fold_of == fold
        x_fit, x_test = _design(matrix[~test], matrix[test])
        if task == "regression":
            y = np.asarray(target, dtype=np.float64)
            coef = _ridge(x_fit, y[~test])
            losses[test] = (x_test @ coef - y[test]) ** 2
        else:
            y = np.asarray(target, dtype=np.int64)
            scores = _classify(x_fit, y[~test], x_test, classes)
            losses[test] = (np.argmax(scores, axis=1) != y[test]).astype(np.float64)
    return losses


def _design(fit: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standardise on the fitting rows (missing at the mean) and add the intercept column."""
    with np.errstate(all="ignore"):
        mean = np.nanmean(fit, axis=0) if len(fit) else np.zeros(fit.shape[1])
        scale = np.nanstd(fit, axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)

    def standard(x: np.ndarray) -> np.ndarray:
        z = (x - mean) / scale
        z[~np.isfinite(z)] = 0.0
        return np.column_stack([np.ones(len(z)), z])

    return standard(fit), standard(test)


def _penalty(width: int) -> np.ndarray:
    penalty = np.full(width, RIDGE)
    penalty[0] = 0.0  # the intercept is free
    return np.diag(penalty)


def _ridge(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.linalg.lstsq(x.T @ x + _penalty(x.shape[1]), x.T @ y, rcond=None)[0]


def _logistic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """L2-regularised logistic regression of the 0/1 ``y`` by Newton's method (IRLS)."""
    penalty = _penalty(x.shape[1])
    coef = np.zeros(x.shape[1])
    for _ in range(ITERATIONS):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ coef, -30, 30)))
        gradient = x.T @ (p - y) + penalty @ coef
        hessian = (x * (p * (1 - p))[:, None]).T @ x + penalty + 1e-9 * np.eye(x.shape[1])
        step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
        coef -= step
        if np.max(np.abs(step)) < 1e-6:
            break
    return coef


def _classify(x_fit: np.ndarray, y_fit: np.ndarray, x_test: np.ndarray, classes: int) -> np.ndarray:
    """Scores per class for ``x_test``: one logistic fit for two classes, one per class beyond."""
    if classes <= 2:
        score = x_test @ _logistic(x_fit, (y_fit == 1).astype(np.float64))
        return np.column_stack([-score, score])
    return np.column_stack(
        [x_test @ _logistic(x_fit, (y_fit == k).astype(np.float64)) for k in range(classes)]
    )
