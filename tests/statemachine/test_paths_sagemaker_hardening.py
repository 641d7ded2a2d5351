"""SageMakerKmsKeyArn, SageMakerSubnetIds/SageMakerSecurityGroupIds and EnableNetworkIsolation: each job
and model carries exactly the options the stack was deployed with, and with none of them the requests
name no key, no VPC and no isolation (what was sent before the options). The endpoint's Data Capture
(EnableDataCapture, capture_sampling_percent) is encrypted with the key exactly when one is given."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from workflow_support import Harness, bootstrapped_cloud, history

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
VPC = {
    "Subnets": ["subnet-0a1b2c3d4e5f60718", "subnet-0b1b2c3d4e5f60718"],
    "SecurityGroupIds": ["sg-0c1b2c3d4e5f60718"],
}
OPTIONS = {
    "defaults": {},
    "key-vpc-isolated": {
        "SageMakerKmsKeyArn": KEY,
        "SageMakerSubnetIds": ",".join(VPC["Subnets"]),
        "SageMakerSecurityGroupIds": ",".join(VPC["SecurityGroupIds"]),
        "EnableNetworkIsolation": "true",
    },
    "isolated-only": {
        "EnableNetworkIsolation": "true",
        "EnableDataCapture": "false",
    },
}
#: The settings each option deploys with besides its parameters.
SETTINGS: dict[str, dict[str, Any]] = {"isolated-only": {"capture_sampling_percent": 20}}
#: The tuning form of each option: the same options with a (small) hyperparameter tuning job.
OPTIONS["tuned-key-vpc-isolated"] = dict(OPTIONS["key-vpc-isolated"])
SETTINGS["tuned-key-vpc-isolated"] = {
    "tuning_enabled": True,
    "tuning_max_jobs": 2,
    "tuning_max_parallel_jobs": 1,
}


@pytest.fixture(scope="module", params=list(OPTIONS))
def deployed(request) -> Iterator[tuple[Harness, dict[str, str]]]:
    settings = SETTINGS.get(request.param, {})
    with bootstrapped_cloud(settings=settings, **OPTIONS[request.param]) as running:
        yield running, {**OPTIONS[request.param], **settings}


def _jobs(harness: Harness) -> dict[str, list[dict[str, Any]]]:
    sagemaker = harness.cloud.client("sagemaker")
    found = {
        "training": [
            sagemaker.describe_training_job(TrainingJobName=s["TrainingJobName"])
            for s in sagemaker.list_training_jobs()["TrainingJobSummaries"]
        ],
        "transform": [
            sagemaker.describe_transform_job(TransformJobName=s["TransformJobName"])
            for s in sagemaker.list_transform_jobs()["TransformJobSummaries"]
        ],
        # What the definition sent to CreateModel (moto's model keeps no EnableNetworkIsolation).
        "model": _requests(harness, "createModel"),
        "tuning definition": [
            request["TrainingJobDefinition"]
            for request in _requests(harness, "createHyperParameterTuningJob.sync")
        ],
    }
    tuned = harness.cloud.stack.template.settings["tuning_enabled"]
    assert all(jobs or (kind == "tuning definition" and not tuned) for kind, jobs in found.items()), found
    return found


def _requests(harness: Harness, api: str) -> list[dict[str, Any]]:
    """The parameters of every scheduled ``sagemaker:<api>`` task of the stack's executions."""
    sfn = harness.cloud.client("stepfunctions")
    found = []
    for execution in sfn.list_executions(stateMachineArn=harness.cloud.stack.state_machine_arn)["executions"]:
        for event in history(sfn, execution["executionArn"]):
            scheduled = event.get("taskScheduledEventDetails") or {}
            if scheduled.get("resourceType") == "sagemaker" and scheduled.get("resource") == api:
                found.append(json.loads(scheduled["parameters"]))
    return found


def test_outputs_and_volumes_use_the_key_only_when_given(deployed):
    harness, options = deployed
    key = options.get("SageMakerKmsKeyArn")
    jobs = _jobs(harness)
    pairs = [(j["OutputDataConfig"], j["ResourceConfig"]) for j in jobs["training"]]
    pairs += [(j["TransformOutput"], j["TransformResources"]) for j in jobs["transform"]]
    pairs += [(j["OutputDataConfig"], j["ResourceConfig"]) for j in jobs["tuning definition"]]
    for output, resources in pairs:
        if key:
            assert (output["KmsKeyId"], resources["VolumeKmsKeyId"]) == (key, key)
        else:
            assert "KmsKeyId" not in output and "VolumeKmsKeyId" not in resources


def test_training_jobs_and_models_run_in_the_vpc_and_isolation_asked_for(deployed):
    harness, options = deployed
    isolated = options.get("EnableNetworkIsolation") == "true"
    in_vpc = bool(options.get("SageMakerSubnetIds"))
    jobs = _jobs(harness)
    for job in jobs["training"] + jobs["model"] + jobs["tuning definition"]:
        assert bool(job.get("EnableNetworkIsolation")) is isolated, job.get("EnableNetworkIsolation")
        assert (job.get("VpcConfig") or None) == (VPC if in_vpc else None)  # moto describes "none" as {}


def test_the_endpoint_captures_data_as_deployed_encrypted_with_the_key_only_when_given(deployed):
    harness, options = deployed
    sagemaker = harness.cloud.client("sagemaker")
    serving = sagemaker.describe_endpoint(EndpointName=harness.endpoint)["EndpointConfigName"]
    capture = sagemaker.describe_endpoint_config(EndpointConfigName=serving)["DataCaptureConfig"]
    expected = {
        "EnableCapture": options.get("EnableDataCapture", "true") == "true",
        "InitialSamplingPercentage": options.get("capture_sampling_percent", 100),
        "DestinationS3Uri": f"s3://{harness.bucket}/capture/",
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        "CaptureContentTypeHeader": {
            "CsvContentTypes": ["text/csv"],
            "JsonContentTypes": ["application/json"],
        },
    }
    if options.get("SageMakerKmsKeyArn"):
        expected["KmsKeyId"] = options["SageMakerKmsKeyArn"]
    assert capture == expected
