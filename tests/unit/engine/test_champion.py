"""The concept-drift check: the champion's error against its holdout, and against the reference."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from drift_retrain.engine.champion import concept_drift, recovered
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.performance import HoldoutPerformance
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.schema import infer_schema

ROWS = 2000


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    x = rng.normal(size=ROWS)
    return pd.DataFrame({"label": (x > 0).astype(int), "x": x})


def profile_for(frame, holdout_rate: float, reference_rate: float | None):
    profile = build_profile(
        frame,
        infer_schema(frame, label="label"),
        holdout=HoldoutPerformance("binary", 1000, round(1000 * holdout_rate)),
    )
    if reference_rate is not None:
        profile = dataclasses.replace(
            profile, reference=HoldoutPerformance("binary", 1000, round(1000 * reference_rate))
        )
    return profile


def predictor_wrong_on(share: float):
    """A champion that gets exactly ``share`` of the rows wrong."""

    def predict(features: pd.DataFrame) -> np.ndarray:
        truth = (features["x"].to_numpy() > 0).astype(float)
        wrong = np.arange(len(truth)) < round(share * len(truth))
        return np.where(wrong, 1 - truth, truth)

    return predict


def test_a_partial_model_serving_at_its_own_holdout_shows_a_gap_not_concept_drift(frame):
    """The blind spot of the first end-to-end runs: 0.47 served against a 0.47 holdout looked fine."""
    result = concept_drift(profile_for(frame, 0.20, 0.05), frame, predictor_wrong_on(0.20), DriftConfig())
    assert result.tested and not result.detected
    assert result.gap_detected and result.reference_error == pytest.approx(0.05)
    assert result.to_dict()["gap_to_reference"] == pytest.approx(0.15)
    assert "serving error rate 20.0% vs reference 5.0%" in result.gap_summary()
    assert "error rate 20.0% on " in result.summary() and "vs 20.0% on its holdout (p " in result.summary()


def test_back_at_the_reference_means_no_gap(frame):
    result = concept_drift(profile_for(frame, 0.06, 0.05), frame, predictor_wrong_on(0.05), DriftConfig())
    assert not result.detected and not result.gap_detected


def test_without_a_reference_the_holdout_is_the_reference(frame):
    result = concept_drift(profile_for(frame, 0.05, None), frame, predictor_wrong_on(0.30), DriftConfig())
    assert result.detected and result.gap_detected and result.gap_p_value == result.p_value
    assert result.reference_error == result.baseline_error == pytest.approx(0.05)
    assert result.to_dict()["gap_to_reference"] == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("holdout", "reference", "expected"),
    [(0.06, 0.05, True), (0.08, 0.05, True), (0.15, 0.05, False), (0.05, None, True), (0.04, 0.05, True)],
)
def test_recovered_allows_the_concept_margin_and_the_holdouts_noise(holdout, reference, expected):
    """0.08 against 0.05 on 1,000 rows each is within the margin's noise (p = 0.17); 0.15 is not."""
    ref = None if reference is None else HoldoutPerformance("binary", 1000, round(1000 * reference))
    assert (
        recovered(HoldoutPerformance("binary", 1000, round(1000 * holdout)), ref, DriftConfig()) is expected
    )


def test_recovery_is_judged_by_a_test_not_a_point_estimate():
    """Statistical check (fixed seed): a model truly at the reference (5% on 2,000 rows), measured on the
    newest 120 rows, is called a partial recovery in at most alpha + 3 SE of trials, where comparing the
    point estimate with reference + margin did so in 15%; a model truly at 20% is caught in at
    least 90%."""
    rng = np.random.default_rng(5)
    config, trials = DriftConfig(), 400
    reference = HoldoutPerformance("binary", 2000, 100)

    def partial_share(true_rate: float, rows: int) -> float:
        errors = rng.binomial(rows, true_rate, size=trials)
        return float(
            np.mean(
                [not recovered(HoldoutPerformance("binary", rows, int(e)), reference, config) for e in errors]
            )
        )

    alpha = config.alpha
    assert partial_share(0.05, 120) <= alpha + 3 * np.sqrt(alpha * (1 - alpha) / trials)
    assert partial_share(0.20, 120) >= 0.9


def test_recovery_of_a_regression_model_is_judged_by_its_loss_test():
    reference = HoldoutPerformance("regression", 1000, loss_mean=1.0, loss_var=2.0)
    near = HoldoutPerformance("regression", 120, loss_mean=1.2, loss_var=2.9)
    far = HoldoutPerformance("regression", 500, loss_mean=3.0, loss_var=18.0)
    assert recovered(near, reference, DriftConfig())
    assert not recovered(far, reference, DriftConfig())


def test_the_gap_test_keeps_its_false_alarm_rate_when_the_model_is_back_at_the_reference(frame):
    """Statistical check (fixed seed): a model at the reference error raises the gap in <= alpha + 3 SE."""
    rng = np.random.default_rng(11)
    config = DriftConfig()
    batch = frame.iloc[:500]
    truth = batch["label"].to_numpy().astype(float)
    profile = profile_for(frame, 0.12, 0.05)
    trials, alarms = 300, 0
    for _ in range(trials):
        wrong = rng.random(500) < 0.05  # the true error is the reference's

        def predict(features, wrong=wrong):
            return np.where(wrong, 1 - truth, truth)

        alarms += concept_drift(profile, batch, predict, config).gap_detected
    rate = alarms / trials
    assert rate <= config.alpha + 3 * np.sqrt(config.alpha * (1 - config.alpha) / trials)
