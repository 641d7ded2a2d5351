"""PrepareTrainingData against moto S3: bootstrap, drift runs, and the bad inputs the state machine catches."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest
from prepare_support import event, read_csv, seed_champion, settings
from wf_helpers import BUCKET, make_frame

from drift_retrain.engine.profile import BaselineProfile, build_profile
from drift_retrain.engine.schema import infer_schema
from drift_retrain.exceptions import ProfileError
from drift_retrain.workflow.prepare_training_data.preparation import prepare_training_data
from drift_retrain.workflow.shared.exceptions import (
    BaselineNotFoundError,
    EmptyTrainingWindowError,
    WorkflowInputError,
)


def test_bootstrap_writes_label_first_encoded_channels_and_a_manifest(clients, to_csv, keys):
    clients.s3.put_object(Bucket=BUCKET, Key="seed/initial.csv", Body=to_csv(make_frame(1000, seed=1)))
    data = prepare_training_data(clients.s3, settings(), event("seed/initial.csv", bootstrap=True))

    assert data["task"] == "binary" and data["classes"] == ["0", "1"]
    assert data["rows"] == {"train": 720, "validation": 80, "test": 200}
    assert data["hyperparameters"]["objective"] == "binary:logistic"
    assert (
        "eta" not in data["static_hyperparameters"] and data["static_hyperparameters"]["num_round"] == "200"
    )
    assert data["tuning_objective"] == {"type": "Minimize", "metric_name": "validation:logloss"}
    candidate, half, quarter = data["candidates"]
    assert candidate["strategy"] == "bootstrap" and candidate["train"] is True
    # the same tournament as a retrain: all of the seed data, its newest half and its newest quarter
    assert [(c["strategy"], c["train"], c["rows"]) for c in (half, quarter)] == [
        ("bootstrap_newest_half", True, {"train": 360, "validation": 40}),
        ("bootstrap_newest_quarter", True, {"train": 180, "validation": 20}),
    ]
    assert {c["test_uri"] for c in data["candidates"]} == {
        f"s3://{BUCKET}/training/run-1/test/candidate-{i}/" for i in (1, 2, 3)
    }
    assert candidate["train_uri"] == f"s3://{BUCKET}/training/run-1/candidate-1/train/"
    assert candidate["test_uri"] == f"s3://{BUCKET}/training/run-1/test/candidate-1/"
    assert candidate["names"]["model"] == data["names"]["base"] + "-c1"
    assert candidate["model_output_uri"] == f"s3://{BUCKET}/models/{candidate['names']['model']}/artifacts/"
    assert data["names"]["base"].startswith("drift-xgb-2603040506-")
    assert data["champion_profile_found"] is False and data["test"]["champion_uri"] is None

    train = read_csv(clients.s3, "training/run-1/candidate-1/train/train.csv")
    assert train.shape == (720, 4)
    assert set(train[0].unique()) <= {0, 1}
    assert train.dtypes.map(lambda d: np.issubdtype(d, np.number)).all()
    assert set(train[3].dropna().unique()) <= {0, 1, 2}  # colour -> codes of the sorted vocabulary
    assert len(read_csv(clients.s3, "training/run-1/test/candidate-1/test.csv")) == 200
    assert keys(clients.s3, "training/run-1/test/champion/") == []  # no champion yet

    manifest = json.loads(
        clients.s3.get_object(Bucket=BUCKET, Key="training/run-1/manifest.json")["Body"].read()
    )
    assert manifest["bootstrap"] is True
    assert manifest["time_order"] == "file order" == data["test"]["time_order"]
    assert [b["key"] for b in manifest["batches"]] == ["seed/initial.csv"]
    assert manifest["split"]["test_from"] == ["seed/initial.csv"]
    profile = BaselineProfile.from_json_bytes(
        clients.s3.get_object(Bucket=BUCKET, Key="training/run-1/candidate-1/profile.json")["Body"].read()
    )
    assert profile.rows == 800 and profile.holdout is None
    assert (
        len(read_csv(clients.s3, "training/run-1/candidate-1/raw/training-data.csv.gz", header=True)) == 800
    )
    assert keys(clients.s3, "seed/") == ["seed/initial.csv"]  # input untouched


def test_drift_run_uses_the_new_batch_first_and_skips_bad_or_unlabelled_files(clients, to_csv):
    champion = seed_champion(clients.s3)
    clients.s3.put_object(Bucket=BUCKET, Key="incoming/old.csv", Body=to_csv(make_frame(300, seed=2)))
    clients.s3.put_object(
        Bucket=BUCKET, Key="incoming/bad.csv", Body=to_csv(make_frame(300, seed=3).drop(columns=["x2"]))
    )
    clients.s3.put_object(
        Bucket=BUCKET, Key="incoming/unlabelled.csv", Body=to_csv(make_frame(300, seed=4, labelled=False))
    )
    # A bare CR inside a field: pandas would end the record there (CR-only line endings are accepted).
    stray_cr = to_csv(make_frame(300, seed=7)).replace(b"\n", b"\rx\n", 1)
    clients.s3.put_object(Bucket=BUCKET, Key="incoming/stray-cr.csv", Body=stray_cr)
    put = clients.s3.put_object(
        Bucket=BUCKET, Key="incoming/new.csv", Body=to_csv(make_frame(600, seed=5, concept=1))
    )
    data = prepare_training_data(
        clients.s3, settings(candidates=("recent",)), event("incoming/new.csv", version_id=put["VersionId"])
    )

    manifest = json.loads(clients.s3.get_object(Bucket=BUCKET, Key=data["manifest"]["key"])["Body"].read())
    assert manifest["window_strategy"] == "recent"
    assert [b["key"] for b in manifest["batches"]] == ["incoming/new.csv", "incoming/old.csv"]
    assert manifest["batches"][0]["version_id"] == put["VersionId"]
    assert {s["key"]: s["reason"].split(":")[0] for s in manifest["skipped"]} == {
        "incoming/bad.csv": "missing_columns",
        "incoming/unlabelled.csv": "no labelled rows",
        "incoming/stray-cr.csv": "carriage_return",  # skipped: an unreadable file never blocks a retrain
    }
    assert manifest["split"]["test_from"] == ["incoming/new.csv"]
    assert data["rows"]["test"] == 180 and data["champion_profile_found"] is True
    assert manifest["baseline_profile"] == f"s3://{BUCKET}/baseline/current/profile.json"
    # The champion file holds the same rows as the candidate file, encoded with the champion's vocabulary.
    candidate = read_csv(clients.s3, "training/run-1/test/candidate-1/test.csv")
    champion_file = read_csv(clients.s3, "training/run-1/test/champion/test.csv")
    pd.testing.assert_series_equal(candidate[0], champion_file[0])
    pd.testing.assert_frame_equal(candidate[[1, 2]], champion_file[[1, 2]])
    assert champion.schema.feature_names == ["x1", "x2", "colour"]


def test_the_pinned_version_of_the_trigger_is_read(clients, to_csv):
    seed_champion(clients.s3)
    first = clients.s3.put_object(Bucket=BUCKET, Key="incoming/new.csv", Body=to_csv(make_frame(600, seed=5)))
    clients.s3.put_object(Bucket=BUCKET, Key="incoming/new.csv", Body=to_csv(make_frame(150, seed=6)))
    data = prepare_training_data(
        clients.s3, settings(max_batches=1), event("incoming/new.csv", version_id=first["VersionId"])
    )
    assert sum(data["rows"].values()) == 600


def test_same_event_same_split(clients, to_csv):
    seed_champion(clients.s3)
    clients.s3.put_object(Bucket=BUCKET, Key="incoming/new.csv", Body=to_csv(make_frame(600, seed=5)))
    prepare_training_data(clients.s3, settings(), event("incoming/new.csv"))
    key = "training/run-1/candidate-1/train/train.csv"
    first = clients.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    prepare_training_data(clients.s3, settings(), event("incoming/new.csv"))
    assert clients.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == first


def test_previous_training_data_share_is_mixed_in(clients, to_csv):
    profile = build_profile(make_frame(400, seed=9), infer_schema(make_frame(400, seed=9), label="label"))
    profile.metadata["training_data"] = {"bucket": BUCKET, "key": "models/m/training-data.csv.gz"}
    clients.s3.put_object(Bucket=BUCKET, Key="baseline/current/profile.json", Body=profile.to_json_bytes())
    clients.s3.put_object(
        Bucket=BUCKET,
        Key="models/m/training-data.csv.gz",
        Body=gzip.compress(to_csv(make_frame(400, seed=9))),
    )
    clients.s3.put_object(Bucket=BUCKET, Key="incoming/new.csv", Body=to_csv(make_frame(500, seed=5)))
    data = prepare_training_data(
        clients.s3,
        settings(previous_data_share=0.5, candidates=("recent", "recent_plus_previous")),
        event("incoming/new.csv"),
    )
    recent, plus = data["candidates"]
    assert (recent["strategy"], plus["strategy"]) == ("recent", "recent_plus_previous")
    assert recent["rows"] == {"train": 360, "validation": 40} and recent["previous_rows"] == 0
    assert plus["rows"] == {"train": 540, "validation": 60} and plus["previous_rows"] == 200
    assert data["test"]["rows"] == 100  # the same held-out rows for both, none of the champion's


def test_drift_run_without_a_baseline_profile_is_a_named_error(clients, to_csv, keys):
    clients.s3.put_object(Bucket=BUCKET, Key="incoming/new.csv", Body=to_csv(make_frame(600)))
    with pytest.raises(BaselineNotFoundError, match="bootstrap"):
        prepare_training_data(clients.s3, settings(), event("incoming/new.csv"))
    assert keys(clients.s3, "training/") == []


def test_corrupt_profile_is_a_profile_error_and_nothing_is_written(clients, to_csv, keys):
    clients.s3.put_object(
        Bucket=BUCKET, Key="baseline/current/profile.json", Body=b'{"format_version": 1, "rows": '
    )
    clients.s3.put_object(Bucket=BUCKET, Key="incoming/new.csv", Body=to_csv(make_frame(600)))
    with pytest.raises(ProfileError, match=r"baseline/current/profile\.json"):
        prepare_training_data(clients.s3, settings(), event("incoming/new.csv"))
    assert keys(clients.s3, "training/") == []
    assert keys(clients.s3, "incoming/") == ["incoming/new.csv"]


def test_empty_window_is_a_named_error(clients, to_csv, keys):
    seed_champion(clients.s3)
    clients.s3.put_object(Bucket=BUCKET, Key="incoming/new.csv", Body=to_csv(make_frame(600, labelled=False)))
    with pytest.raises(EmptyTrainingWindowError):
        prepare_training_data(clients.s3, settings(), event("incoming/new.csv"))
    assert keys(clients.s3, "training/") == []


def test_missing_batch_in_the_event_is_an_input_error(clients):
    with pytest.raises(WorkflowInputError, match=r"trigger\.batch\.key"):
        prepare_training_data(clients.s3, settings(), {"execution_name": "x", "trigger": {"reasons": []}})


def test_handler_returns_strict_json(clients, to_csv, load_handler, lambda_context, monkeypatch):
    monkeypatch.setenv("MIN_TRAINING_ROWS", "100")
    monkeypatch.setenv("HYPERPARAMETERS", '{"num_round": "50", "max_depth": "4"}')
    clients.s3.put_object(Bucket=BUCKET, Key="seed/initial.csv", Body=to_csv(make_frame(600, seed=1)))
    app = load_handler("prepare_training_data")
    result = app.lambda_handler(event("seed/initial.csv", bootstrap=True), lambda_context)
    json.dumps(result, allow_nan=False)
    assert result["hyperparameters"]["num_round"] == "50"
    assert result["hyperparameters"]["objective"] == "binary:logistic"


def test_a_seed_with_true_false_labels_and_features_deploys_the_first_model(clients, to_csv):
    """The schema comes from the seed's text, as DetectDrift will read its batches: 'false' is a class."""
    frame = make_frame(400, seed=3)
    frame["label"] = np.where(frame["label"] == 1, "true", "false")
    frame["flag"] = np.where(np.arange(400) % 3 == 0, "true", "false")
    clients.s3.put_object(Bucket=BUCKET, Key="seed/bools.csv", Body=to_csv(frame))

    data = prepare_training_data(clients.s3, settings(), event("seed/bools.csv", bootstrap=True))

    assert data["task"] == "binary" and data["classes"] == ["false", "true"]
    profile = BaselineProfile.from_json_bytes(
        clients.s3.get_object(Bucket=BUCKET, Key="training/run-1/candidate-1/profile.json")["Body"].read()
    )
    assert sorted(profile.columns["flag"].categories) == ["false", "true"]


def test_a_bootstrap_with_a_new_class_set_builds_its_schema_from_the_seed(clients, to_csv):
    """A serving binary model does not impose its classes on a bootstrap: the seed's three classes win."""
    seed_champion(clients.s3)
    frame = make_frame(600, seed=4)
    frame["label"] = np.arange(600) % 3
    clients.s3.put_object(Bucket=BUCKET, Key="seed/three-classes.csv", Body=to_csv(frame))

    data = prepare_training_data(clients.s3, settings(), event("seed/three-classes.csv", bootstrap=True))

    assert data["task"] == "multiclass" and data["classes"] == ["0", "1", "2"]
