"""The local SageMaker's jobs through the embedded AWS: training, transform and tuning jobs that really
run, and .sync tasks on moto's Step Functions interpreter."""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pytest
from botocore.exceptions import ClientError
from service_support import (  # noqa: F401 (fixtures)
    BUCKET,
    IMAGE,
    ROLE,
    channel,
    data,
    disarm_failures,
    service_cloud,
    train,
    trained_models,
    training_request,
    wait_for,
)

from drift_retrain.engine.encoding import to_csv_rows
from drift_retrain_local.cloud.local_cloud import LocalCloud
from drift_retrain_local.sagemaker.model_artifact import load_model, predict


# ----------------------------------------------------------------------------------------------- jobs
def test_training_job_goes_in_progress_then_completed_and_writes_the_artifact(cloud: LocalCloud) -> None:
    sm = cloud.client("sagemaker")
    sm.create_training_job(**training_request(cloud, "train-ok"))
    first = sm.describe_training_job(TrainingJobName="train-ok")
    assert first["TrainingJobStatus"] == "InProgress"
    assert "ModelArtifacts" not in first

    done = wait_for(
        lambda: (
            (d := sm.describe_training_job(TrainingJobName="train-ok"))["TrainingJobStatus"] != "InProgress"
            and d
        ),
        "train-ok",
    )
    assert done["TrainingJobStatus"] == "Completed", done.get("FailureReason")
    uri = done["ModelArtifacts"]["S3ModelArtifacts"]
    assert uri == f"s3://{BUCKET}/models/train-ok/output/model.tar.gz"
    assert {m["MetricName"] for m in done["FinalMetricDataList"]} == {"train:auc", "validation:auc"}
    assert done["TrainingEndTime"] >= done["TrainingStartTime"]
    body = (
        cloud.client("s3").get_object(Bucket=BUCKET, Key="models/train-ok/output/model.tar.gz")["Body"].read()
    )
    assert load_model(body).objective == "binary:logistic"
    with pytest.raises(ClientError, match="must be unique"):
        sm.create_training_job(**training_request(cloud, "train-ok"))


def test_training_job_fails_with_a_reason_on_bad_input(cloud: LocalCloud) -> None:
    cloud.client("s3").put_object(Bucket=BUCKET, Key="bad/train/part.csv", Body="1,abc,2\n0,1,2\n")
    request = training_request(cloud, "train-bad")
    request["InputDataConfig"] = [channel("train", f"s3://{BUCKET}/bad/train/")]
    cloud.client("sagemaker").create_training_job(**request)
    done = wait_for(
        lambda: (
            (d := cloud.client("sagemaker").describe_training_job(TrainingJobName="train-bad"))[
                "TrainingJobStatus"
            ]
            != "InProgress"
            and d
        ),
        "train-bad",
    )
    assert done["TrainingJobStatus"] == "Failed"
    assert done["FailureReason"].startswith("ClientError:") and "non-numeric" in done["FailureReason"]
    assert "ModelArtifacts" not in done


def test_injected_training_failure_fails_the_job(cloud: LocalCloud) -> None:
    cloud.failures.fail_training("train-injected", times=1)
    done = train(cloud, "train-injected")
    assert done["TrainingJobStatus"] == "Failed"
    assert "injected training failure" in done["FailureReason"]


