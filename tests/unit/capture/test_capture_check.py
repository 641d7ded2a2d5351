"""The check of captured traffic: one body with the batch check, served predictions, the extra sections."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from capture_support import binary_profile, regression_profile, training_frame

from drift_retrain.capture.check import capture_lines, run_capture_check
from drift_retrain.capture.records import EVENT_ID, INFERENCE_ID, INFERENCE_TIME, PREDICTION, ROW, SCORE
from drift_retrain.capture.reference import PredictionReference
from drift_retrain.engine.check import run_check
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.report import render_text

ROWS = 3000


@pytest.fixture(scope="module")
def profile():
    return binary_profile(holdout_rate=0.2)


@pytest.fixture(scope="module")
def reference(profile):
    """The holdout: scores whose errors are 20% (served class wrong 1 time in 5)."""
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 2, size=2000)
    right = rng.uniform(size=2000) >= 0.2
    served = np.where(right, labels, 1 - labels)
    scores = np.where(served == 1, 0.8, 0.2)
    return PredictionReference.build(profile.schema, scores, labels)


def window(*, seed: int = 11, wrong: float = 0.2, labelled: bool = True, score: float = 0.8) -> pd.DataFrame:
    """Captured rows like the training data, served with the given error rate and confidence."""
    rng = np.random.default_rng(seed)
    frame = training_frame(ROWS, seed=seed)
    labels = frame.pop("label").to_numpy()
    served = np.where(rng.uniform(size=ROWS) < wrong, 1 - labels, labels)
    frame[EVENT_ID] = [f"e{i}" for i in range(ROWS)]
    frame[INFERENCE_ID] = None
    frame[INFERENCE_TIME] = "2026-12-05T09:00:00Z"
    frame[ROW] = 0
    frame[PREDICTION] = served.astype(str).astype(object)
    frame[SCORE] = np.where(served == 1, score, round(1 - score, 6))
    frame["label"] = labels.astype(str).astype(object) if labelled else None
    return frame


def test_captured_rows_get_the_same_feature_and_label_tests_as_a_batch(profile, tmp_path):
    frame = window()
    path = tmp_path / "batch.csv"
    frame[["label", "x", "y", "color"]].to_csv(path, index=False)
    config = DriftConfig()
    batch = run_check(path, profile, config).to_dict()
    capture = run_capture_check(frame, profile, config).to_dict()
    for key in ("features", "drifted_features", "label_drift", "labelled_rows", "rows"):
        assert capture[key] == batch[key], key


def test_concept_test_uses_the_served_predictions_without_an_endpoint(profile, reference):
    healthy = run_capture_check(window(wrong=0.2), profile, reference=reference)
    worse = run_capture_check(window(wrong=0.35), profile, reference=reference)
    assert healthy.concept.tested and not healthy.concept.detected
    assert worse.concept.detected and worse.retrain
    assert worse.concept.error == pytest.approx(0.35, abs=0.03)


def test_estimate_alerts_on_a_confident_rise_and_never_retrains(profile, reference):
    # every row served at a score of 0.5: calibrated on the holdout (0.2 and 0.8), a coin flip
    unsure = window(labelled=False, score=0.5)
    report = run_capture_check(unsure, profile, reference=reference)
    section = report.to_dict()["estimated_performance"]
    assert section["tested"] and section["calibrated"]
    assert section["error"] > 0.3 and section["alert"]
    assert report.to_dict()["alert"] and not report.retrain
    assert "covariate shift" in section["assumption"]


def test_estimate_matches_the_holdout_when_nothing_changed(profile, reference):
    section = run_capture_check(window(labelled=False), profile, reference=reference).to_dict()
    estimate = section["estimated_performance"]
    assert estimate["error"] == pytest.approx(0.2, abs=0.02) and not estimate["alert"]
    assert estimate["low"] <= 0.2 <= estimate["high"]


def test_prediction_drift_is_its_own_alert_and_never_a_retrain(profile, reference):
    frame = window(labelled=False)
    frame[PREDICTION] = np.where(np.arange(ROWS) % 10 < 9, "1", "0").astype(object)  # 90% served positive
    frame[SCORE] = np.where(frame[PREDICTION] == "1", 0.8, 0.2)
    report = run_capture_check(frame, profile, reference=reference)
    drift = report.to_dict()["prediction_drift"]
    assert drift["alert"] and "predictions" in drift["drifted"]
    assert not report.retrain
    quiet = run_capture_check(window(labelled=False), profile, reference=reference).to_dict()
    assert quiet["prediction_drift"]["tested"] and not quiet["prediction_drift"]["alert"]


def test_without_a_reference_the_sections_say_why(profile):
    data = run_capture_check(window(labelled=False), profile).to_dict()
    assert data["prediction_drift"] == {
        "tested": False,
        "reason": "no prediction reference (written at promotion)",
        "alert": False,
    }
    assert data["estimated_performance"]["tested"] and not data["estimated_performance"]["calibrated"]
    text = "\n".join([render_text(data), *capture_lines(data)])
    assert "estimated error" in text and "prediction drift: not tested" in text


def test_labelled_rows_without_a_captured_output_are_counted_and_not_judged(profile, reference):
    frame = window()
    frame.loc[:9, PREDICTION] = None
    report = run_capture_check(frame, profile, reference=reference)
    assert report.concept.tested and report.concept.rows == ROWS - 10
    assert report.to_dict()["capture"]["labelled_without_output"] == 10


def test_the_report_is_strict_json_even_with_missing_outputs(profile, reference):
    frame = window()
    frame.loc[:99, PREDICTION] = None
    frame.loc[:199, SCORE] = np.nan
    data = run_capture_check(frame, profile, reference=reference).to_dict()
    assert json.loads(json.dumps(data, allow_nan=False))["capture"]["labelled_without_output"] == 100


def test_regression_gets_prediction_drift_on_values_and_no_estimate():
    profile = regression_profile()
    rng = np.random.default_rng(8)
    x = rng.normal(size=1000)
    reference = PredictionReference.build(profile.schema, 2 * x, 2 * x + rng.normal(size=1000))
    frame = pd.DataFrame({"x": x + 1.0})
    frame[PREDICTION] = 2 * frame["x"]
    frame[SCORE] = np.nan
    data = run_capture_check(frame, profile, reference=reference).to_dict()
    assert data["prediction_drift"]["alert"] and data["prediction_drift"]["predictions"]["test"] == "ks"
    assert data["estimated_performance"]["tested"] is False
