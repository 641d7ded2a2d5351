"""The DetectDrift handler end to end against moto: S3, Step Functions, SNS and SageMaker runtime."""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pytest
from functional_support import (
    BASELINE_ERROR_RATE,
    ENDPOINT_NAME,
    LABEL,
    NAMESPACE,
    NUMERIC,
    PROFILE_KEY,
    SERVICE,
    frame_to_csv_bytes,
    list_executions,
    list_keys,
    load_event,
    read_report,
)

REPORT_KEYS = {
    "status",
    "error",
    "batch_id",
    "source",
    "rows",
    "sampling",
    "labelled_rows",
    "features",
    "drifted_features",
    "concept_drift",
    "retrain",
    "retrain_reasons",
}


# --- drift and retraining ---------------------------------------------------------------------------


@pytest.fixture
def drifted_batch(make_frame_fn) -> bytes:
    """3,000 labelled rows, numeric features shifted by half a standard deviation: the policy fires."""
    return frame_to_csv_bytes(make_frame_fn(3000, seed=7, shift=0.5))


def test_drifted_batch_writes_report_emits_metrics_and_starts_one_execution(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, topic, drifted_batch, monkeypatch
) -> None:
    monkeypatch.setenv("RETRAIN_ON", "performance_or_features")  # feature drift retrains only when opted in
    event = detect_drift.upload("incoming/drifted.csv", drifted_batch)

    first = detect_drift.invoke(event)
    second = detect_drift.invoke(event)  # EventBridge delivers at least once

    response = first.response
    assert response["status"] == "checked"
    assert re.fullmatch(r"drifted-[0-9a-f]{8}", response["batch_id"])
    assert response["report_key"] == f"reports/drift/{response['batch_id']}.json"
    assert response["retrain"] is True
    assert second.response["batch_id"] == response["batch_id"]

    report = read_report(clients, bucket, response["report_key"])
    assert set(report) >= REPORT_KEYS
    assert report["status"] == "ok" and report["error"] is None
    assert report["rows"] == 3000 and report["labelled_rows"] == 3000
    assert set(NUMERIC) <= set(report["drifted_features"])
    assert report["retrain"] is True and report["retrain_reasons"]
    assert report["concept_drift"]["tested"] is False
    assert "does not exist" in report["concept_drift"]["reason"]  # no endpoint in this test
    for feature in report["features"]:
        assert {"name", "kind", "test", "statistic", "p_value", "effect_size", "drifted"} <= set(feature)

    # one execution for two deliveries, with the input the state machine expects
    executions = list_executions(clients, state_machine_arn)
    assert len(executions) == 1
    assert response["execution"]["duplicate"] is False
    assert second.response["execution"]["duplicate"] is True
    assert second.response["execution"]["execution_arn"] == executions[0]["executionArn"]
    assert len(executions[0]["name"]) <= 80 and executions[0]["name"].startswith("drifted-")
    payload = json.loads(clients.sfn.describe_execution(executionArn=executions[0]["executionArn"])["input"])
    version = event["detail"]["object"]["version-id"]
    assert payload == {
        "batch": {
            "bucket": bucket,
            "key": "incoming/drifted.csv",
            "version_id": version,
            "etag": event["detail"]["object"]["etag"],
            "batch_id": response["batch_id"],
        },
        "report": {"bucket": bucket, "key": response["report_key"]},
        "reasons": report["retrain_reasons"],
        "drifted_features": report["drifted_features"],
        "concept_drift": False,
        "performance_gap": False,
        "kind": "features",
        "labelled_rows": 3000,
        "challenger_signal": None,
    }

    # metrics: EMF documents Powertools printed
    assert first.metric("BatchRows") == 3000
    assert first.metric("DriftedFeatures") == len(report["drifted_features"])
    assert first.metric("RetrainTriggered") == 1
    assert first.metric_values("DuplicateDeliveries") == []
    assert second.metric("RetrainTriggered") == 0
    assert second.metric("DuplicateDeliveries") == 1
    batch_document = next(d for d in first.emf if "BatchRows" in d)
    assert batch_document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == NAMESPACE
    assert batch_document["service"] == SERVICE
    per_feature = {
        d["Feature"]: np.ravel(d["FeatureDriftStatistic"])[0]
        for d in first.emf
        if "FeatureDriftStatistic" in d
    }
    assert set(per_feature) == {f["name"] for f in report["features"]}
    for feature in report["features"]:
        assert per_feature[feature["name"]] == pytest.approx(feature["statistic"])
    feature_doc = next(d for d in first.emf if "FeatureDriftStatistic" in d)
    assert feature_doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service", "Feature"]]

    # structured logs carry the Lambda context and the object
    checked = [line for line in first.logs if line.get("message") == "Batch checked"]
    assert checked and checked[0]["function_request_id"] and checked[0]["key"] == "incoming/drifted.csv"

    # one notification (the duplicate does not page anyone twice)
    messages = topic.messages()
    assert len(messages) == 1
    assert messages[0]["subject"].startswith("[drift-retrain] Retrain started: drifted-")
    assert "tenure" in messages[0]["message"]