def test_transform_job_scores_with_the_models_artifact(cloud: LocalCloud, models: dict[str, Any]) -> None:
    x, y = data(20, seed=7)
    s3, sm = cloud.client("s3"), cloud.client("sagemaker")
    s3.put_object(Bucket=BUCKET, Key="holdout/rows.csv", Body=to_csv_rows(x, y))
    sm.create_transform_job(
        TransformJobName="score-new",
        ModelName="model-new",
        TransformInput={
            "ContentType": "text/csv",
            "SplitType": "Line",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/holdout/"}},
        },
        TransformOutput={"S3OutputPath": f"s3://{BUCKET}/scored/", "Accept": "text/csv"},
        TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        DataProcessing={"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
    )
    done = wait_for(
        lambda: (
            (d := sm.describe_transform_job(TransformJobName="score-new"))["TransformJobStatus"]
            != "InProgress"
            and d
        ),
        "score-new",
    )
    assert done["TransformJobStatus"] == "Completed", done.get("FailureReason")
    out = s3.get_object(Bucket=BUCKET, Key="scored/rows.csv.out")["Body"].read().decode()
    rows = np.loadtxt(io.StringIO(out), delimiter=",")
    np.testing.assert_array_equal(rows[:, 0], y)
    np.testing.assert_allclose(rows[:, 1], predict(models["new"], x), rtol=1e-6)

    with pytest.raises(ClientError, match="Could not find model"):
        sm.create_transform_job(
            TransformJobName="score-missing",
            ModelName="no-such-model",
            TransformInput=done["TransformInput"],
            TransformOutput=done["TransformOutput"],
            TransformResources=done["TransformResources"],
        )


def test_tuning_job_trains_a_few_jobs_and_reports_the_best(cloud: LocalCloud) -> None:
    base = training_request(cloud, "unused", prefix="tuning")
    sm = cloud.client("sagemaker")
    sm.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName="tune-1",
        HyperParameterTuningJobConfig={
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 10, "MaxParallelTrainingJobs": 2},
            "ParameterRanges": {
                "ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.05", "MaxValue": "0.5"}],
                "IntegerParameterRanges": [{"Name": "max_depth", "MinValue": "2", "MaxValue": "5"}],
            },
        },
        TrainingJobDefinition={
            "AlgorithmSpecification": base["AlgorithmSpecification"],
            "RoleArn": ROLE,
            "StaticHyperParameters": {"num_round": "5", "objective": "binary:logistic", "eval_metric": "auc"},
            "InputDataConfig": base["InputDataConfig"],
            "OutputDataConfig": base["OutputDataConfig"],
            "ResourceConfig": base["ResourceConfig"],
            "StoppingCondition": base["StoppingCondition"],
        },
        Tags=[{"Key": "drift-retrain:stack", "Value": "s"}],
    )
    done = wait_for(
        lambda: (
            (d := sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="tune-1"))[
                "HyperParameterTuningJobStatus"
            ]
            != "InProgress"
            and d
        ),
        "tune-1",
    )
    assert done["HyperParameterTuningJobStatus"] == "Completed", done.get("FailureReason")
    assert done["TrainingJobStatusCounters"]["Completed"] == 2  # capped by max_tuning_jobs
    best = done["BestTrainingJob"]
    assert best["FinalHyperParameterTuningJobObjectiveMetric"]["MetricName"] == "validation:auc"
    job = sm.describe_training_job(TrainingJobName=best["TrainingJobName"])
    assert job["TrainingJobStatus"] == "Completed"
    assert job["HyperParameters"]["max_depth"] == best["TunedHyperParameters"]["max_depth"]
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=job["TrainingJobArn"])["Tags"]}
    assert tags == {"sagemaker:tuning-job-name": "tune-1", "drift-retrain:stack": "s"}  # as on SageMaker
    metric = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}["validation:auc"]
    assert metric == pytest.approx(best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])


