"""Local SageMaker batch transform: scores for real, honours DataProcessing, writes <input>.out."""

from __future__ import annotations

import numpy as np
import pytest
import xgboost as xgb
from sm_support import (
    BUCKET,
    KEEP_LABEL,
    make_data,
    put,
    read,
    transform_request,
)

from drift_retrain.engine.encoding import to_csv_rows
from drift_retrain_local.sagemaker.failures import FailureInjector
from drift_retrain_local.sagemaker.model_artifact import load_model, model_tarball, predict
from drift_retrain_local.sagemaker.transform import parse_filter, run_transform_job, select_columns

OBJECTIVES = {
    "binary": {"objective": "binary:logistic"},
    "multiclass": {"objective": "multi:softmax", "num_class": 3},
    "softprob": {"objective": "multi:softprob", "num_class": 3},
    "regression": {"objective": "reg:squarederror"},
}


def _model(s3, kind: str) -> str:
    task = {"softprob": "multiclass"}.get(kind, kind)
    x, y = make_data(task, 300, seed=5)
    booster = xgb.train({**OBJECTIVES[kind], "max_depth": 3}, xgb.DMatrix(x, label=y), num_boost_round=10)
    return put(s3, f"models/{kind}/output/model.tar.gz", model_tarball(booster))


def _test_rows(s3, kind: str, rows: int = 25) -> tuple[str, np.ndarray, np.ndarray]:
    task = {"softprob": "multiclass"}.get(kind, kind)
    x, y = make_data(task, rows, seed=11)
    put(s3, f"test/{kind}/test.csv", to_csv_rows(x, y))
    return f"s3://{BUCKET}/test/{kind}/", x, y


@pytest.mark.parametrize("kind", ["binary", "multiclass", "regression"])
def test_keep_label_layout_is_label_then_prediction(s3, kind):
    model_uri = _model(s3, kind)
    input_uri, x, y = _test_rows(s3, kind)
    out = f"s3://{BUCKET}/transforms/run/candidate/"
    outcome = run_transform_job(transform_request("t", input_uri, out, **KEEP_LABEL), s3, model_uri)

    assert outcome.TransformJobStatus == "Completed", outcome.FailureReason
    assert outcome.output_uris == [f"{out}test.csv.out"]
    lines = read(s3, outcome.output_uris[0]).splitlines()
    assert len(lines) == len(y) == outcome.records
    rows = np.array([[float(v) for v in line.split(",")] for line in lines])
    assert rows.shape == (len(y), 2)
    np.testing.assert_allclose(rows[:, 0], y, rtol=1e-9)
    expected = predict(load_model(read_bytes(s3, model_uri)), x)
    np.testing.assert_allclose(rows[:, 1], expected, rtol=1e-6)
    if kind == "binary":
        assert np.all((rows[:, 1] > 0) & (rows[:, 1] < 1))
    if kind == "multiclass":
        assert set(rows[:, 1]) <= {0.0, 1.0, 2.0}
        assert lines[0].split(",")[1] in {"0.0", "1.0", "2.0"}  # the container's str(float)


def read_bytes(s3, uri: str) -> bytes:
    bucket, key = uri[5:].split("/", 1)
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def test_join_keeps_the_original_text_of_every_field(s3):
    model_uri = _model(s3, "binary")
    original = "1,0.5,-0.25,1e-1,2.000\n0,,0.3,0.1,-1\n"  # a missing value and odd formats
    put(s3, "odd/in.csv", original)
    out = f"s3://{BUCKET}/odd-out/"
    outcome = run_transform_job(
        transform_request("t", f"s3://{BUCKET}/odd/in.csv", out, InputFilter="$[1:]", JoinSource="Input"),
        s3,
        model_uri,
    )
    lines = read(s3, f"{out}in.csv.out").splitlines()
    assert [line.rsplit(",", 1)[0] for line in lines] == original.splitlines()
    assert all(0 < float(line.rsplit(",", 1)[1]) < 1 for line in lines)
    assert outcome.records == 2