def test_no_drift_means_no_execution(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, topic, make_frame_fn
) -> None:
    event = detect_drift.upload("incoming/calm.csv", frame_to_csv_bytes(make_frame_fn(3000, seed=11)))
    result = detect_drift.invoke(event)

    assert result.response["status"] == "checked"
    report = read_report(clients, bucket, result.response["report_key"])
    assert report["drifted_features"] == []
    assert report["retrain"] is False
    assert list_executions(clients, state_machine_arn) == []
    assert result.metric("DriftedFeatures") == 0
    assert result.metric("RetrainTriggered") == 0
    assert topic.messages() == []


def test_labelled_feature_drift_without_lost_accuracy_alerts_but_does_not_retrain(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, topic, drifted_batch
) -> None:
    """The default policy: a retrain needs evidence that the serving model got worse."""
    result = detect_drift.invoke(detect_drift.upload("incoming/drifted.csv", drifted_batch))

    report = read_report(clients, bucket, result.response["report_key"])
    assert set(NUMERIC) <= set(report["drifted_features"])
    assert report["retrain"] is False and report["alert"] is True
    assert report["retrain_blocked_by"].startswith("feature drift alone does not retrain")
    assert list_executions(clients, state_machine_arn) == []
    [message] = topic.messages()
    assert message["subject"].startswith("[drift-retrain] Drift alert: drifted-")


def test_unlabelled_drifted_batch_alerts_but_never_retrains(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, topic, make_frame_fn
) -> None:
    frame = make_frame_fn(3000, seed=8, shift=0.5).drop(columns=[LABEL])
    result = detect_drift.invoke(detect_drift.upload("incoming/unlabelled.csv", frame_to_csv_bytes(frame)))

    report = read_report(clients, bucket, result.response["report_key"])
    assert report["labelled_rows"] == 0
    assert set(NUMERIC) <= set(report["drifted_features"])
    assert report["retrain"] is False
    assert report["alert"] is True
    assert "does not retrain" in report["retrain_blocked_by"]
    assert list_executions(clients, state_machine_arn) == []
    [message] = topic.messages()
    assert message["subject"].startswith("[drift-retrain] Drift alert: unlabelled-")
    assert "no retrain" in message["message"].lower()


# --- concept drift through the champion endpoint ----------------------------------------------------