# -------------------------------------------------------------------------------------- Step Functions
def _definition() -> dict[str, Any]:
    return {
        "StartAt": "Train",
        "States": {
            "Train": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
                "Parameters": {
                    "TrainingJobName.$": "$.job",
                    **{k: v for k, v in training_request_template().items() if k != "TrainingJobName"},
                },
                "ResultSelector": {"model_artifacts.$": "$.ModelArtifacts.S3ModelArtifacts"},
                "ResultPath": "$.training",
                "Retry": [
                    {
                        "ErrorEquals": ["SageMaker.AmazonSageMakerException"],
                        "IntervalSeconds": 1,
                        "MaxAttempts": 1,
                    }
                ],
                "Catch": [
                    {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Training failed"}
                ],
                "Next": "Create model",
            },
            "Create model": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createModel",
                "Parameters": {
                    "ModelName.$": "$.job",
                    "ExecutionRoleArn": ROLE,
                    "PrimaryContainer": {"Image": IMAGE, "ModelDataUrl.$": "$.training.model_artifacts"},
                },
                "ResultSelector": {"model_arn.$": "$.ModelArn"},
                "ResultPath": "$.model",
                "Next": "Score",
            },
            "Score": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createTransformJob.sync",
                "Parameters": {
                    "TransformJobName.$": "$.job",
                    "ModelName.$": "$.job",
                    "TransformInput": {
                        "ContentType": "text/csv",
                        "SplitType": "Line",
                        "DataSource": {
                            "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{BUCKET}/holdout/"}
                        },
                    },
                    "TransformOutput": {"S3OutputPath.$": f"States.Format('s3://{BUCKET}/sfn/{{}}/', $.job)"},
                    "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1},
                    "DataProcessing": {
                        "InputFilter": "$[1:]",
                        "JoinSource": "Input",
                        "OutputFilter": "$[0,-1]",
                    },
                },
                "ResultSelector": {"status.$": "$.TransformJobStatus"},
                "ResultPath": "$.transform",
                "End": True,
            },
            "Training failed": {"Type": "Pass", "End": True},
        },
    }


def training_request_template() -> dict[str, Any]:
    return {
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "HyperParameters": {"num_round": "5", "objective": "binary:logistic", "eval_metric": "auc"},
        "InputDataConfig": [
            channel("train", f"s3://{BUCKET}/data/train/"),
            channel("validation", f"s3://{BUCKET}/data/validation/"),
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{BUCKET}/sfn-models/"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }


def _run(cloud: LocalCloud, job: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    sfn = cloud.client("stepfunctions")
    definition = json.dumps(_definition())
    arn = sfn.create_state_machine(name=f"sm-{job}", definition=definition, roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"job": job}))["executionArn"]
    described = wait_for(
        lambda: (d := sfn.describe_execution(executionArn=execution))["status"] != "RUNNING" and d,
        f"execution {job}",
    )
    return described, sfn.get_execution_history(executionArn=execution)["events"]


def test_sync_training_and_transform_succeed_on_motos_interpreter(cloud: LocalCloud) -> None:
    x, y = data(20, seed=7)
    training_request(cloud, "seed-data")  # writes data/train and data/validation
    cloud.client("s3").put_object(Bucket=BUCKET, Key="holdout/rows.csv", Body=to_csv_rows(x, y))

    described, events = _run(cloud, "sfn-ok")

    assert described["status"] == "SUCCEEDED", events[-1]
    output = json.loads(described["output"])
    assert output["training"]["model_artifacts"] == f"s3://{BUCKET}/sfn-models/sfn-ok/output/model.tar.gz"
    assert output["transform"] == {"status": "Completed"}
    assert cloud.client("s3").get_object(Bucket=BUCKET, Key="sfn/sfn-ok/rows.csv.out")["Body"].read()


def test_sync_training_failure_is_caught_as_states_task_failed(cloud: LocalCloud) -> None:
    training_request(cloud, "seed-data")
    cloud.failures.fail_training("sfn-fails")

    described, events = _run(cloud, "sfn-fails")

    assert described["status"] == "SUCCEEDED"  # the Catch took it to "Training failed"
    output = json.loads(described["output"])
    assert output["error"]["Error"] == "States.TaskFailed"
    cause = json.loads(output["error"]["Cause"])
    assert cause["TrainingJobStatus"] == "Failed"
    assert "injected training failure" in cause["FailureReason"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"] == "PassStateEntered"]
    assert entered == ["Training failed"]


# ------------------------------------------------------------------------------------------ endpoints
