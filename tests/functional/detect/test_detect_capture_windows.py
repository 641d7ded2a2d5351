"""DetectDrift on the capture monitor's window batches: unlabelled windows alert only, labelled windows are
judged on the captured predictions (no endpoint call) of the model that served them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from functional_support import LABEL, list_executions, list_keys

from drift_retrain.monitor.frames import write_frame

WINDOW = "monitor/windows/churn-champion/AllTraffic/w000001.csv"
LABELLED = "monitor/labelled/churn-champion/AllTraffic/w000001-r01.csv"


def captured(frame: pd.DataFrame, *, error: float, seed: int, model: str = "champion-model") -> pd.DataFrame:
    """The frame as the monitor writes it: the served prediction wrong on ``error`` of the rows."""
    rng = np.random.default_rng(seed)
    truth = frame[LABEL].to_numpy()
    served = np.where(rng.random(len(frame)) < error, 1 - truth, truth)
    score = np.clip(np.where(served == 1, 0.9, 0.1) + rng.normal(0, 0.05, len(frame)), 0.01, 0.99)
    return frame.assign(
        _capture_event_id=[f"e{seed}-{i}" for i in range(len(frame))],
        _capture_inference_id="",
        _capture_time="2026-12-05T09:00:00Z",
        _capture_row=0,
        _capture_prediction=served.astype(str),
        _capture_score=score,
        _capture_model=model,
    )


def _report(clients, bucket, response) -> dict:
    return json.loads(clients.s3.get_object(Bucket=bucket, Key=response["report_key"])["Body"].read())


def test_an_unlabelled_drifted_window_alerts_and_never_retrains(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, topic, make_frame_fn, monkeypatch
):
    monkeypatch.setenv("RETRAIN_ON", "performance_or_features")  # feature drift alone would retrain a batch
    frame = captured(make_frame_fn(2000, seed=11, shift=1.5), error=0.1, seed=11).drop(columns=[LABEL])
    invocation = detect_drift.invoke(detect_drift.upload(WINDOW, write_frame(frame)))
    response = invocation.response
    assert response["status"] == "checked" and response["drifted_features"]
    report = _report(clients, bucket, response)
    assert report["retrain"] is False and report["alert"] is True
    assert report["retrain_blocked_by"].startswith("0 labelled rows")
    assert report["monitor"] == {"window": "unlabelled", "served_by": {"champion-model": 2000}}
    assert report["estimated_performance"]["tested"] and report["concept_drift"]["tested"] is False
    assert list_executions(clients, state_machine_arn) == []
    assert [m["subject"] for m in topic.messages()]  # the alert went out
    # Model Monitor's files beside the report, and its metric names in our namespace
    folder = response["report_key"].removesuffix(".json")
    statistics = json.loads(
        clients.s3.get_object(Bucket=bucket, Key=f"{folder}/statistics.json")["Body"].read()
    )
    assert statistics["dataset"]["item_count"] == 2000
    violations = json.loads(
        clients.s3.get_object(Bucket=bucket, Key=f"{folder}/constraint_violations.json")["Body"].read()
    )["violations"]
    drifted = {v["feature_name"] for v in violations if v["constraint_check_type"] == "baseline_drift_check"}
    assert drifted == set(response["drifted_features"])
    assert invocation.metric("feature_baseline_drift_tenure") > 0.2
    assert invocation.metric("feature_non_null_tenure") == 1.0


def test_a_labelled_window_is_judged_on_the_captured_predictions_and_retrains(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, make_frame_fn
):
    frame = captured(make_frame_fn(1000, seed=12), error=0.35, seed=12)
    response = detect_drift.invoke(detect_drift.upload(LABELLED, write_frame(frame))).response
    report = _report(clients, bucket, response)
    assert report["concept_drift"]["detected"] and report["retrain"] is True
    assert abs(report["concept_drift"]["error"] - 0.35) < 0.05  # the served answers, no new call
    [execution] = list_executions(clients, state_machine_arn)
    described = clients.sfn.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"])["batch"]["key"] == LABELLED
    assert list_keys(clients, bucket, "reports/drift/")


def test_rows_a_previous_champion_served_never_count_against_the_current_one(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, make_frame_fn
):
    old = captured(make_frame_fn(600, seed=13), error=0.45, seed=13, model="previous-model")
    new = captured(make_frame_fn(600, seed=14), error=0.1, seed=14)
    response = detect_drift.invoke(detect_drift.upload(LABELLED, write_frame(pd.concat([old, new])))).response
    report = _report(clients, bucket, response)
    assert report["monitor"]["served_by"] == {"previous-model": 600, "champion-model": 600}
    assert report["labelled_rows"] == 600 and not report["concept_drift"]["detected"]
    assert list_executions(clients, state_machine_arn) == []
    realised = report["monitor"]["realised_by_model"]
    assert (
        realised["previous-model"]["rows"] == 600 and abs(realised["previous-model"]["error"] - 0.45) < 0.06
    )
    assert realised["champion-model"]["rows"] == 600 and abs(realised["champion-model"]["error"] - 0.1) < 0.04


def test_a_window_the_previous_champion_answered_raises_no_alert_against_its_successor(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, make_frame_fn
):
    # Labels of a window served before a promotion arrive after it: the old model's answers (here all
    # "1", nothing like the champion's holdout predictions) are not the new champion's prediction drift.
    frame = captured(make_frame_fn(1000, seed=15), error=0.4, seed=15, model="previous-model")
    frame["_capture_prediction"], frame["_capture_score"] = "1", 0.97
    response = detect_drift.invoke(detect_drift.upload(LABELLED, write_frame(frame))).response
    report = _report(clients, bucket, response)
    assert report["prediction_drift"]["tested"] is False
    assert "another model" in report["prediction_drift"]["reason"]
    assert report["estimated_performance"]["tested"] is False
    assert report["alert"] is False and report["retrain"] is False
    assert report["monitor"]["realised_by_model"]["previous-model"]["rows"] == 1000
    assert list_executions(clients, state_machine_arn) == []
