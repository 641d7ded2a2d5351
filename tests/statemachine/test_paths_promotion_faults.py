"""PromoteModel failing after the swap: the run never says "champion keeps serving" when the candidate
serves. A transient crash is retried (PromoteModel is idempotent: one registry entry); a persistent one
ends PromotedIncomplete with a notification that says what serves and how to repair, and
``drift-retrain repair`` brings the baseline and the registry in line with what serves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from workflow_support import Harness, batch_csv, bootstrapped_cloud

from drift_retrain_local.cli.repair import RepairError, repair

PROMOTE = "PromoteModelFunction"


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with bootstrapped_cloud() as running:
        yield running


@pytest.fixture(autouse=True)
def disarm(harness: Harness):
    yield
    harness.cloud.failures.clear()


def serving_model(harness: Harness) -> str:
    sagemaker = harness.cloud.client("sagemaker")
    config = sagemaker.describe_endpoint(EndpointName=harness.endpoint)["EndpointConfigName"]
    return sagemaker.describe_endpoint_config(EndpointConfigName=config)["ProductionVariants"][0]["ModelName"]


def packages_of(harness: Harness, execution_arn: str) -> list[str]:
    sagemaker = harness.cloud.client("sagemaker")
    arns = [
        p["ModelPackageArn"]
        for p in sagemaker.list_model_packages(ModelPackageGroupName="drift-retrain-models")[
            "ModelPackageSummaryList"
        ]
    ]
    described = [sagemaker.describe_model_package(ModelPackageName=arn) for arn in arns]
    return [
        d["ModelPackageArn"]
        for d in described
        if d["CustomerMetadataProperties"]["execution_arn"] == execution_arn
    ]


def test_a_transient_promote_crash_is_retried_and_registers_once(harness: Harness) -> None:
    harness.cloud.failures.fail_lambda(PROMOTE, times=1)
    entry = harness.upload("concept-promote-retried.csv", batch_csv("concept", seed=31))
    assert entry["outcome"] == "promoted", entry
    profile = harness.read_json("baseline/current/profile.json")
    assert profile["metadata"]["model_name"] == serving_model(harness)
    assert len(packages_of(harness, entry["execution"]["arn"])) == 1
    assert harness.lock_released()


def test_a_persistent_promote_failure_tells_the_truth_and_repair_finishes_it(harness: Harness) -> None:
    before = harness.read_json("baseline/current/profile.json")["metadata"]["model_name"]
    harness.cloud.failures.fail_lambda(PROMOTE)
    entry = harness.upload("stable-promote-fails.csv", batch_csv("stable", seed=32))
    execution = entry["execution"]
    assert entry["outcome"] == "promoted_incomplete", entry
    assert execution["status"] == "FAILED" and execution["error"] == "PromotedIncomplete", execution
    assert "Champion keeps serving" not in execution["path"]
    now_serving = serving_model(harness)
    assert now_serving != before and entry["endpoint_config_after"] != entry["endpoint_config_before"]
    assert harness.read_json("baseline/current/profile.json")["metadata"]["model_name"] == before  # stale
    subjects = entry["notifications"]
    assert any("New model serving, bookkeeping incomplete" in s for s in subjects), subjects
    assert not any("champion keeps serving" in s for s in subjects), subjects
    assert harness.lock_released()

    harness.cloud.failures.clear()
    cloud = harness.cloud
    result = repair(
        cloud.client("stepfunctions"), cloud.client("lambda"), cloud.client("sagemaker"), execution["arn"]
    )
    assert result.endpoint_config == entry["endpoint_config_after"]
    assert harness.read_json("baseline/current/profile.json")["metadata"]["model_name"] == now_serving
    assert len(packages_of(harness, execution["arn"])) == 1
    # An older promotion whose config no longer serves: nothing to repair, and the command says why.
    with pytest.raises(RepairError, match="nothing to repair"):
        repair(
            cloud.client("stepfunctions"),
            cloud.client("lambda"),
            cloud.client("sagemaker"),
            harness.bootstrap["execution"]["arn"],
        )