def test_concept_drift_from_endpoint_predictions(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, endpoint, queue_results, make_frame_fn
) -> None:
    """Labels change under unchanged features; the champion (answers supplied here) still predicts the
    old concept, so its error rate jumps from 10% to ~40%: concept drift, retrain."""
    old_concept = make_frame_fn(3000, seed=21)
    batch = make_frame_fn(3000, seed=21, label_flip=0.4)
    assert (batch.drop(columns=[LABEL]) == old_concept.drop(columns=[LABEL])).all().all()
    # the champion predicts the old labels as probabilities; all 3,000 rows fit in one request (< 5 MB)
    queue_results(["\n".join("0.9" if y else "0.1" for y in old_concept[LABEL]) + "\n"])

    result = detect_drift.invoke(detect_drift.upload("incoming/concept.csv", frame_to_csv_bytes(batch)))

    report = read_report(clients, bucket, result.response["report_key"])
    concept = report["concept_drift"]
    assert concept["tested"] is True
    assert concept["rows"] == 3000
    assert concept["error"] == pytest.approx(np.mean(batch[LABEL] != old_concept[LABEL]))
    assert concept["baseline_error"] == pytest.approx(BASELINE_ERROR_RATE)
    assert concept["detected"] is True
    assert report["drifted_features"] == []
    assert report["retrain"] is True
    assert result.metric("ConceptDriftDetected") == 1
    assert result.metric("ChampionError") == pytest.approx(concept["error"])
    assert result.metric("BaselineError") == pytest.approx(BASELINE_ERROR_RATE)
    [execution] = list_executions(clients, state_machine_arn)
    payload = json.loads(clients.sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert payload["concept_drift"] is True
    assert any("concept drift" in reason for reason in payload["reasons"])


def _served_batches(
    detect_drift, clients, bucket, queue_results, make_frame_fn, name: str, seed: int, count: int, wrong: int
) -> list[dict]:
    """``count`` labelled 3,000-row batches the champion answers with ``wrong`` mistakes each, through
    DetectDrift one after the other: their reports, in order."""
    reports = []
    for i in range(count):
        batch = make_frame_fn(3000, seed=seed + i)
        labels = batch[LABEL].to_numpy().copy()
        labels[:wrong] = 1 - labels[:wrong]
        queue_results(["\n".join(str(int(y)) for y in labels) + "\n"])
        result = detect_drift.invoke(
            detect_drift.upload(f"incoming/{name}-{i}.csv", frame_to_csv_bytes(batch))
        )
        reports.append(read_report(clients, bucket, result.response["report_key"]))
    return reports


def test_a_partial_recovery_retrains_again_until_the_follow_ups_are_spent(
    detect_drift,
    clients,
    bucket,
    baseline_profile,
    state_machine_arn,
    endpoint,
    queue_results,
    make_frame_fn,
    monkeypatch,
) -> None:
    """The champion's own holdout (10%) is no yardstick when the error before the change was 2%: a batch
    served at 10% is no concept drift, but it is a gap to the reference, worth a bounded follow-up."""
    from drift_retrain.engine.performance import HoldoutPerformance

    monkeypatch.setenv("MAX_RECOVERY_RETRAINS", "2")
    profile = dataclasses.replace(
        baseline_profile, reference=HoldoutPerformance(task="binary", rows=4000, errors=80)
    )  # 2% before the change
    clients.s3.put_object(Bucket=bucket, Key=PROFILE_KEY, Body=profile.to_json_bytes())
    # 10% wrong: the champion's own holdout rate, 5x the reference
    outcomes = _served_batches(
        detect_drift, clients, bucket, queue_results, make_frame_fn, "after", 30, 3, 300
    )

    for report in outcomes:
        concept = report["concept_drift"]
        assert concept["detected"] is False and concept["gap_detected"] is True
        assert concept["reference_error"] == pytest.approx(0.02)
        assert concept["gap_to_reference"] == pytest.approx(0.08)
    assert [r["retrain"] for r in outcomes] == [True, True, False]
    assert "follow-up retrain 1 of 2" in outcomes[0]["retrain_reasons"][0]
    assert outcomes[2]["retrain_blocked_by"] == "the 2 follow-up retrains for this model are spent"
    assert outcomes[2]["recovery"] == {"used": 2, "max": 2}
    assert len(list_executions(clients, state_machine_arn)) == 2
    assert len(list_keys(clients, bucket, "reports/recovery/champion-model/")) == 2


def test_a_model_that_learnt_its_change_from_a_sample_is_refreshed_once_within_the_budget(
    detect_drift,
    clients,
    bucket,
    baseline_profile,
    state_machine_arn,
    endpoint,
    queue_results,
    make_frame_fn,
    monkeypatch,
) -> None:
    """A champion trained after a change on 400 rows serves a 3,000-row batch at its own holdout rate:
    no loss to test, but 7x the rows it learnt from. One refresh starts (a follow-up, counted); the next
    batch, the model still serving, starts nothing: a refresh comes once per model."""
    monkeypatch.setenv("MAX_RECOVERY_RETRAINS", "3")
    profile = dataclasses.replace(
        baseline_profile,
        metadata={
            **baseline_profile.metadata,
            "window_strategy": "since_change",
            "rows": {"train": 360, "validation": 40, "test": 100},
        },
    )
    clients.s3.put_object(Bucket=bucket, Key=PROFILE_KEY, Body=profile.to_json_bytes())
    # 8% wrong: below its 10% holdout
    outcomes = _served_batches(
        detect_drift, clients, bucket, queue_results, make_frame_fn, "later", 40, 2, 240
    )

    first, second = outcomes
    assert first["concept_drift"]["detected"] is False and first["retrain"] is True
    assert first["retrain_trigger"] == "refresh"
    assert first["retrain_reasons"][0].startswith(
        "refresh: the serving model learnt the latest change from 400"
    )
    assert second["retrain"] is False and second["retrain_reasons"] == []
    [execution] = list_executions(clients, state_machine_arn)
    payload = json.loads(clients.sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert payload["kind"] == "refresh"
    assert len(list_keys(clients, bucket, "reports/recovery/champion-model/")) == 1


def test_champion_that_agrees_with_labels_is_no_concept_drift(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, endpoint, queue_results, make_frame_fn
) -> None:
    batch = make_frame_fn(3000, seed=22)
    labels = batch[LABEL].to_numpy().copy()
    labels[:240] = 1 - labels[:240]  # the champion is wrong on 8% of rows, below its 10% baseline
    queue_results(["\n".join(str(int(y)) for y in labels) + "\n"])

    result = detect_drift.invoke(detect_drift.upload("incoming/fine.csv", frame_to_csv_bytes(batch)))

    concept = read_report(clients, bucket, result.response["report_key"])["concept_drift"]
    assert concept["tested"] is True and concept["detected"] is False
    assert concept["error"] == pytest.approx(0.08)
    assert result.metric("ConceptDriftDetected") == 0
    assert list_executions(clients, state_machine_arn) == []


def test_missing_endpoint_skips_the_concept_test_with_the_reason(
    detect_drift, clients, bucket, profile_uploaded, make_frame_fn
) -> None:
    result = detect_drift.invoke(
        detect_drift.upload("incoming/no-champion.csv", frame_to_csv_bytes(make_frame_fn(1000, seed=3)))
    )

    assert result.response["status"] == "checked"
    concept = read_report(clients, bucket, result.response["report_key"])["concept_drift"]
    assert concept["tested"] is False
    assert "no champion yet" in concept["reason"] and ENDPOINT_NAME in concept["reason"]
    assert result.metric_values("ConceptDriftDetected") == []


# --- the profile, the prefix ------------------------------------------------------------------------


def test_missing_profile_is_reported_not_quarantined(
    detect_drift, clients, bucket, state_machine_arn, topic, drifted_batch
) -> None:
    result = detect_drift.invoke(detect_drift.upload("incoming/early.csv", drifted_batch))

    assert result.response["status"] == "no_profile"
    assert "no baseline profile yet" in result.response["message"]
    assert list_keys(clients, bucket, "quarantine/") == []
    assert list_keys(clients, bucket, "reports/") == []
    assert list_executions(clients, state_machine_arn) == []
    assert result.metric("MissingBaselineProfile") == 1
    errors = [line for line in result.logs if line["level"] == "ERROR"]
    assert errors and "no baseline profile yet" in errors[0]["message"]
    [message] = topic.messages()
    assert message["subject"] == "[drift-retrain] Batch not checked: early.csv (no baseline profile)"


def test_keys_outside_incoming_are_ignored(detect_drift, clients, bucket, profile_uploaded) -> None:
    event = load_event("detect_drift_object_created_outside_prefix.json")
    event["detail"]["bucket"]["name"] = bucket
    result = detect_drift.invoke(event)

    assert result.response["status"] == "ignored"
    assert list_keys(clients, bucket, "reports/") == []
    assert any(line.get("message") == "Object ignored" for line in result.logs)
    assert result.metric("IgnoredObjects") == 1


def test_failed_notification_does_not_fail_the_batch(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, topic, drifted_batch
) -> None:
    clients.sns.delete_topic(TopicArn=topic.arn)
    result = detect_drift.invoke(detect_drift.upload("incoming/drifted.csv", drifted_batch))

    assert result.response["status"] == "checked"
    assert result.response["report_key"] in list_keys(clients, bucket, "reports/drift/")
    assert any(line.get("message") == "Notification failed" for line in result.logs)
