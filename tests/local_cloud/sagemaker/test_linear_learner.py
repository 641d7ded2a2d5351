"""Local SageMaker Linear Learner: a training job with the linear-learner image really fits a linear model,
and the batch transform and the endpoint runtime answer in the algorithm's JSON Lines format."""

from __future__ import annotations

import io
import json
import tarfile

import numpy as np
import pytest
from sm_support import BUCKET, read, training_request, transform_request, write_channel

from drift_retrain.engine.encoding import to_csv_rows
from drift_retrain_local.sagemaker.linear_learner import MODEL_FILE, is_linear_learner_image
from drift_retrain_local.sagemaker.model_artifact import load_model, predict
from drift_retrain_local.sagemaker.runtime import Deployment, EndpointRuntime, Variant
from drift_retrain_local.sagemaker.training import run_training_job
from drift_retrain_local.sagemaker.transform import run_transform_job

IMAGE = "382416733822.dkr.ecr.us-east-1.amazonaws.com/linear-learner:1"
PREDICTOR = {"binary": "binary_classifier", "multiclass": "multiclass_classifier", "regression": "regressor"}


def _linear_data(task: str, rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A linear concept on features of very different scales (normalisation must matter)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 5)) * np.array([1.0, 100.0, 0.01, 5.0, 1.0])
    signal = 1.5 * x[:, 0] - 0.02 * x[:, 1] + 80.0 * x[:, 2] + 0.3 * x[:, 3]
    if task == "binary":
        return x, (signal + rng.normal(scale=0.3, size=rows) > 0).astype(float)
    if task == "multiclass":
        return x, np.digitize(signal + rng.normal(scale=0.3, size=rows), [-1.0, 1.0]).astype(float)
    return x, 50.0 + 10.0 * signal + rng.normal(scale=1.0, size=rows)


def _hyperparameters(task: str, **extra: str) -> dict[str, str]:
    hps = {"predictor_type": PREDICTOR[task], "feature_dim": "5", "epochs": "15", "mini_batch_size": "200"}
    if task == "multiclass":
        hps["num_classes"] = "3"
    return {**hps, **extra}


def _train(s3, task: str, **extra: str):
    x, y = _linear_data(task, 1000, seed=3)
    train = write_channel(s3, f"ll/{task}/train/", x[:600], y[:600], parts=2)
    validation = write_channel(s3, f"ll/{task}/validation/", x[600:800], y[600:800])
    request = training_request(f"ll-{task}", _hyperparameters(task, **extra), train, validation)
    request["AlgorithmSpecification"]["TrainingImage"] = IMAGE
    return run_training_job(request, s3), x[800:], y[800:]


def _artifact(s3, outcome) -> bytes:
    bucket, key = outcome.ModelArtifacts["S3ModelArtifacts"][5:].split("/", 1)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_the_image_decides_the_algorithm():
    assert is_linear_learner_image(IMAGE)
    assert is_linear_learner_image("404615174143.dkr.ecr.us-east-2.amazonaws.com/linear-learner:1")
    assert not is_linear_learner_image("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1")


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_trains_a_linear_model_that_predicts_held_out_rows(s3, task):
    outcome, x, y = _train(s3, task)

    assert outcome.TrainingJobStatus == "Completed", outcome.FailureReason
    with tarfile.open(fileobj=io.BytesIO(_artifact(s3, outcome)), mode="r:gz") as tar:
        assert tar.getnames() == [MODEL_FILE]
    metrics = {m["MetricName"] for m in outcome.FinalMetricDataList}
    assert "validation:objective_loss" in metrics
    scores = predict(load_model(_artifact(s3, outcome)), x)
    if task == "binary":
        assert np.mean((scores >= 0.5) == (y == 1)) > 0.95  # the prior is about 0.5
    elif task == "multiclass":
        assert scores.shape == (len(y), 3) and np.allclose(scores.sum(axis=1), 1.0)
        assert np.mean(np.argmax(scores, axis=1) == y) > 0.9
    else:
        rmse = np.sqrt(np.mean((scores - y) ** 2))
        assert rmse < 0.1 * np.std(y)  # labels normalised and mapped back: the model's scale is the label's


