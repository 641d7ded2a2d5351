"""Local SageMaker training: really trains built-in-style XGBoost from the state machine's request."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile

import numpy as np
import pytest
from sm_support import (
    BUCKET,
    hyperparameters,
    make_data,
    put,
    training_request,
    write_channel,
)

from drift_retrain_local.sagemaker.failures import CAPACITY_ERROR, FailureInjector
from drift_retrain_local.sagemaker.model_artifact import MODEL_FILE, load_model, predict
from drift_retrain_local.sagemaker.training import run_training_job


def _artifact(s3, outcome) -> bytes:
    uri = outcome.ModelArtifacts["S3ModelArtifacts"]
    bucket, key = uri[5:].split("/", 1)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def _train(s3, task, rows=600, hps=None, validation=True, **kwargs):
    x, y = make_data(task, rows, seed=1)
    cut = int(rows * 0.75)
    train_uri = write_channel(s3, f"training/{task}/train/", x[:cut], y[:cut], parts=2)
    validation_uri = (
        write_channel(s3, f"training/{task}/validation/", x[cut:], y[cut:]) if validation else None
    )
    request = training_request(
        f"job-{task}", hps or hyperparameters(task), train_uri, validation_uri, **kwargs
    )
    return run_training_job(request, s3), request


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_trained_model_beats_a_trivial_baseline_on_held_out_rows(s3, task):
    outcome, request = _train(s3, task)

    assert outcome.TrainingJobStatus == "Completed", outcome.FailureReason
    assert outcome.ModelArtifacts["S3ModelArtifacts"] == (
        f"s3://{BUCKET}/models/m/artifacts/{request['TrainingJobName']}/output/model.tar.gz"
    )
    assert outcome.TrainingTimeInSeconds >= 1 and outcome.BillableTimeInSeconds >= 1
    body = _artifact(s3, outcome)
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as tar:
        assert tar.getnames() == [MODEL_FILE]

    model = load_model(body)
    x_new, y_new = make_data(task, 400, seed=99)
    predictions = predict(model, x_new)
    if task == "binary":
        assert model.objective == "binary:logistic"
        assert np.all((predictions >= 0) & (predictions <= 1))
        accuracy = np.mean((predictions > 0.5) == y_new)
        assert accuracy > max(y_new.mean(), 1 - y_new.mean()) + 0.2
    elif task == "multiclass":
        assert model.num_class == 3
        majority = np.bincount(y_new.astype(int)).max() / len(y_new)
        assert np.mean(predictions == y_new) > majority + 0.2
    else:
        rmse = np.sqrt(np.mean((predictions - y_new) ** 2))
        assert rmse < 0.6 * np.std(y_new)


def test_final_metrics_name_channel_and_metric(s3):
    outcome, _ = _train(s3, "binary")

    names = {m["MetricName"]: m["Value"] for m in outcome.FinalMetricDataList}
    assert set(names) == {"train:auc", "validation:auc"}
    assert 0.8 < names["validation:auc"] <= 1.0
    assert "FinalMetricDataList" in outcome.describe_fields()


def test_early_stopping_watches_the_validation_channel(s3):
    x, y = make_data("regression", 400, seed=3)
    train_uri = write_channel(s3, "es/train/", x[:300], y[:300])
    # Validation labels are pure noise: the validation rmse stops improving within a few rounds,
    # while the training rmse keeps falling for all 300 rounds.
    noise = np.random.default_rng(7).normal(size=100) * 5
    validation_uri = write_channel(s3, "es/validation/", x[300:], noise)
    hps = hyperparameters("regression", num_round="300", early_stopping_rounds="5", eta="0.3")
    outcome = run_training_job(training_request("job-es", hps, train_uri, validation_uri), s3)

    assert outcome.TrainingJobStatus == "Completed", outcome.FailureReason
    model = load_model(_artifact(s3, outcome))
    assert model.best_iteration is not None
    assert model.booster.num_boosted_rounds() == model.best_iteration + 1 + 5
    assert model.booster.num_boosted_rounds() < 60
    assert any("early stopping" in note for note in outcome.notes)

    no_validation = run_training_job(training_request("job-es-2", hps, train_uri, None), s3)
    assert no_validation.TrainingJobStatus == "Completed"
    assert load_model(_artifact(s3, no_validation)).booster.num_boosted_rounds() > 100


def test_spot_training_request_and_unknown_hyperparameter_are_accepted_with_notes(s3):
    hps = hyperparameters("binary", not_a_real_knob="3")
    outcome, _ = _train(s3, "binary", hps=hps, spot=True)

    assert outcome.TrainingJobStatus == "Completed"
    assert any("Extraneous hyperparameter found: not_a_real_knob" in note for note in outcome.notes)
    assert any("CheckpointConfig" in note for note in outcome.notes)


def _fails(s3, request) -> str:
    outcome = run_training_job(request, s3)
    assert outcome.TrainingJobStatus == "Failed"
    assert outcome.ModelArtifacts is None and "ModelArtifacts" not in outcome.describe_fields()
    return outcome.FailureReason


GOOD_ROWS = "1,0.5,2\n0,0.1,3\n1,0.7,1\n0,0.2,2\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "1,0.5,2\n0,abc,3\n",
            "ClientError: Failed to load csv data: s3://local-sm-tests/bad/train/a.csv: "
            "non-numeric value 'abc' in record 2, column 2",
        ),
        ("1,0.5,2\n0,0.1\n", "record 2 has 2 fields but record 1 has 3"),
        ("\n\n", "ClientError: No data in train channel path s3://local-sm-tests/bad/train/"),
        ("1,0.5,2\n,0.1,3\n", "the label (first column) is missing in 1 record(s), first at record 2"),
        ("2,0.5,2\n0,0.1,3\n", "labels must be in [0, 1] for binary:logistic; found [2.0]"),
    ],
    ids=["non-numeric", "ragged", "empty-objects", "missing-label", "label-out-of-range"],
)
def test_bad_training_data_fails_with_a_specific_reason(s3, body, expected):
    put(s3, "bad/train/a.csv", body)
    request = training_request("bad", hyperparameters("binary"), f"s3://{BUCKET}/bad/train/", None)
    assert expected in _fails(s3, request)


def test_no_object_under_the_channel_fails_like_sagemaker(s3):
    request = training_request("empty", hyperparameters("binary"), f"s3://{BUCKET}/nothing/here/", None)
    assert _fails(s3, request).startswith(
        'ClientError: Data download failed: No S3 objects found under S3 URL "s3://local-sm-tests/nothing/here/"'
    )


def test_multiclass_labels_must_be_class_indices(s3):
    put(s3, "mc/train/a.csv", "0,1,1\n1,2,2\n3,3,3\n1.5,1,1\n")
    request = training_request("mc", hyperparameters("multiclass"), f"s3://{BUCKET}/mc/train/", None)
    assert "labels must be integers 0..2 for multi:softmax with num_class=3; found [1.5, 3.0]" in _fails(
        s3, request
    )


def test_validation_with_other_width_or_no_data_fails(s3):
    put(s3, "w/train/a.csv", GOOD_ROWS)
    put(s3, "w/validation/a.csv", "1,0.5\n")
    request = training_request(
        "w", hyperparameters("binary"), f"s3://{BUCKET}/w/train/", f"s3://{BUCKET}/w/validation/"
    )
    assert "validation channel has 1 features but train has 2" in _fails(s3, request)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"num_round": None}, "ClientError: Missing required hyperparameter: num_round"),
        ({"max_depth": "deep"}, "ClientError: Hyperparameter max_depth: could not parse value 'deep'"),
        ({"eta": "1.5"}, "ClientError: Hyperparameter eta: 1.5 is not in [0, 1]"),
        ({"subsample": "0"}, "ClientError: Hyperparameter subsample: 0 is not in (0, 1]"),
        (
            {"objective": "binary:magic"},
            "ClientError: Hyperparameter objective: value binary:magic not in range",
        ),
        (
            {"eval_metric": "auc,bogus"},
            "ClientError: Hyperparameter eval_metric: value ['bogus'] not in range",
        ),
    ],
)
def test_invalid_hyperparameters_fail_with_the_toolkits_wording(s3, change, expected):
    put(s3, "hp/train/a.csv", GOOD_ROWS)
    hps = {k: v for k, v in {**hyperparameters("binary"), **change}.items() if v is not None}
    request = training_request("hp", hps, f"s3://{BUCKET}/hp/train/", None)
    assert _fails(s3, request).startswith(expected)


def test_multiclass_objective_needs_num_class(s3):
    put(s3, "nc/train/a.csv", GOOD_ROWS)
    hps = {"num_round": "5", "objective": "multi:softprob"}
    request = training_request("nc", hps, f"s3://{BUCKET}/nc/train/", None)
    assert "num_class" in _fails(s3, request)


def test_injected_failures_fail_matching_jobs_only(s3):
    put(s3, "inj/train/a.csv", GOOD_ROWS)
    injector = FailureInjector()
    injector.fail_training("cand-*", times=1)
    injector.fail_training("capacity-*", reason=CAPACITY_ERROR)

    def run(name):
        request = training_request(
            name, {"num_round": "3", "objective": "binary:logistic"}, f"s3://{BUCKET}/inj/train/", None
        )
        return run_training_job(request, s3, injector)

    first = run("cand-1")
    assert first.TrainingJobStatus == "Failed"
    assert first.FailureReason.startswith("AlgorithmError: injected training failure")
    assert run("cand-2").TrainingJobStatus == "Completed"  # times=1 consumed
    assert run("capacity-1").FailureReason.startswith("CapacityError:")
    assert run("other").TrainingJobStatus == "Completed"


@pytest.mark.parametrize(("environment", "expected"), [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_training_threads_sleep_when_idle_unless_the_environment_says_otherwise(
    environment: str | None, expected: str
) -> None:
    """The local cloud sets OpenMP's wait policy before XGBoost loads libgomp (which reads it once), so its
    idle threads do not spin beside the Lambdas; a value the user set is kept."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if environment is not None:
        env["OMP_WAIT_POLICY"] = environment
    probe = (
        "import os, sys; import drift_retrain_local.sagemaker.training; "
        "print(os.environ['OMP_WAIT_POLICY'], 'xgboost' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == [expected, "True"]
