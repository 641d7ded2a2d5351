"""Shared pieces of the local SageMaker tests: the moto S3 bucket's name, small learnable data sets written as
the headerless label-first CSVs PrepareTrainingData produces, and the requests the state machine sends
(shapes copied from statemachine/retrain.asl.json)."""

from __future__ import annotations

from typing import Any

import numpy as np

from drift_retrain.engine.encoding import to_csv_rows

BUCKET = "local-sm-tests"
REGION = "us-east-1"


def put(s3: Any, key: str, body: str | bytes) -> str:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body.encode() if isinstance(body, str) else body)
    return f"s3://{BUCKET}/{key}"


def read(s3: Any, uri: str) -> str:
    bucket, key = uri[5:].split("/", 1)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()


def make_data(task: str, rows: int, seed: int = 0, features: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """A learnable problem: binary / multiclass (3 classes) / regression on ``features`` columns."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features))
    signal = 2.0 * x[:, 0] - 1.5 * x[:, 1] + 0.5 * x[:, 2] * x[:, 3]
    if task == "binary":
        y = (signal + rng.normal(scale=0.5, size=rows) > 0).astype(float)
    elif task == "multiclass":
        y = np.digitize(signal + rng.normal(scale=0.3, size=rows), [-1.0, 1.0]).astype(float)
    else:
        y = signal + rng.normal(scale=0.3, size=rows)
    return x, y


def write_channel(s3: Any, prefix: str, x: np.ndarray, y: np.ndarray, parts: int = 1) -> str:
    """Label-first headerless CSV under ``prefix`` split into ``parts`` objects; returns the prefix URI."""
    for i, (xs, ys) in enumerate(zip(np.array_split(x, parts), np.array_split(y, parts), strict=True)):
        put(s3, f"{prefix}part-{i}.csv", to_csv_rows(xs, ys))
    return f"s3://{BUCKET}/{prefix}"


def hyperparameters(task: str, **extra: str) -> dict[str, str]:
    """What PrepareTrainingData sends (defaults + objective_for), small num_round for speed."""
    base = {"num_round": "40", "max_depth": "4", "eta": "0.3", "subsample": "0.8"}
    by_task = {
        "binary": {"objective": "binary:logistic", "eval_metric": "auc"},
        "multiclass": {"objective": "multi:softmax", "num_class": "3", "eval_metric": "merror"},
        "regression": {"objective": "reg:squarederror", "eval_metric": "rmse"},
    }
    return {**base, **by_task[task], **extra}


def training_request(
    name: str, hps: dict[str, str], train_uri: str, validation_uri: str | None, spot: bool = False
) -> dict[str, Any]:
    """The CreateTrainingJob request of the state machine's "Train candidate model" state."""

    def channel(channel_name: str, uri: str) -> dict[str, Any]:
        return {
            "ChannelName": channel_name,
            "ContentType": "text/csv",
            "CompressionType": "None",
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": uri,
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
        }

    channels = [channel("train", train_uri)]
    if validation_uri:
        channels.append(channel("validation", validation_uri))
    stopping = {"MaxRuntimeInSeconds": 3600}
    if spot:
        stopping["MaxWaitTimeInSeconds"] = 7200
    return {
        "TrainingJobName": name,
        "AlgorithmSpecification": {
            "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
            "TrainingInputMode": "File",
        },
        "RoleArn": "arn:aws:iam::123456789012:role/sagemaker",
        "HyperParameters": hps,
        "InputDataConfig": channels,
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/models/m/artifacts/"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": stopping,
        "EnableManagedSpotTraining": spot,
        "CheckpointConfig": {"S3Uri": f"s3://{BUCKET}/checkpoints/run/"},
        "Tags": [{"Key": "drift-retrain:execution", "Value": "run"}],
    }


def transform_request(name: str, input_uri: str, output_uri: str, **processing: str) -> dict[str, Any]:
    """The CreateTransformJob request of the "Score candidate on held-out rows" state."""
    request: dict[str, Any] = {
        "TransformJobName": name,
        "ModelName": "model",
        "BatchStrategy": "MultiRecord",
        "MaxPayloadInMB": 6,
        "TransformInput": {
            "ContentType": "text/csv",
            "SplitType": "Line",
            "CompressionType": "None",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": input_uri}},
        },
        "TransformOutput": {"S3OutputPath": output_uri, "Accept": "text/csv", "AssembleWith": "Line"},
        "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
    }
    if processing:
        request["DataProcessing"] = processing
    return request


#: The state machine's DataProcessing: keep the label next to the prediction.
KEEP_LABEL = {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"}
