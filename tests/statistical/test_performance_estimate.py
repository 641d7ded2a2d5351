"""CBPE tracks the realised error under covariate shift, and is blind to a pure concept change (fixed seeds).

The concept: P(y = 1 | x) = sigmoid(w.x) with x in R^3. The served model is miscalibrated on purpose
(over-confident and biased: sigmoid(1.8 w.x + 0.3)), so the isotonic calibration on its holdout does real
work. Each covariate-shift stream moves and scales the feature distribution (the concept is unchanged)
and is served 2,000 rows; the estimate from the served scores alone is compared with the error the
labels reveal. The figures measured here are quoted in docs/data-capture.md.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit, softmax

from drift_retrain.capture.estimate import estimate_error
from drift_retrain.capture.reference import PredictionReference
from drift_retrain.engine.schema import ColumnSpec, Schema

W = np.array([1.5, -1.0, 0.5])
SCHEMA = Schema(
    columns=tuple(ColumnSpec(f"x{i}", "numeric") for i in range(3)),
    label="y",
    task="binary",
    classes=("0", "1"),
)
HOLDOUT_ROWS, STREAM_ROWS, STREAMS = 5000, 2000, 60


def served(x: np.ndarray) -> np.ndarray:
    return expit(1.8 * (x @ W) + 0.3)


def labels(x: np.ndarray, rng: np.random.Generator, w: np.ndarray = W) -> np.ndarray:
    return (rng.uniform(size=len(x)) < expit(x @ w)).astype(int)


@pytest.fixture(scope="module")
def reference() -> PredictionReference:
    rng = np.random.default_rng(2026)
    x = rng.normal(size=(HOLDOUT_ROWS, 3))
    return PredictionReference.build(SCHEMA, served(x), labels(x, rng))


def covariate_shift_streams():
    """(estimate, realised) per stream: means shifted up to 1.5 sd in a random direction, scales 0.5-2."""
    out = []
    for seed in range(STREAMS):
        rng = np.random.default_rng(10_000 + seed)
        shift = rng.normal(size=3)
        shift *= rng.uniform(0, 1.5) / np.linalg.norm(shift)
        x = shift + rng.uniform(0.5, 2.0) * rng.normal(size=(STREAM_ROWS, 3))
        scores = served(x)
        realised = float(np.mean((scores >= 0.5) != labels(x, rng)))
        out.append((scores, realised))
    return out


def test_estimate_tracks_the_realised_error_under_covariate_shift(reference):
    rows = []
    for scores, realised in covariate_shift_streams():
        estimate = estimate_error(scores, reference.calibration, "binary")
        rows.append((estimate.error, estimate.low, estimate.high, realised))
    est, low, high, real = map(np.asarray, zip(*rows, strict=True))
    gap = np.abs(est - real)
    coverage = float(np.mean((low <= real) & (real <= high)))
    print(
        f"\nCBPE over {STREAMS} covariate-shift streams of {STREAM_ROWS} rows: realised error "
        f"{real.min():.3f}-{real.max():.3f}; mean |gap| {gap.mean():.4f}, 95th pct {np.quantile(gap, 0.95):.4f}, "
        f"max {gap.max():.4f}; bias {np.mean(est - real):+.4f}; 95% interval coverage {coverage:.2f}; "
        f"correlation {np.corrcoef(est, real)[0, 1]:.3f}"
    )
    assert real.max() - real.min() > 0.1  # the streams really move the error
    assert gap.mean() < 0.012 and gap.max() < 0.035
    assert abs(np.mean(est - real)) < 0.01
    assert np.corrcoef(est, real)[0, 1] > 0.95
    assert coverage >= 0.9


def test_uncalibrated_scores_would_miss_by_more(reference):
    gaps = [
        abs(estimate_error(scores, None, "binary").error - realised)
        for scores, realised in covariate_shift_streams()
    ]
    calibrated = [
        abs(estimate_error(scores, reference.calibration, "binary").error - realised)
        for scores, realised in covariate_shift_streams()
    ]
    assert np.mean(gaps) > 2 * np.mean(calibrated)


def test_estimate_is_blind_to_a_pure_concept_change(reference):
    rng = np.random.default_rng(77)
    x = rng.normal(size=(STREAM_ROWS, 3))
    scores = served(x)
    before = estimate_error(scores, reference.calibration, "binary").error
    changed = labels(x, rng, w=-W)  # same rows, the opposite concept
    realised = float(np.mean((scores >= 0.5) != changed))
    assert abs(before - reference.holdout.value) < 0.02
    assert realised > before + 0.4  # only the labels (the concept test) can see this


B = np.array([[1.2, -0.8, 0.0], [-0.5, 1.0, -0.6], [0.3, 0.2, 1.1]])
MULTI = Schema(columns=SCHEMA.columns, label="y", task="multiclass", classes=("0", "1", "2"))


def multiclass_draw(x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The served probabilities (over-confident, biased towards class 0) and the labels of the concept."""
    truth = softmax(x @ B, axis=1)
    labels = (rng.uniform(size=(len(x), 1)) > np.cumsum(truth, axis=1)).sum(axis=1)
    return softmax(1.8 * (x @ B) + np.array([0.4, 0.0, 0.0]), axis=1), labels


def test_multiclass_estimate_tracks_the_realised_error_under_covariate_shift():
    rng = np.random.default_rng(2027)
    x = rng.normal(size=(HOLDOUT_ROWS, 3))
    probabilities, holdout_labels = multiclass_draw(x, rng)
    reference = PredictionReference.build(MULTI, probabilities, holdout_labels)
    gaps = []
    for seed in range(STREAMS // 2):
        rng = np.random.default_rng(20_000 + seed)
        shift = rng.normal(size=3)
        shift *= rng.uniform(0, 1.5) / np.linalg.norm(shift)
        x = shift + rng.uniform(0.5, 2.0) * rng.normal(size=(STREAM_ROWS, 3))
        probabilities, stream_labels = multiclass_draw(x, rng)
        estimate = estimate_error(probabilities.max(axis=1), reference.calibration, "multiclass")
        realised = float(np.mean(probabilities.argmax(axis=1) != stream_labels))
        gaps.append(estimate.error - realised)
    gaps = np.asarray(gaps)
    print(
        f"\nmulticlass CBPE over {len(gaps)} streams: mean |gap| {np.abs(gaps).mean():.4f}, "
        f"max {np.abs(gaps).max():.4f}, bias {gaps.mean():+.4f}"
    )
    assert np.abs(gaps).mean() < 0.02 and np.abs(gaps).max() < 0.05
