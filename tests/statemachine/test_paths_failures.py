"""Failure paths: training fails, transform fails, the blue/green update rolls back. Each ends in
Notify failure -> Release lock -> Retrain failed, with the champion still serving."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from workflow_support import Harness, batch_csv, bootstrapped_cloud

FAILURE_TAIL = [
    "Describe failure",
    "Check what serves after the failure",
    "Notify failure",
    "Release lock after failure",
    "Is the error name reserved",
]


def assert_failed_and_untouched(harness: Harness, entry: dict, failed_state: str) -> dict:
    execution = entry["execution"]
    assert execution["status"] == "FAILED", execution
    assert entry["outcome"] == "failed"
    path = execution["path"]
    assert path[-1] in ("Retrain failed", "Retrain failed with a reserved error name"), path
    tail = [name for name in path if name in FAILURE_TAIL]
    assert tail == FAILURE_TAIL, path
    assert failed_state in path
    assert "Promote candidate" not in path
    assert entry["endpoint_config_after"] == entry["endpoint_config_before"]
    assert (
        harness.cloud.client("sagemaker").describe_endpoint(EndpointName=harness.endpoint)["EndpointStatus"]
        == "InService"
    )
    assert any("Retrain failed" in s and "champion keeps serving" in s for s in entry["notifications"]), (
        entry["notifications"]
    )
    assert harness.lock_released(), "the lock was not released"
    return execution


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    """With the recent window too, so one candidate can fail while another trains."""
    with bootstrapped_cloud(settings={"candidate_strategies": "since_change,recent,registry"}) as running:
        yield running


@pytest.fixture(autouse=True)
def disarm(harness: Harness):
    yield
    harness.cloud.failures.clear()


def test_one_candidate_failing_to_train_leaves_the_others_competing(harness: Harness) -> None:
    assert harness.upload("stable-before.csv", batch_csv("stable", seed=25))["outcome"] == "no_drift"
    harness.cloud.failures.fail_training("*-t1-*")  # since_change's job; recent (two batches) trains
    entry = harness.upload("concept-one-train-fails.csv", batch_csv("concept", seed=24))
    execution = entry["execution"]
    assert execution["status"] == "SUCCEEDED", execution
    assert "Candidate failed" in execution["path"] and "Candidate scored" in execution["path"]
    assert entry["evaluation"]["failed"] == ["since_change"]
    assert [s for s, _ in entry["evaluation"]["candidates"]] == ["recent"]
    report = harness.read_json(f"reports/evaluation/{execution['name']}.json")
    assert "injected training failure" in report["failed_candidates"][0]["cause"]
    # the report shows how long the surviving candidate's training job ran (TrainingTimeInSeconds)
    [scored] = report["candidates"]
    assert isinstance(scored["training_seconds"], int) and scored["training_seconds"] >= 1


def test_every_candidate_failing_fails_the_run(harness: Harness) -> None:
    harness.cloud.failures.fail_training()
    harness.cloud.failures.fail_transform(
        "*-s?"
    )  # the registry candidates need no training: fail their scoring
    entry = harness.upload("concept-train-fails.csv", batch_csv("concept", seed=21))
    execution = assert_failed_and_untouched(harness, entry, "Evaluate candidate against champion")
    assert "Was training short of capacity" in execution["path"]
    assert "Score candidate on held-out rows" in execution["path"]  # the earlier model was tried as well
    assert "Candidate scored" not in execution["path"]
    assert execution["error"] == "NoCandidateScoredError"
    assert "injected training failure" in (execution["cause"] or "")
    assert "evaluation" not in entry


def test_the_champion_transform_failing_fails_the_run(harness: Harness) -> None:
    harness.cloud.failures.fail_transform("*-champ", times=1)
    entry = harness.upload("concept-transform-fails.csv", batch_csv("concept", seed=22))
    execution = assert_failed_and_untouched(harness, entry, "Score candidates and champion on held-out rows")
    assert "Evaluate candidate against champion" not in execution["path"]
    # the phase's own error, read from its child execution: not the child's description as a JSON text
    assert "Read the error of the failed phase" in execution["path"]
    assert execution["path"][-1] == "Retrain failed with a reserved error name"
    assert execution["error"] == "RetrainFailed"
    assert execution["cause"].startswith("States.TaskFailed: "), execution["cause"]
    assert "injected transform failure" in execution["cause"]
    assert '"ExecutionArn"' not in execution["cause"]


def test_update_rolls_back(harness: Harness) -> None:
    harness.cloud.failures.roll_back_update(times=1)
    entry = harness.upload("concept-update-rolls-back.csv", batch_csv("concept", seed=23))
    execution = assert_failed_and_untouched(
        harness, entry, "Shift traffic to candidate with blue/green update"
    )
    assert "Deployment rolled back" in execution["path"]
    assert execution["error"] == "DeploymentRolledBackError"
    assert entry["evaluation"]["decision"] == "promote"
    assert harness.exists(f"reports/evaluation/{execution['name']}.json")
