"""The trigger is verified before the lock: only DetectDrift's drift report names what a retrain trains on,
and a bootstrap only deploys a first model (workflow/prepare_training_data/trigger.py, the "Verify the
trigger" state)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from wf_helpers import BUCKET

from drift_retrain.aws.naming import batch_id_for, execution_name_for
from drift_retrain.aws.objects import ObjectRef
from drift_retrain.detect import retrain_input, retrain_record
from drift_retrain.layout import DEFAULT_PROFILE_KEY, drift_report_key
from drift_retrain.workflow.prepare_training_data.trigger import (
    VERIFY_TRIGGER,
    TriggerSettings,
    verify_trigger,
)
from drift_retrain.workflow.shared.exceptions import TriggerNotVerifiedError

SETTINGS = TriggerSettings(bucket=BUCKET)
BATCH_KEY = "incoming/2024-05-01.csv"


def _genuine(s3: Any, **report_changes: Any) -> tuple[str, str, dict[str, Any]]:
    """A batch and the report DetectDrift writes when it starts a retrain: (execution name, report key, report)."""
    put = s3.put_object(Bucket=BUCKET, Key=BATCH_KEY, Body=b"x,label\n1,0\n")
    batch = ObjectRef(BUCKET, BATCH_KEY, put["VersionId"], put["ETag"])
    batch_id = batch_id_for(batch.key, batch.version_id, batch.etag)
    report = {
        "status": "ok",
        "retrain": True,
        "retrain_reasons": ["concept drift"],
        "retrain_trigger": "performance",
        "drifted_features": ["x"],
        "concept_drift": {"detected": True, "gap_detected": False},
        "labelled_rows": 900,
        "retrain_execution": retrain_record(batch, batch_id),
        **report_changes,
    }
    key = drift_report_key(batch_id)
    s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(report).encode())
    return execution_name_for(BUCKET, batch.key, batch.version_id, batch.etag), key, report


def _event(name: str, given: dict[str, Any]) -> dict[str, Any]:
    return {"action": VERIFY_TRIGGER, "execution_name": name, "execution_input": given}


def test_a_drift_trigger_is_built_from_the_report_not_from_the_input(clients):
    name, key, report = _genuine(clients.s3)
    forged_batch = {"bucket": BUCKET, "key": "seed/train.csv", "batch_id": "old"}
    given = {"report": {"bucket": BUCKET, "key": key}, "batch": forged_batch, "reasons": ["forged"]}
    trigger = verify_trigger(clients.s3, SETTINGS, _event(name, given))
    record = report["retrain_execution"]["batch"]
    batch = ObjectRef(BUCKET, BATCH_KEY, record["version_id"], record["etag"])
    assert trigger == {"bootstrap": False, **retrain_input(batch, record["batch_id"], key, report)}
    assert trigger["batch"]["key"] == BATCH_KEY and trigger["reasons"] == ["concept drift"]


def test_detect_drift_sends_the_keys_the_verified_trigger_has(clients):
    """The input DetectDrift sends and the verified triggers (drift and bootstrap) share one shape."""
    name, key, _ = _genuine(clients.s3)
    drift = verify_trigger(clients.s3, SETTINGS, _event(name, {"report": {"key": key}}))
    clients.s3.delete_object(Bucket=BUCKET, Key=DEFAULT_PROFILE_KEY)
    clients.s3.put_object(Bucket=BUCKET, Key="seed/initial.csv", Body=b"x,label\n1,0\n")
    seed = verify_trigger(
        clients.s3, SETTINGS, _event("bootstrap-1", {"bootstrap": True, "batch": {"key": "seed/initial.csv"}})
    )
    sent = retrain_input(ObjectRef(BUCKET, BATCH_KEY, "v", "e"), "x-1", key, {})
    assert set(drift) == set(seed) == set(sent) | {"bootstrap"}


@pytest.mark.parametrize(
    "forgery",
    [
        "batch-only",
        "report-outside-reports-drift",
        "report-in-another-bucket",
        "report-missing",
        "another-execution-name",
        "report-did-not-retrain",
        "retrain-deferred",
        "record-names-a-seed-file",
        "record-with-another-batch-id",
        "bootstrap-as-text",
    ],
)
def test_a_forged_drift_trigger_is_refused(clients, forgery):
    changes: dict[str, Any] = {
        "report-did-not-retrain": {"retrain": False},
        "retrain-deferred": {"retrain_deferred": "an A/B test was running"},
    }.get(forgery, {})
    name, key, report = _genuine(clients.s3, **changes)
    record = report["retrain_execution"]
    if forgery in ("record-names-a-seed-file", "record-with-another-batch-id"):
        batch = dict(record["batch"])
        if forgery == "record-names-a-seed-file":
            batch["key"] = "seed/train.csv"
        else:
            batch["batch_id"] = "another-1234abcd"
        clients.s3.put_object(
            Bucket=BUCKET,
            Key=key,
            Body=json.dumps({**report, "retrain_execution": {**record, "batch": batch}}).encode(),
        )
    given: dict[str, Any] = {
        "batch-only": {"batch": {"bucket": BUCKET, "key": "seed/train.csv", "batch_id": "x"}},
        "report-outside-reports-drift": {"report": {"key": "seed/report.json"}},
        "report-in-another-bucket": {"report": {"bucket": "someone-elses", "key": key}},
        "report-missing": {"report": {"key": "reports/drift/nothing-1234abcd.json"}},
        "bootstrap-as-text": {"bootstrap": "true", "report": {"key": key}},
    }.get(forgery, {"report": {"key": key}})
    run = "hand-started-1" if forgery == "another-execution-name" else name
    with pytest.raises(
        TriggerNotVerifiedError, match=r"only DetectDrift's drift reports|must be true or false"
    ):
        verify_trigger(clients.s3, SETTINGS, _event(run, given))


def test_a_bootstrap_pins_the_seed_revision_and_only_deploys_a_first_model(clients):
    put = clients.s3.put_object(Bucket=BUCKET, Key="seed/initial.csv", Body=b"x,label\n1,0\n")
    given = {
        "bootstrap": True,
        "batch": {"bucket": BUCKET, "key": "seed/initial.csv", "batch_id": "bootstrap"},
    }
    trigger = verify_trigger(clients.s3, SETTINGS, _event("bootstrap-1", given))
    assert trigger["bootstrap"] is True and trigger["kind"] == "bootstrap" and trigger["report"] is None
    assert trigger["batch"]["version_id"] == put["VersionId"]
    assert trigger["batch"]["etag"] == put["ETag"].strip('"')

    clients.s3.put_object(Bucket=BUCKET, Key=DEFAULT_PROFILE_KEY, Body=b"{}")
    with pytest.raises(TriggerNotVerifiedError, match="deploys the first model"):
        verify_trigger(clients.s3, SETTINGS, _event("bootstrap-2", given))


@pytest.mark.parametrize(
    "batch",
    [
        {"key": "incoming/2024-05-01.csv"},
        {"key": "seed/missing.csv"},
        {"bucket": "someone-elses", "key": "seed/initial.csv"},
        None,
    ],
    ids=["outside-seed", "missing-seed", "another-bucket", "no-batch"],
)
def test_a_bootstrap_names_a_seed_file_of_the_stack(clients, batch):
    clients.s3.put_object(Bucket=BUCKET, Key="seed/initial.csv", Body=b"x,label\n1,0\n")
    with pytest.raises(TriggerNotVerifiedError):
        verify_trigger(clients.s3, SETTINGS, _event("bootstrap-1", {"bootstrap": True, "batch": batch}))


def test_the_handler_verifies_before_anything_else(clients, load_handler, lambda_context, monkeypatch):
    """PrepareTrainingData's handler answers the "Verify the trigger" step with the trigger, and a forged
    one with TriggerNotVerifiedError (the error name the run fails with)."""
    monkeypatch.setenv("ENDPOINT_NAME", "no-such-endpoint")  # the champion check must not run
    app = load_handler("prepare_training_data")
    name, key, _ = _genuine(clients.s3)
    trigger = app.lambda_handler(_event(name, json.dumps({"report": {"key": key}})), lambda_context)
    assert trigger["batch"]["key"] == BATCH_KEY
    with pytest.raises(TriggerNotVerifiedError):
        app.lambda_handler(_event("hand-started", {"report": {"key": key}}), lambda_context)
