"""The local SageMaker through the embedded AWS: jobs that really run, .sync tasks on moto's interpreter,
endpoints that really predict, and a blue/green update with zero failed requests."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from botocore.exceptions import ClientError

from drift_retrain.engine.encoding import to_csv_rows
from drift_retrain_local.cloud import LocalCloud, local_cloud
from drift_retrain_local.sagemaker.model_artifact import format_predictions, load_model, predict
from drift_retrain_local.sagemaker.service import LocalSageMakerSettings

BUCKET = "sm-local-service-tests"
ROLE = "arn:aws:iam::123456789012:role/local"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
WAIT = 20.0  # upper bound of every wait; the jobs take well under a second


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    # Updating and RollingBack last long enough to be seen by a 50 ms poll even on a loaded 2-core machine.
    settings = LocalSageMakerSettings(max_tuning_jobs=2, endpoint_update_seconds=0.6, rollback_seconds=0.5)
    with local_cloud(sagemaker_settings=settings) as running:
        running.client("s3").create_bucket(Bucket=BUCKET)
        yield running


@pytest.fixture(autouse=True)
def _disarm(cloud: LocalCloud) -> Iterator[None]:
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


def endpoint_config(cloud: LocalCloud, name: str, *variants: tuple[str, str, float]) -> None:
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


@pytest.fixture(scope="module")
def models(cloud: LocalCloud) -> dict[str, Any]:
    """Two different trained models registered with CreateModel: ``old`` (3 rounds) and ``new`` (30)."""
    old = train(cloud, "models-old", num_round=3)
    new = train(cloud, "models-new", num_round=30)
    assert old["TrainingJobStatus"] == new["TrainingJobStatus"] == "Completed"
    return {"old": model_from(cloud, old, "model-old"), "new": model_from(cloud, new, "model-new")}


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
def test_missing_endpoint_is_a_validation_error_like_aws(cloud: LocalCloud) -> None:
    with pytest.raises(ClientError) as raised:
        invoke(cloud, "no-such-endpoint", "1,2,3\n")
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert (
        raised.value.response["Error"]["Message"]
        == "Endpoint no-such-endpoint of account 123456789012 not found."
    )
    with pytest.raises(ClientError, match="Could not find endpoint"):
        cloud.client("sagemaker").describe_endpoint(EndpointName="no-such-endpoint")


def test_endpoint_goes_in_service_and_predicts_with_its_model(
    cloud: LocalCloud, models: dict[str, Any]
) -> None:
    endpoint_config(cloud, "ep-create-cfg", ("AllTraffic", "model-old", 1.0))
    cloud.client("sagemaker").create_endpoint(EndpointName="ep-create", EndpointConfigName="ep-create-cfg")
    assert endpoint_state(cloud, "ep-create") == ("Creating", "ep-create-cfg")
    wait_for(lambda: endpoint_state(cloud, "ep-create")[0] == "InService", "ep-create InService")

    x, _ = data(5, seed=3)
    body, variant = invoke(cloud, "ep-create", features_csv(x))
    assert variant == "AllTraffic"
    assert body == expected(models["old"], x)
    assert len(body.splitlines()) == 5

    with pytest.raises(ClientError) as raised:
        invoke(cloud, "ep-create", "1,2\n")  # wrong feature count: the container's 400, as ModelError
    assert raised.value.response["Error"]["Code"] == "ModelError"


def test_variant_weights_are_honoured(cloud: LocalCloud, models: dict[str, Any]) -> None:
    endpoint_config(cloud, "ep-weights-cfg", ("a", "model-old", 3.0), ("b", "model-new", 1.0))
    cloud.client("sagemaker").create_endpoint(EndpointName="ep-weights", EndpointConfigName="ep-weights-cfg")
    wait_for(lambda: endpoint_state(cloud, "ep-weights")[0] == "InService", "ep-weights InService")
    runtime = cloud.client("sagemaker-runtime")
    seen = [invoke(cloud, "ep-weights", "0,0,0\n", runtime)[1] for _ in range(200)]
    assert 0.65 < seen.count("a") / len(seen) < 0.85


def _update_under_load(
    cloud: LocalCloud, name: str, new_config: str, routing: dict[str, Any]
) -> tuple[list[str], list[Exception], list[tuple[str, str]]]:
    """Update ``name`` while a thread keeps invoking it; returns answers, failures and the states seen."""
    x, _ = data(4, seed=11)
    answers: list[str] = []
    failures: list[Exception] = []
    stop = threading.Event()
    runtime = cloud.client("sagemaker-runtime")

    def client_loop() -> None:
        while not stop.is_set():
            try:
                answers.append(invoke(cloud, name, features_csv(x), runtime)[0])
            except Exception as exc:  # every failure counts
                failures.append(exc)

    thread = threading.Thread(target=client_loop, daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(answers) >= 5, "first answers")
        cloud.client("sagemaker").update_endpoint(
            EndpointName=name,
            EndpointConfigName=new_config,
            DeploymentConfig={
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": routing,
                    "TerminationWaitInSeconds": 0,
                    "MaximumExecutionTimeoutInSeconds": 600,
                },
                "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "endpoint-5xx"}]},
            },
        )
        states = [endpoint_state(cloud, name)]
        wait_for(
            lambda: states.append(endpoint_state(cloud, name)) or states[-1][0] == "InService",
            f"{name} settles",
        )
        count = len(answers)
        wait_for(lambda: len(answers) >= count + 5, "answers after the update")
    finally:
        stop.set()
        thread.join(timeout=WAIT)
    return answers, failures, states


def test_update_switches_to_the_new_config_with_zero_failed_requests(
    cloud: LocalCloud, models: dict[str, Any]
) -> None:
    endpoint_config(cloud, "ep-update-old", ("AllTraffic", "model-old", 1.0))
    endpoint_config(cloud, "ep-update-new", ("AllTraffic", "model-new", 1.0))
    cloud.client("sagemaker").create_endpoint(EndpointName="ep-update", EndpointConfigName="ep-update-old")
    wait_for(lambda: endpoint_state(cloud, "ep-update")[0] == "InService", "ep-update InService")
    x, _ = data(4, seed=11)
    old, new = expected(models["old"], x), expected(models["new"], x)
    assert old != new

    answers, failures, states = _update_under_load(
        cloud, "ep-update", "ep-update-new", {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
    )

    assert failures == []
    assert states[0] == ("Updating", "ep-update-old")
    assert states[-1] == ("InService", "ep-update-new")
    assert set(answers) == {old, new}
    switch = answers.index(new)
    assert all(a == old for a in answers[:switch]) and all(a == new for a in answers[switch:])
    described = cloud.client("sagemaker").describe_endpoint(EndpointName="ep-update")
    assert described["ProductionVariants"][0]["VariantName"] == "AllTraffic"
    assert described["LastDeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"][
        "Type"
    ] == ("ALL_AT_ONCE")


def test_injected_rollback_leaves_the_endpoint_in_service_on_the_old_config(
    cloud: LocalCloud, models: dict[str, Any]
) -> None:
    endpoint_config(cloud, "ep-rollback-old", ("AllTraffic", "model-old", 1.0))
    endpoint_config(cloud, "ep-rollback-new", ("AllTraffic", "model-new", 1.0))
    cloud.client("sagemaker").create_endpoint(
        EndpointName="ep-rollback", EndpointConfigName="ep-rollback-old"
    )
    wait_for(lambda: endpoint_state(cloud, "ep-rollback")[0] == "InService", "ep-rollback InService")
    cloud.failures.roll_back_update("ep-rollback", times=1)
    x, _ = data(4, seed=11)

    answers, failures, states = _update_under_load(
        cloud,
        "ep-rollback",
        "ep-rollback-new",
        {
            "Type": "CANARY",
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50},
            "WaitIntervalInSeconds": 0,
        },
    )

    assert failures == []
    assert states[-1] == ("InService", "ep-rollback-old")
    assert ("RollingBack", "ep-rollback-old") in states
    assert answers[-1] == expected(models["old"], x)
    assert "injected endpoint update failure" in (
        cloud.client("sagemaker").describe_endpoint(EndpointName="ep-rollback").get("FailureReason", "")
    )


def test_update_of_an_endpoint_that_is_not_in_service_is_refused(
    cloud: LocalCloud, models: dict[str, Any]
) -> None:
    endpoint_config(cloud, "ep-busy-cfg", ("AllTraffic", "model-old", 1.0))
    sm = cloud.client("sagemaker")
    sm.create_endpoint(EndpointName="ep-busy", EndpointConfigName="ep-busy-cfg")
    with pytest.raises(ClientError, match="Cannot update in-progress endpoint"):
        sm.update_endpoint(EndpointName="ep-busy", EndpointConfigName="ep-busy-cfg")
    with pytest.raises(ClientError, match="Could not find endpoint"):
        sm.update_endpoint(EndpointName="ep-none", EndpointConfigName="ep-busy-cfg")
    wait_for(lambda: endpoint_state(cloud, "ep-busy")[0] == "InService", "ep-busy InService")
