"""Two stacks in one account (one local cloud): each promotes models with keep_last_models 1, so each
promotion's cleanup runs while the other stack's models and endpoint configs exist, and neither stack's
cleanup touches the other's; both endpoints keep serving.

Twice: on the default parameters (the names derived from each stack's id differ), and with the second
stack given the first one's prefix by hand (only the drift-retrain:stack tag tells them apart)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pandas as pd
import pytest
from workflow_support import PARAMETERS, SETTINGS, Harness, batch_csv, bootstrap

from drift_retrain.engine.encoding import FeatureEncoder, to_csv_rows
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.workflow.shared.naming import STACK_TAG
from drift_retrain_local.cloud.local_cloud import local_cloud
from drift_retrain_local.demos.data import LABEL

#: The local run's waits; every name parameter is left on its default (empty: derived from the stack).
LOCAL = {**SETTINGS, "keep_last_models": 1}
ROWS = 1_000
BASELINE = "baseline/current/profile.json"


@pytest.fixture(scope="module", params=["defaults", "one prefix by hand"])
def stacks(request: pytest.FixtureRequest) -> Iterator[tuple[Harness, Harness]]:
    with local_cloud(
        parameters=PARAMETERS, settings=LOCAL, stack_name="drift-retrain-one", simulated_time=True
    ) as cloud:
        first = bootstrap(cloud, cloud.stack)
        parameters = dict(PARAMETERS)
        if request.param == "one prefix by hand":
            parameters["ModelNamePrefix"] = cloud.stack.outputs["ModelNamePrefix"]
        second = bootstrap(
            cloud, cloud.add_stack("drift-retrain-two", parameters=parameters, settings=LOCAL), train_seed=8
        )
        yield first, second


def owned(harness: Harness) -> dict[str, set[str]]:
    """The stack's endpoint configs and models: every one the local cloud holds that carries its tag."""
    sagemaker = harness.cloud.client("sagemaker")
    stack = harness.runner.stack.template.stack_name
    found: dict[str, set[str]] = {"configs": set(), "models": set()}
    for kind, listing, name_key, arn_key in (
        ("configs", sagemaker.list_endpoint_configs, "EndpointConfigName", "EndpointConfigArn"),
        ("models", sagemaker.list_models, "ModelName", "ModelArn"),
    ):
        for item in listing(MaxResults=100)[
            kind.replace("configs", "EndpointConfigs").replace("models", "Models")
        ]:
            tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=item[arn_key])["Tags"]}
            if tags.get(STACK_TAG) == stack:
                found[kind].add(item[name_key])
    return found


def serves(harness: Harness) -> bool:
    runtime = harness.cloud.client("sagemaker-runtime")
    sagemaker = harness.cloud.client("sagemaker")
    endpoint = sagemaker.describe_endpoint(EndpointName=harness.endpoint)
    sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])  # still exists
    profile = BaselineProfile.from_json_bytes(json.dumps(harness.read_json(BASELINE)).encode())
    rows = pd.read_csv(io.BytesIO(batch_csv("stable", seed=99, rows=5))).drop(columns=[LABEL])
    body = to_csv_rows(FeatureEncoder.from_profile(profile).transform(rows))  # as the workflow encodes
    answer = runtime.invoke_endpoint(EndpointName=harness.endpoint, ContentType="text/csv", Body=body)
    return endpoint["EndpointStatus"] == "InService" and len(answer["Body"].read().splitlines()) == 5


def test_each_stack_names_and_tags_its_own(stacks):
    first, second = stacks
    assert first.endpoint != second.endpoint  # EndpointName left empty: derived from each stack's id
    shared = second.runner.stack.template.parameters["ModelNamePrefix"] != ""
    prefixes = {harness.runner.stack.outputs["ModelNamePrefix"] for harness in stacks}
    assert len(prefixes) == (1 if shared else 2)
    for harness in stacks:
        mine = owned(harness)
        assert mine["configs"] and mine["models"]
        assert all(
            name.startswith(harness.runner.stack.outputs["ModelNamePrefix"] + "-")
            for names in mine.values()
            for name in names
        )
    sagemaker = first.cloud.client("sagemaker")
    jobs = [j["TrainingJobArn"] for j in sagemaker.list_training_jobs(MaxResults=100)["TrainingJobSummaries"]]
    jobs += [
        j["TransformJobArn"] for j in sagemaker.list_transform_jobs(MaxResults=100)["TransformJobSummaries"]
    ]
    stack_names = {harness.runner.stack.template.stack_name for harness in stacks}
    for arn in jobs:  # the .sync jobs carry their stack's tag too
        tags = {t["Key"]: t["Value"] for t in sagemaker.list_tags(ResourceArn=arn)["Tags"]}
        assert tags.get(STACK_TAG) in stack_names, (arn, tags)
    assert jobs


def test_cleanup_of_one_stack_never_touches_the_other(stacks):
    first, second = stacks
    steps = [
        (first, "concept"),
        (second, "concept"),
        (first, "stable"),
        (second, "stable"),
    ]
    for index, (harness, kind) in enumerate(steps):
        other = second if harness is first else first
        before = owned(other)
        entry = harness.upload(f"batch-{index}.csv", batch_csv(kind, seed=70 + index, rows=ROWS))
        assert entry["outcome"] == "promoted", entry
        mine = owned(harness)
        # keep_last_models 1: only the serving config (and its model) is left of this stack's own
        assert mine["configs"] == {entry["endpoint_config_after"]}, mine
        assert owned(other) == before  # not one of the other stack's configs or models went
        assert serves(harness) and serves(other)
        assert harness.lock_released() and other.lock_released()
