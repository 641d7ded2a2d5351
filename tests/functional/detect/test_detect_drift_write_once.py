"""Issue 9: every batch ends somewhere known, and a report, once written, is the record.

A late duplicate delivery must not rewrite the report that justified a retrain; an invocation that
stopped after the report but before the retrain finishes the retrain on the next delivery; an
unexpected exception inside a check fails the invocation (Lambda retries, then the failure queue)
instead of quarantining the file or dropping the event.
"""

from __future__ import annotations

import json

import pytest
from functional_support import LABEL, PROFILE_KEY, frame_to_csv_bytes, list_executions, list_keys, read_report

from drift_retrain.aws.exceptions import ExecutionStartError
from drift_retrain.detect import actions, service
from drift_retrain.detect.records import record_report


@pytest.fixture
def drifted_batch(make_frame_fn) -> bytes:
    return frame_to_csv_bytes(make_frame_fn(3000, seed=7, shift=0.5))


def _versions(clients, bucket: str, key: str) -> list[str]:
    listed = clients.s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", [])
    return [v["VersionId"] for v in listed if v["Key"] == key]


def test_a_late_duplicate_after_a_promotion_leaves_the_report_that_justified_the_retrain(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, topic, drifted_batch, monkeypatch
) -> None:
    monkeypatch.setenv("RETRAIN_ON", "performance_or_features")
    event = detect_drift.upload("incoming/late.csv", drifted_batch)
    first = detect_drift.invoke(event)
    report_key = first.response["report_key"]
    original = clients.s3.get_object(Bucket=bucket, Key=report_key)["Body"].read()
    assert json.loads(original)["retrain"] is True

    # The retrain promoted a model trained on this very batch: checked again now, it would not drift.
    clients.s3.put_object(Bucket=bucket, Key=PROFILE_KEY, Body=_profile_of(drifted_batch).to_json_bytes())
    late = detect_drift.invoke(event)

    assert clients.s3.get_object(Bucket=bucket, Key=report_key)["Body"].read() == original
    assert len(_versions(clients, bucket, report_key)) == 1  # never rewritten, not even identically
    assert late.response["duplicate"] is True and first.response["duplicate"] is False
    assert late.response["status"] == "checked" and late.response["retrain"] is True
    assert late.response["report_key"] == report_key
    assert late.response["execution"]["duplicate"] is True
    assert len(list_executions(clients, state_machine_arn)) == 1
    assert late.metric("DuplicateDeliveries") == 1 and late.metric_values("BatchRows") == []
    assert len(topic.messages()) == 1  # paged once


def _profile_of(csv_bytes: bytes):
    import io

    import pandas as pd

    from drift_retrain.engine.performance import HoldoutPerformance
    from drift_retrain.engine.profile import build_profile
    from drift_retrain.engine.schema import infer_schema

    frame = pd.read_csv(io.BytesIO(csv_bytes))
    schema = infer_schema(frame, label=LABEL)
    holdout = HoldoutPerformance(task=schema.task, rows=1000, errors=100)
    return build_profile(frame, schema, holdout=holdout, metadata={"model_name": "retrained"})


def test_a_delivery_that_stopped_before_the_retrain_is_finished_by_the_next(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, topic, drifted_batch, monkeypatch
) -> None:
    monkeypatch.setenv("RETRAIN_ON", "performance_or_features")
    event = detect_drift.upload("incoming/halfway.csv", drifted_batch)
    real_start = actions.start_execution

    def throttled(*args, **kwargs):
        raise ExecutionStartError("StartExecution failed: ThrottlingException", code="ThrottlingException")

    monkeypatch.setattr(actions, "start_execution", throttled)
    with pytest.raises(ExecutionStartError):
        detect_drift.invoke(event)  # the report is written; the invocation fails: Lambda retries
    assert list_executions(clients, state_machine_arn) == []

    monkeypatch.setattr(actions, "start_execution", real_start)
    retry = detect_drift.invoke(event)
    assert retry.response["duplicate"] is True  # the report was there
    assert retry.response["execution"]["duplicate"] is False  # ...but the retrain starts now
    assert len(list_executions(clients, state_machine_arn)) == 1
    assert retry.metric("RetrainTriggered") == 1
    [message] = topic.messages()
    assert message["subject"].startswith("[drift-retrain] Retrain started")


def test_of_two_concurrent_writers_the_first_report_stands(clients, bucket) -> None:
    key = "reports/drift/race-0123abcd.json"
    assert record_report(clients.s3, bucket, key, {"retrain": True, "writer": 1}) is None
    adopted = record_report(clients.s3, bucket, key, {"retrain": False, "writer": 2})
    assert adopted == {"retrain": True, "writer": 1}
    assert read_report(clients, bucket, key)["writer"] == 1


def test_a_bug_inside_a_check_fails_the_invocation_and_quarantines_nothing(
    detect_drift, clients, bucket, profile_uploaded, drifted_batch, monkeypatch
) -> None:
    def broken_check(*args, **kwargs):
        raise KeyError("a bug in the engine")

    monkeypatch.setattr(service, "run_check", broken_check)
    event = detect_drift.upload("incoming/unlucky.csv", drifted_batch)
    with pytest.raises(KeyError):
        detect_drift.invoke(event)  # raised: Lambda retries, then the failure queue (never dropped)
    assert list_keys(clients, bucket, "quarantine/") == []
    assert list_keys(clients, bucket, "reports/drift/") == []  # no report, so a redrive checks it afresh

    monkeypatch.undo()
    monkeypatch.setenv("RETRAIN_ON", "performance")
    after_fix = detect_drift.invoke(event)  # what `drift-retrain redrive` does once the bug is fixed
    assert after_fix.response["status"] == "checked" and after_fix.response["duplicate"] is False


def test_an_sdk_without_conditional_writes_still_never_overwrites(clients, bucket, monkeypatch) -> None:
    from drift_retrain.aws import storage

    monkeypatch.setattr(storage, "_knows_if_none_match", lambda s3: False)
    key = "reports/drift/old-sdk-0123abcd.json"
    assert record_report(clients.s3, bucket, key, {"writer": 1}) is None
    assert record_report(clients.s3, bucket, key, {"writer": 2}) == {"writer": 1}
    assert len(_versions(clients, bucket, key)) == 1
