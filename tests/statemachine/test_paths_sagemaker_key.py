"""SageMakerKmsKeyArn: with a key, every training and transform job encrypts its output and its volumes
with it; without one (the default), no job names a key: the requests are those sent before the option."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from workflow_support import Harness, bootstrapped_cloud

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture(scope="module", params=["", KEY], ids=["no-key", "key"])
def bootstrapped(request) -> Iterator[tuple[Harness, str]]:
    with bootstrapped_cloud(SageMakerKmsKeyArn=request.param) as running:
        yield running, request.param


def test_training_and_transform_jobs_encrypt_with_the_key_only_when_given(bootstrapped):
    harness, key = bootstrapped
    sagemaker = harness.cloud.client("sagemaker")
    trainings = sagemaker.list_training_jobs()["TrainingJobSummaries"]
    transforms = sagemaker.list_transform_jobs()["TransformJobSummaries"]
    assert trainings and transforms
    jobs = [
        (job["OutputDataConfig"], job["ResourceConfig"])
        for job in (sagemaker.describe_training_job(TrainingJobName=s["TrainingJobName"]) for s in trainings)
    ] + [
        (job["TransformOutput"], job["TransformResources"])
        for job in (
            sagemaker.describe_transform_job(TransformJobName=s["TransformJobName"]) for s in transforms
        )
    ]
    for output, resources in jobs:
        if key:
            assert (output["KmsKeyId"], resources["VolumeKmsKeyId"]) == (key, key)
        else:
            assert "KmsKeyId" not in output and "VolumeKmsKeyId" not in resources
