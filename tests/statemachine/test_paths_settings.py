"""Execution input may override only the allow-listed waits (issue 9): whoever can start an execution
cannot change the training image, the endpoint, the role or any other deployed setting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from workflow_support import PARAMETERS, SETTINGS, TIMEOUT, TRAIN_ROWS

from drift_retrain_local.cloud.local_cloud import LocalCloud, local_cloud
from drift_retrain_local.demos.data import features, labelled, rule_a
from drift_retrain_local.run.observe import wait_for_execution

#: A bootstrap whose seed file holds no rows: its trigger is verified, then the settings are checked, and a
#: run that gets past both fails when it prepares the training data (after the lock, which it releases).
_EMPTY_SEED = {"bootstrap": True, "batch": {"bucket": "b", "key": "seed/empty.csv", "batch_id": "empty"}}


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with local_cloud(parameters=PARAMETERS, settings=SETTINGS, simulated_time=True) as running:
        running.client("s3").put_object(
            Bucket=running.stack.bucket, Key=_EMPTY_SEED["batch"]["key"], Body=b""
        )
        yield running


def _run(cloud: LocalCloud, name: str, settings: Any) -> tuple[Any, dict[str, Any]]:
    """Start an execution with ``settings``; its end and the config it went on with (if it got that far)."""
    sfn = cloud.client("stepfunctions")
    payload = {**_EMPTY_SEED, "batch": {**_EMPTY_SEED["batch"], "bucket": cloud.stack.bucket}}
    arn = sfn.start_execution(
        stateMachineArn=cloud.stack.state_machine_arn,
        name=name,
        input=json.dumps({**payload, "settings": settings}),
    )["executionArn"]
    record = wait_for_execution(sfn, arn, timeout=TIMEOUT)
    config = {}
    for event in sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]:
        details = event.get("stateEnteredEventDetails") or {}
        if details.get("name") == "Take the endpoint lock":
            config = json.loads(details["input"])["config"]
    return record, config


def _deployed(cloud: LocalCloud) -> dict[str, Any]:
    """The settings a run without overrides uses (the deployed ones, checked)."""
    _, config = _run(cloud, "no-overrides", {})
    assert config
    return config


@pytest.mark.parametrize(
    "settings",
    [
        {"training_image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/attacker:latest"},
        {"poll_seconds": 1, "endpoint_name": "someone-elses-endpoint"},
        {"deployment_strategy": "ALL_AT_ONCE"},
        {"poll_seconds": 0},
        {"lock_wait_seconds": "1"},
        {"poll_seconds": 86400},
    ],
    ids=["image", "endpoint-beside-an-allowed-key", "strategy", "zero-wait", "wait-as-text", "day-long-wait"],
)
def test_an_override_outside_the_allow_list_fails_the_run_before_the_lock(cloud, settings):
    record, config = _run(cloud, f"forbidden-{abs(hash(json.dumps(settings))) % 10**8}", settings)
    assert record.status == "FAILED"
    assert record.error == "SettingOverrideNotAllowed"
    assert "poll_seconds and lock_wait_seconds" in record.cause
    assert config == {}, "the run went on with the settings it was given"
    assert "Acquire endpoint lock" not in record.path


def test_allowed_waits_are_overridden_and_nothing_else_changes(cloud):
    deployed = _deployed(cloud)
    record, config = _run(cloud, "allowed", {"poll_seconds": 7, "lock_wait_seconds": 3})
    assert "Compare setting overrides with the allow-list" in record.path
    assert (deployed["poll_seconds"], deployed["lock_wait_seconds"]) != (7, 3)
    assert config == {**deployed, "poll_seconds": 7, "lock_wait_seconds": 3}


def test_an_ab_decision_in_the_input_cannot_skip_the_guarded_deployment(cloud):
    """Only the A/B path may deploy without the blue/green guardrails: a forged ``ab_decision`` in the input
    of a PromotionMode replace run changes nothing (it once sent a first deployment to UpdateEndpoint)."""
    rng = np.random.default_rng(3)
    seed = labelled(features(TRAIN_ROWS, rng), rule_a, rng).to_csv(index=False).encode()
    cloud.client("s3").put_object(Bucket=cloud.stack.bucket, Key="seed/forged.csv", Body=seed)
    sfn = cloud.client("stepfunctions")
    batch = {"bucket": cloud.stack.bucket, "key": "seed/forged.csv", "batch_id": "forged"}
    forged = {"decision": "candidate", "reason": "forged", "evidence": {}}
    arn = sfn.start_execution(
        stateMachineArn=cloud.stack.state_machine_arn,
        name="forged-ab-decision",
        input=json.dumps({"bootstrap": True, "batch": batch, "ab_decision": forged}),
    )["executionArn"]
    record = wait_for_execution(sfn, arn, timeout=TIMEOUT)
    assert record.status == "SUCCEEDED", (record.error, record.cause)
    assert "Create endpoint for first model" in record.path
    assert "Remove the champion variant" not in record.path