def test_l1_drives_useless_weights_to_zero(s3):
    outcome, _, _ = _train(s3, "regression", l1="0.05")
    model = load_model(_artifact(s3, outcome))
    assert outcome.TrainingJobStatus == "Completed", outcome.FailureReason
    assert model.weights[4, 0] == pytest.approx(0.0, abs=1e-6)  # feature 4 carries no signal
    assert abs(model.weights[0, 0]) > 0.1


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"predictor_type": "ranker"}, "predictor_type"),
        ({"num_round": "10"}, "Additional hyperparameters are not allowed (num_round)"),
        ({"feature_dim": "7"}, "feature_dim=7 but the train channel has 5 feature columns"),
        ({"epochs": "0"}, "epochs"),
    ],
)
def test_bad_hyperparameters_fail_the_job_with_a_client_error(s3, extra, message):
    outcome, _, _ = _train(s3, "binary", **extra)
    assert outcome.TrainingJobStatus == "Failed"
    assert outcome.FailureReason.startswith("ClientError") and message in outcome.FailureReason


def test_transform_writes_one_json_line_per_held_out_row(s3):
    outcome, x, y = _train(s3, "binary")
    s3.put_object(Bucket=BUCKET, Key="ll/test/test.csv", Body=to_csv_rows(x, y).encode())
    request = transform_request(
        "ll-t", f"s3://{BUCKET}/ll/test/", f"s3://{BUCKET}/ll/out/", InputFilter="$[1:]", JoinSource="None"
    )
    request["TransformOutput"]["Accept"] = "application/jsonlines"
    done = run_transform_job(request, s3, outcome.ModelArtifacts["S3ModelArtifacts"])

    assert done.TransformJobStatus == "Completed", done.FailureReason
    records = [json.loads(line) for line in read(s3, done.output_uris[0]).splitlines()]
    assert len(records) == len(y) and set(records[0]) == {"score", "predicted_label"}
    labels = np.array([r["predicted_label"] for r in records])
    assert np.array_equal(labels, (np.array([r["score"] for r in records]) >= 0.5).astype(int))
    assert np.mean(labels == y) > 0.95


def test_transform_refuses_to_join_a_json_response_to_csv_records(s3):
    outcome, _, _ = _train(s3, "binary")
    s3.put_object(Bucket=BUCKET, Key="ll/j/test.csv", Body=b"1,0,0,0,0,0\n")
    request = transform_request(
        "ll-j", f"s3://{BUCKET}/ll/j/", f"s3://{BUCKET}/ll/jo/", InputFilter="$[1:]", JoinSource="Input"
    )
    request["TransformOutput"]["Accept"] = "application/jsonlines"
    done = run_transform_job(request, s3, outcome.ModelArtifacts["S3ModelArtifacts"])
    assert done.TransformJobStatus == "Failed" and "JoinSource None" in done.FailureReason


def test_endpoint_runtime_answers_in_json_lines_and_json(s3):
    outcome, x, _ = _train(s3, "multiclass")
    model = load_model(_artifact(s3, outcome))
    runtime = EndpointRuntime(lambda _uri: model)
    runtime.activate("ep", Deployment("cfg", (Variant("AllTraffic", "m", 1.0, model),)))
    body = to_csv_rows(x[:3]).encode()

    lines = runtime.invoke("ep", body, "text/csv", accept="application/jsonlines")
    records = [json.loads(line) for line in lines.body.decode().splitlines()]
    assert lines.content_type == "application/jsonlines" and len(records) == 3
    assert len(records[0]["score"]) == 3 and records[0]["predicted_label"] in (0, 1, 2)
    document = json.loads(runtime.invoke("ep", body, "text/csv", accept="application/json").body)
    assert [p["predicted_label"] for p in document["predictions"]] == [r["predicted_label"] for r in records]
