"""A hand-started execution cannot choose what is trained and deployed: the trigger is DetectDrift's drift
report, verified before the lock ("Verify the trigger"), and a bootstrap only deploys a first model."""

from __future__ import annotations

import json
from typing import Any

import pytest
from workflow_support import TIMEOUT, Harness, batch_csv

from drift_retrain.reports.subjects import FAILED, subject
from drift_retrain_local.run.observe import wait_for_execution


def _start(harness: Harness, name: str, given: dict[str, Any]) -> tuple[Any, list[dict[str, Any]]]:
    """Start an execution by hand with ``given`` as its input; its end and the notices it sent."""
    sfn = harness.cloud.client("stepfunctions")
    arn = sfn.start_execution(
        stateMachineArn=harness.runner.stack.state_machine_arn, name=name, input=json.dumps(given)
    )["executionArn"]
    record = wait_for_execution(sfn, arn, timeout=TIMEOUT)
    return record, harness.runner.notifications.drain()


def _assert_refused_before_the_lock(harness: Harness, record: Any, notices: list[dict[str, Any]]) -> None:
    assert record.status == "FAILED", (record.status, record.error, record.cause)
    assert record.error == "TriggerNotVerifiedError", (record.error, record.cause)
    assert "Verify the trigger" in record.path
    assert "Acquire endpoint lock" not in record.path and "Prepare training data" not in record.path
    assert harness.lock_released()
    expected = subject(FAILED, harness.endpoint, "champion keeps serving: unverified trigger")
    assert [n["subject"] for n in notices] == [expected]
    assert "What failed: unverified trigger\n" in notices[0]["message"]
    assert "only DetectDrift's drift reports (or a first bootstrap) start a retrain" in notices[0]["message"]


@pytest.mark.parametrize(
    "given",
    [
        # the sweep's attack: the old seed named as a drift trigger after a concept change
        {"batch": {"bucket": "{bucket}", "key": "seed/train.csv", "version_id": None, "batch_id": "x"}},
        # the same, with a report key that exists nowhere
        {"batch": {"key": "seed/train.csv"}, "report": {"key": "reports/drift/forged-1234abcd.json"}},
        # a second bootstrap: the stack already has its first model
        {"bootstrap": True, "batch": {"bucket": "{bucket}", "key": "seed/train.csv", "batch_id": "again"}},
    ],
    ids=["seed-as-drift-batch", "report-that-does-not-exist", "second-bootstrap"],
)
def test_a_forged_trigger_fails_the_run_before_the_lock(harness: Harness, given: dict[str, Any]) -> None:
    before = harness.cloud.client("sagemaker").describe_endpoint(EndpointName=harness.endpoint)
    text = json.dumps(given).replace("{bucket}", harness.bucket)
    record, notices = _start(harness, f"hand-started-{abs(hash(text)) % 10**8}", json.loads(text))
    _assert_refused_before_the_lock(harness, record, notices)
    after = harness.cloud.client("sagemaker").describe_endpoint(EndpointName=harness.endpoint)
    assert after["EndpointConfigName"] == before["EndpointConfigName"]


def test_a_real_report_that_started_no_retrain_cannot_start_one(harness: Harness) -> None:
    """DetectDrift's own report of a calm batch is genuine, but it decided no retrain."""
    entry = harness.upload("calm-for-a-forged-run.csv", batch_csv("stable", seed=61))
    assert entry["outcome"] == "no_drift", entry
    report_key = entry["detect"]["report_key"]
    record, notices = _start(harness, "replayed-calm-report", {"report": {"key": report_key}})
    _assert_refused_before_the_lock(harness, record, notices)
    assert "did not start a retrain" in record.cause