def test_softprob_with_join_adds_k_columns(s3):
    model_uri = _model(s3, "softprob")
    input_uri, _, y = _test_rows(s3, "softprob", rows=10)
    out = f"s3://{BUCKET}/sp/"
    run_transform_job(
        transform_request("t", input_uri, out, InputFilter="$[1:]", JoinSource="Input"), s3, model_uri
    )
    rows = np.array(
        [[float(v) for v in line.split(",")] for line in read(s3, f"{out}test.csv.out").splitlines()]
    )
    assert rows.shape == (10, 1 + 4 + 3)
    np.testing.assert_allclose(rows[:, -3:].sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(rows[:, 0], y)


def test_without_data_processing_the_output_is_the_prediction_only(s3):
    model_uri = _model(s3, "regression")
    x, _ = make_data("regression", 7, seed=2)
    put(s3, "feat/a/one.csv", to_csv_rows(x))
    put(s3, "feat/a/sub/two.csv", to_csv_rows(x[:3]))
    put(s3, "feat/a/_SUCCESS", "")
    out = f"s3://{BUCKET}/plain"
    outcome = run_transform_job(transform_request("t", f"s3://{BUCKET}/feat/a/", out), s3, model_uri)

    assert outcome.output_uris == [f"{out}/one.csv.out", f"{out}/sub/two.csv.out"]
    assert len(read(s3, f"{out}/one.csv.out").splitlines()) == 7
    assert all("," not in line for line in read(s3, f"{out}/sub/two.csv.out").splitlines())
    assert outcome.records == 10


@pytest.mark.parametrize(
    ("expression", "width", "columns"),
    [
        ("$", 4, [0, 1, 2, 3]),
        ("$[1:]", 4, [1, 2, 3]),
        ("$[0,-1]", 4, [0, 3]),
        ("$[-2:]", 5, [3, 4]),
        ("$[:2]", 5, [0, 1]),
        ("$[1:3]", 5, [1, 2]),
        ("$[2]", 5, [2]),
        ("$[0, 2:4, -1]", 6, [0, 2, 3, 5]),
    ],
)
def test_filters_select_like_sagemaker(expression, width, columns):
    assert select_columns(parse_filter(expression), width, "f") == columns


@pytest.mark.parametrize("expression", ["$.features", "$[a]", "[0]", "$[]", "$[0][1]"])
def test_unsupported_filters_are_rejected(expression):
    with pytest.raises(Exception, match="Invalid JSONPath filter"):
        parse_filter(expression)


def _fails(outcome) -> str:
    assert outcome.TransformJobStatus == "Failed"
    assert outcome.output_uris == []
    return outcome.FailureReason


def test_bad_inputs_fail_with_specific_reasons(s3):
    model_uri = _model(s3, "binary")
    out = f"s3://{BUCKET}/bad-out/"

    def run(body: str | None, **processing: str):
        key = f"bad/{len(processing)}-{abs(hash(body))}/in.csv"
        if body is not None:
            put(s3, key, body)
        return run_transform_job(
            transform_request("t", f"s3://{BUCKET}/{key}", out, **processing), s3, model_uri
        )

    assert "non-numeric value 'x' in record 1, column 2" in _fails(run("1,x,0,0,0\n", **KEEP_LABEL))
    assert "record 2 has 4 fields but record 1 has 5" in _fails(run("1,0,0,0,0\n1,0,0,0\n", **KEEP_LABEL))
    # Forgetting the InputFilter sends the label as a feature: 5 columns for a 4-feature model.
    assert (
        "Feature size of csv inference data 5 is not consistent with feature size of trained model 4"
        in _fails(run("1,0,0,0,0\n"))
    )
    assert "OutputFilter on" in _fails(run("1,0,0,0,0\n", InputFilter="$[1:]", OutputFilter="$[9]"))
    assert "No S3 objects found under S3 URL" in _fails(run(None))
    bad_model = run_transform_job(
        transform_request("t", f"s3://{BUCKET}/bad/", out), s3, put(s3, "junk/model.tar.gz", b"not a model")
    )
    assert _fails(bad_model).startswith(
        "ClientError: Unable to load model s3://local-sm-tests/junk/model.tar.gz"
    )


def test_injected_transform_failure(s3):
    model_uri = _model(s3, "binary")
    input_uri, _, _ = _test_rows(s3, "binary")
    injector = FailureInjector.from_specs(["transform:*champion*:1"])
    out = f"s3://{BUCKET}/inj/"

    champion = run_transform_job(
        transform_request("x-champion", input_uri, out, **KEEP_LABEL), s3, model_uri, injector
    )
    assert _fails(champion).startswith("ClientError: injected transform failure")
    candidate = run_transform_job(
        transform_request("x-candidate", input_uri, out, **KEEP_LABEL), s3, model_uri, injector
    )
    assert candidate.TransformJobStatus == "Completed"
    again = run_transform_job(
        transform_request("x-champion", input_uri, out, **KEEP_LABEL), s3, model_uri, injector
    )
    assert again.TransformJobStatus == "Completed"


def test_empty_input_object_gives_an_empty_out_file(s3):
    model_uri = _model(s3, "binary")
    put(s3, "blank/in.csv", "\n")
    outcome = run_transform_job(
        transform_request("t", f"s3://{BUCKET}/blank/", f"s3://{BUCKET}/bo/"), s3, model_uri
    )
    assert outcome.TransformJobStatus == "Completed"
    assert read(s3, f"s3://{BUCKET}/bo/in.csv.out") == ""
