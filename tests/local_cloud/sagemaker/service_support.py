"""Shared set-up of the local SageMaker service tests: a local cloud with short endpoint updates, a
bucket, small training data, and helpers to train, register, deploy and invoke models."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from drift_retrain.engine.encoding import to_csv_rows
from drift_retrain_local.cloud.local_cloud import LocalCloud, local_cloud
from drift_retrain_local.sagemaker.model_artifact import format_predictions, load_model, predict
from drift_retrain_local.sagemaker.service import LocalSageMakerSettings

BUCKET = "sm-local-service-tests"
ROLE = "arn:aws:iam::123456789012:role/local"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
WAIT = 20.0  # upper bound of every wait; the jobs take well under a second


@pytest.fixture(scope="module", name="cloud")
def service_cloud() -> Iterator[LocalCloud]:
    # Updating and RollingBack last long enough to be seen by a 50 ms poll even on a loaded 2-core machine.
    settings = LocalSageMakerSettings(max_tuning_jobs=2, endpoint_update_seconds=0.6, rollback_seconds=0.5)
    with local_cloud(sagemaker_settings=settings, simulated_time=True) as running:
        running.client("s3").create_bucket(Bucket=BUCKET)
        yield running


@pytest.fixture(autouse=True, name="_disarm")
def disarm_failures(cloud: LocalCloud) -> Iterator[None]:
    yield
    cloud.failures.clear()


def wait_for(check: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def data(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 3))
    y = (2 * x[:, 0] - x[:, 1] + rng.normal(scale=0.5, size=rows) > 0).astype(float)
    return x, y


def features_csv(x: np.ndarray) -> str:
    return "".join(",".join(repr(float(v)) for v in row) + "\n" for row in x)


def channel(name: str, uri: str) -> dict[str, Any]:
    return {
        "ChannelName": name,
        "ContentType": "text/csv",
        "CompressionType": "None",
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": uri}},
    }


def training_request(
    cloud: LocalCloud, name: str, num_round: int = 10, prefix: str = "data"
) -> dict[str, Any]:
    s3 = cloud.client("s3")
    x, y = data(300, seed=num_round)
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/train/part.csv", Body=to_csv_rows(x[:200], y[:200]))
    s3.put_object(Bucket=BUCKET, Key=f"{prefix}/validation/part.csv", Body=to_csv_rows(x[200:], y[200:]))
    return {
        "TrainingJobName": name,
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "HyperParameters": {
            "num_round": str(num_round),
            "max_depth": "3",
            "objective": "binary:logistic",
            "eval_metric": "auc",
        },
        "InputDataConfig": [
            channel("train", f"s3://{BUCKET}/{prefix}/train/"),
            channel("validation", f"s3://{BUCKET}/{prefix}/validation/"),
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/models/"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }


def train(cloud: LocalCloud, name: str, num_round: int = 10) -> dict[str, Any]:
    sm = cloud.client("sagemaker")
    sm.create_training_job(**training_request(cloud, name, num_round))
    return wait_for(
        lambda: (
            (d := sm.describe_training_job(TrainingJobName=name))["TrainingJobStatus"] != "InProgress" and d
        ),
        f"training job {name}",
    )


def model_from(cloud: LocalCloud, job: dict[str, Any], model_name: str) -> Any:
    cloud.client("sagemaker").create_model(
        ModelName=model_name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": IMAGE, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"]},
    )
    bucket, key = job["ModelArtifacts"]["S3ModelArtifacts"][5:].split("/", 1)
    return load_model(cloud.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())


def endpoint_config(
    cloud: LocalCloud, name: str, *variants: tuple[str, str, float], capture: dict[str, Any] | None = None
) -> None:
    """An endpoint config of ``(variant, model, weight)`` variants, with ``capture`` as its DataCaptureConfig."""
    extra = {"DataCaptureConfig": capture} if capture else {}
    cloud.client("sagemaker").create_endpoint_config(
        EndpointConfigName=name,
        ProductionVariants=[
            {
                "VariantName": variant,
                "ModelName": model,
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
                "InitialVariantWeight": weight,
            }
            for variant, model, weight in variants
        ],
        **extra,
    )


def endpoint_state(cloud: LocalCloud, name: str) -> tuple[str, str]:
    described = cloud.client("sagemaker").describe_endpoint(EndpointName=name)
    return described["EndpointStatus"], described["EndpointConfigName"]


def invoke(cloud: LocalCloud, name: str, body: str, runtime: Any = None) -> tuple[str, str]:
    response = (runtime or cloud.client("sagemaker-runtime")).invoke_endpoint(
        EndpointName=name, ContentType="text/csv", Body=body
    )
    return response["Body"].read().decode(), response["InvokedProductionVariant"]


def expected(model: Any, x: np.ndarray) -> str:
    return "\n".join(",".join(row) for row in format_predictions(predict(model, x)))


@pytest.fixture(scope="module", name="models")
def trained_models(cloud: LocalCloud) -> dict[str, Any]:
    """Two different trained models registered with CreateModel: ``old`` (3 rounds) and ``new`` (30)."""
    old = train(cloud, "models-old", num_round=3)
    new = train(cloud, "models-new", num_round=30)
    assert old["TrainingJobStatus"] == new["TrainingJobStatus"] == "Completed"
    return {"old": model_from(cloud, old, "model-old"), "new": model_from(cloud, new, "model-new")}
