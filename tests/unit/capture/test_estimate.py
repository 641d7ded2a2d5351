"""CBPE pieces: isotonic calibration, the expected error and its interval, the rise test, the reference."""

from __future__ import annotations

import numpy as np
import pytest
from capture_support import binary_profile, multiclass_profile

from drift_retrain.capture.estimate import MAX_STEPS, Calibration, estimate_error, rise_test
from drift_retrain.capture.reference import PredictionReference
from drift_retrain.exceptions import ProfileError


def overconfident(rows: int, seed: int):
    """Scores too sure of themselves: the true P(1) is t, the score 0.5 + 1.6 (t - 0.5), clipped."""
    rng = np.random.default_rng(seed)
    truth = rng.uniform(size=rows)
    scores = np.clip(0.5 + 1.6 * (truth - 0.5), 0.001, 0.999)
    labels = np.where(rng.uniform(size=rows) < truth, "1", "0")
    return scores, labels, truth


def test_isotonic_calibration_is_monotone_and_recovers_the_event_rate():
    scores, labels, _ = overconfident(20_000, 0)
    calibration = Calibration.fit(scores, labels, positive_label="1")
    assert np.all(np.diff(calibration.y) >= 0) and len(calibration.x) <= MAX_STEPS
    # a raw score of 0.9 means truth 0.5 + 0.4 / 1.6 = 0.75
    assert calibration([0.9])[0] == pytest.approx(0.75, abs=0.04)
    assert Calibration.from_dict(calibration.to_dict()) == calibration


def test_estimate_of_calibrated_scores_is_the_expected_error_with_an_interval():
    rng = np.random.default_rng(1)
    p = rng.uniform(size=5000)
    estimate = estimate_error(p, None, "binary")
    assert estimate.error == pytest.approx(np.minimum(p, 1 - p).mean())
    assert estimate.low < estimate.error < estimate.high and not estimate.calibrated
    realised = np.mean((p >= 0.5) != (rng.uniform(size=5000) < p))
    assert estimate.low <= realised <= estimate.high


def test_calibration_corrects_an_overconfident_models_estimate():
    scores, labels, _ = overconfident(20_000, 2)
    calibration = Calibration.fit(scores, labels, positive_label="1")
    fresh, _, fresh_truth = overconfident(5000, 3)
    expected = np.minimum(fresh_truth, 1 - fresh_truth).mean()
    raw = estimate_error(fresh, None, "binary").error
    calibrated = estimate_error(fresh, calibration, "binary").error
    assert abs(calibrated - expected) < 0.01 < abs(raw - expected)


def test_multiclass_estimate_uses_the_served_class_confidence():
    confidence = np.full(1000, 0.7)
    served = np.array(["a"] * 1000, dtype=object)
    labels = np.where(np.arange(1000) % 10 < 6, "a", "b")  # the served class is right 60% of the time
    calibration = Calibration.fit(confidence, labels, predictions=served)
    assert estimate_error(confidence, calibration, "multiclass").error == pytest.approx(0.4)
    assert estimate_error(confidence, None, "multiclass").error == pytest.approx(0.3)


def test_no_estimate_for_regression_or_without_scores():
    assert estimate_error([1.0], None, "regression") is None
    assert estimate_error([np.nan], None, "binary") is None


def test_rise_test_flags_a_clear_rise_only():
    rng = np.random.default_rng(4)
    high = estimate_error(rng.uniform(0.2, 0.5, size=2000), None, "binary")  # ~0.35
    low = estimate_error(rng.uniform(0.0, 0.4, size=2000), None, "binary")  # ~0.2
    assert rise_test(high, 0.2, 2000, 0.02) < 1e-6
    assert rise_test(low, 0.2, 2000, 0.02) > 0.5


def test_prediction_reference_round_trip_and_errors():
    profile = binary_profile()
    rng = np.random.default_rng(5)
    scores = rng.uniform(size=800)
    labels = (rng.uniform(size=800) < scores).astype(int)
    reference = PredictionReference.build(profile.schema, scores, labels)
    again = PredictionReference.from_json_bytes(reference.to_json_bytes())
    assert again.to_dict() == reference.to_dict()
    assert reference.holdout.errors == int(((scores >= 0.5) != labels).sum())
    assert sorted(reference.predictions.categories) == ["0", "1"] and reference.calibration.kind == "binary"
    with pytest.raises(ProfileError, match="not valid JSON"):
        PredictionReference.from_json_bytes(b"{")
    with pytest.raises(ProfileError, match="corrupt"):
        PredictionReference.from_dict({"reference_version": 1})


def test_multiclass_reference_from_a_probability_matrix():
    profile = multiclass_profile()
    rng = np.random.default_rng(6)
    matrix = rng.dirichlet([1, 1, 1], size=300)
    labels = rng.choice(["a", "b", "c"], size=300)
    reference = PredictionReference.build(profile.schema, matrix, labels)
    assert reference.calibration.kind == "confidence" and reference.scores.count == 300
