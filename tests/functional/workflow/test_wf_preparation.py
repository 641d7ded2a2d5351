"""PrepareTrainingData against moto S3: bootstrap, drift runs, and the bad inputs the state machine catches."""

from __future__ import annotations

import gzip
import io
import json

import numpy as np
import pandas as pd
import pytest
from wf_helpers import BUCKET, make_frame

from drift_retrain.aws.naming import batch_id_for
from drift_retrain.engine.performance import HoldoutPerformance
from drift_retrain.engine.profile import BaselineProfile, build_profile
from drift_retrain.engine.schema import infer_schema
from drift_retrain.exceptions import ProfileError
from drift_retrain.workflow.exceptions import (
    BaselineNotFoundError,
    EmptyTrainingWindowError,
    NotEnoughTrainingDataError,
    WorkflowInputError,
)
from drift_retrain.workflow.preparation import PrepareSettings, prepare_training_data
from drift_retrain.workflow.window import WindowSettings

EXECUTION_ARN = "arn:aws:states:us-east-1:123456789012:execution:drift-retrain-retrain:run-1"


def settings(**window) -> PrepareSettings:
    return PrepareSettings(bucket=BUCKET, window=WindowSettings(min_training_rows=100, **window))


def event(key: str, *, bootstrap: bool = False, version_id: str | None = None) -> dict:
    trigger = {
        "batch": {
            "bucket": BUCKET,
            "key": key,
            "version_id": version_id,
            "etag": "e",
            "batch_id": key.rsplit("/", 1)[-1],
        },
        "report": None if bootstrap else {"bucket": BUCKET, "key": "reports/drift/x.json"},
        "reasons": ["concept drift"],
        "drifted_features": [],
        "concept_drift": True,
        "labelled_rows": 600,
    }
    if bootstrap:
        trigger["bootstrap"] = True
    return {
        "execution_name": "run-1",
        "execution_arn": EXECUTION_ARN,
        "execution_start": "2026-03-04T05:06:07.890Z",
        "trigger": trigger,
    }


def seed_champion(s3, rows: int = 800) -> BaselineProfile:
    frame = make_frame(rows, seed=100)
    schema = infer_schema(frame, label="label")
    profile = build_profile(frame, schema)
    s3.put_object(Bucket=BUCKET, Key="baseline/current/profile.json", Body=profile.to_json_bytes())
    return profile


def read_csv(s3, key: str, header: bool = False) -> pd.DataFrame:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    if key.endswith(".gz"):
        body = gzip.decompress(body)
    return pd.read_csv(io.BytesIO(body), header=0 if header else None)


def test_bootstrap_writes_label_first_encoded_channels_and_a_manifest(aws, to_csv, keys):
    aws.s3.put_object(Bucket=BUCKET, Key="seed/initial.csv", Body=to_csv(make_frame(1000, seed=1)))
    data = prepare_training_data(aws.s3, settings(), event("seed/initial.csv", bootstrap=True))

    assert data["task"] == "binary" and data["classes"] == ["0", "1"]
    assert data["rows"] == {"train": 720, "validation": 80, "test": 200}
    assert data["hyperparameters"]["objective"] == "binary:logistic"
    assert (
        "eta" not in data["static_hyperparameters"] and data["static_hyperparameters"]["num_round"] == "200"
    )
    assert data["tuning_objective"] == {"type": "Minimize", "metric_name": "validation:logloss"}
    [candidate] = data["candidates"]
    assert candidate["strategy"] == "bootstrap" and candidate["train"] is True
    assert candidate["train_uri"] == f"s3://{BUCKET}/training/run-1/candidate-1/train/"
    assert candidate["test_uri"] == f"s3://{BUCKET}/training/run-1/test/candidate-1/"
    assert candidate["names"]["model"] == data["names"]["base"] + "-c1"
    assert candidate["model_output_uri"] == f"s3://{BUCKET}/models/{candidate['names']['model']}/artifacts/"
    assert data["names"]["base"].startswith("drift-xgb-2603040506-")
    assert data["champion_profile_found"] is False and data["test"]["champion_uri"] is None

    train = read_csv(aws.s3, "training/run-1/candidate-1/train/train.csv")
    assert train.shape == (720, 4)
    assert set(train[0].unique()) <= {0, 1}
    assert train.dtypes.map(lambda d: np.issubdtype(d, np.number)).all()
    assert set(train[3].dropna().unique()) <= {0, 1, 2}  # colour -> codes of the sorted vocabulary
    assert len(read_csv(aws.s3, "training/run-1/test/candidate-1/test.csv")) == 200
    assert keys(aws.s3, "training/run-1/test/champion/") == []  # no champion yet

    manifest = json.loads(aws.s3.get_object(Bucket=BUCKET, Key="training/run-1/manifest.json")["Body"].read())
    assert manifest["bootstrap"] is True
    assert [b["key"] for b in manifest["batches"]] == ["seed/initial.csv"]
    assert manifest["split"]["test_from"] == ["seed/initial.csv"]
    profile = BaselineProfile.from_json_bytes(
        aws.s3.get_object(Bucket=BUCKET, Key="training/run-1/candidate-1/profile.json")["Body"].read()
    )
    assert profile.rows == 800 and profile.holdout is None
    assert len(read_csv(aws.s3, "training/run-1/candidate-1/raw/training-data.csv.gz", header=True)) == 800
    assert keys(aws.s3, "seed/") == ["seed/initial.csv"]  # input untouched


def test_drift_run_uses_the_new_batch_first_and_skips_bad_or_unlabelled_files(aws, to_csv):
    champion = seed_champion(aws.s3)
    aws.s3.put_object(Bucket=BUCKET, Key="incoming/old.csv", Body=to_csv(make_frame(300, seed=2)))
    aws.s3.put_object(
        Bucket=BUCKET, Key="incoming/bad.csv", Body=to_csv(make_frame(300, seed=3).drop(columns=["x2"]))
    )
    aws.s3.put_object(
        Bucket=BUCKET, Key="incoming/unlabelled.csv", Body=to_csv(make_frame(300, seed=4, labelled=False))
    )
    cr_only = to_csv(make_frame(300, seed=7)).replace(b"\n", b"\r")
    aws.s3.put_object(Bucket=BUCKET, Key="incoming/cr-only.csv", Body=cr_only)
    put = aws.s3.put_object(
        Bucket=BUCKET, Key="incoming/new.csv", Body=to_csv(make_frame(600, seed=5, concept=1))
    )
    data = prepare_training_data(
        aws.s3, settings(candidates=("recent",)), event("incoming/new.csv", version_id=put["VersionId"])
    )

    manifest = json.loads(aws.s3.get_object(Bucket=BUCKET, Key=data["manifest"]["key"])["Body"].read())
    assert manifest["window_strategy"] == "recent"
    assert [b["key"] for b in manifest["batches"]] == ["incoming/new.csv", "incoming/old.csv"]
    assert manifest["batches"][0]["version_id"] == put["VersionId"]
    assert {s["key"]: s["reason"].split(":")[0] for s in manifest["skipped"]} == {
        "incoming/bad.csv": "missing_columns",
        "incoming/unlabelled.csv": "no labelled rows",
        "incoming/cr-only.csv": "carriage_return",  # skipped: an unreadable file never blocks a retrain
    }
    assert manifest["split"]["test_from"] == ["incoming/new.csv"]
    assert data["rows"]["test"] == 180 and data["champion_profile_found"] is True
    assert manifest["baseline_profile"] == f"s3://{BUCKET}/baseline/current/profile.json"
    # The champion file holds the same rows as the candidate file, encoded with the champion's vocabulary.
    candidate = read_csv(aws.s3, "training/run-1/test/candidate-1/test.csv")
    champion_file = read_csv(aws.s3, "training/run-1/test/champion/test.csv")
    pd.testing.assert_series_equal(candidate[0], champion_file[0])
    pd.testing.assert_frame_equal(candidate[[1, 2]], champion_file[[1, 2]])
    assert champion.schema.feature_names == ["x1", "x2", "colour"]


def test_the_pinned_version_of_the_trigger_is_read(aws, to_csv):
    seed_champion(aws.s3)
    first = aws.s3.put_object(Bucket=BUCKET, Key="incoming/new.csv", Body=to_csv(make_frame(600, seed=5)))
    aws.s3.put_object(Bucket=BUCKET, Key="incoming/new.csv", Body=to_csv(make_frame(150, seed=6)))
    data = prepare_training_data(
        aws.s3, settings(max_batches=1), event("incoming/new.csv", version_id=first["VersionId"])
    )
    assert sum(data["rows"].values()) == 600


def test_same_event_same_split(aws, to_csv):
    seed_champion(aws.s3)
    aws.s3.put_object(Bucket=BUCKET, Key="incoming/new.csv", Body=to_csv(make_frame(600, seed=5)))
    prepare_training_data(aws.s3, settings(), event("incoming/new.csv"))
    key = "training/run-1/candidate-1/train/train.csv"
    first = aws.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    prepare_training_data(aws.s3, settings(), event("incoming/new.csv"))
    assert aws.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == first


def test_previous_training_data_share_is_mixed_in(aws, to_csv):
    profile = build_profile(make_frame(400, seed=9), infer_schema(make_frame(400, seed=9), label="label"))
    profile.metadata["training_data"] = {"bucket": BUCKET, "key": "models/m/training-data.csv.gz"}
    aws.s3.put_object(Bucket=BUCKET, Key="baseline/current/profile.json", Body=profile.to_json_bytes())
    aws.s3.put_object(
        Bucket=BUCKET,
        Key="models/m/training-data.csv.gz",
        Body=gzip.compress(to_csv(make_frame(400, seed=9))),
    )
    aws.s3.put_object(Bucket=BUCKET, Key="incoming/new.csv", Body=to_csv(make_frame(500, seed=5)))
    data = prepare_training_data(
        aws.s3,
        settings(previous_data_share=0.5, candidates=("recent", "recent_plus_previous")),
        event("incoming/new.csv"),
    )
    recent, plus = data["candidates"]
    assert (recent["strategy"], plus["strategy"]) == ("recent", "recent_plus_previous")
    assert recent["rows"] == {"train": 360, "validation": 40} and recent["previous_rows"] == 0
    assert plus["rows"] == {"train": 540, "validation": 60} and plus["previous_rows"] == 200
    assert data["test"]["rows"] == 100  # the same held-out rows for both, none of the champion's


def test_drift_run_without_a_baseline_profile_is_a_named_error(aws, to_csv, keys):
    aws.s3.put_object(Bucket=BUCKET, Key="incoming/new.csv", Body=to_csv(make_frame(600)))
    with pytest.raises(BaselineNotFoundError, match="bootstrap"):
        prepare_training_data(aws.s3, settings(), event("incoming/new.csv"))
    assert keys(aws.s3, "training/") == []


def test_corrupt_profile_is_a_profile_error_and_nothing_is_written(aws, to_csv, keys):
    aws.s3.put_object(
        Bucket=BUCKET, Key="baseline/current/profile.json", Body=b'{"format_version": 1, "rows": '
    )
    aws.s3.put_object(Bucket=BUCKET, Key="incoming/new.csv", Body=to_csv(make_frame(600)))
    with pytest.raises(ProfileError, match=r"baseline/current/profile\.json"):
        prepare_training_data(aws.s3, settings(), event("incoming/new.csv"))
    assert keys(aws.s3, "training/") == []
    assert keys(aws.s3, "incoming/") == ["incoming/new.csv"]


def test_empty_window_is_a_named_error(aws, to_csv, keys):
    seed_champion(aws.s3)
    aws.s3.put_object(Bucket=BUCKET, Key="incoming/new.csv", Body=to_csv(make_frame(600, labelled=False)))
    with pytest.raises(EmptyTrainingWindowError):
        prepare_training_data(aws.s3, settings(), event("incoming/new.csv"))
    assert keys(aws.s3, "training/") == []


def test_missing_batch_in_the_event_is_an_input_error(aws):
    with pytest.raises(WorkflowInputError, match=r"trigger\.batch\.key"):
        prepare_training_data(aws.s3, settings(), {"execution_name": "x", "trigger": {"reasons": []}})


def test_handler_returns_strict_json(aws, to_csv, load_handler, lambda_context, monkeypatch):
    monkeypatch.setenv("MIN_TRAINING_ROWS", "100")
    monkeypatch.setenv("HYPERPARAMETERS", '{"num_round": "50", "max_depth": "4"}')
    aws.s3.put_object(Bucket=BUCKET, Key="seed/initial.csv", Body=to_csv(make_frame(600, seed=1)))
    app = load_handler("prepare_training_data")
    result = app.lambda_handler(event("seed/initial.csv", bootstrap=True), lambda_context)
    json.dumps(result, allow_nan=False)
    assert result["hyperparameters"]["num_round"] == "50"
    assert result["hyperparameters"]["objective"] == "binary:logistic"


# --- the since_change window ----------------------------------------------------------------------------
def put_checked_batch(aws, to_csv, key: str, frame, *, wrong: bool | None, model: str = "champion-1") -> None:
    """Upload a batch and the drift report DetectDrift would have written for it."""
    put = aws.s3.put_object(Bucket=BUCKET, Key=key, Body=to_csv(frame))
    concept = (
        {"tested": False, "reason": "the batch has no labelled rows"}
        if wrong is None
        else {"tested": True, "metric": "error_rate", "error_rate": 0.5 if wrong else 0.05, "detected": wrong}
    )
    report = {"status": "ok", "profile": {"model_name": model}, "concept_drift": concept}
    batch_id = batch_id_for(key, put.get("VersionId"), put["ETag"])
    aws.s3.put_object(Bucket=BUCKET, Key=f"reports/drift/{batch_id}.json", Body=json.dumps(report).encode())


def manifest_of(aws, data) -> dict:
    return json.loads(aws.s3.get_object(Bucket=BUCKET, Key=data["manifest"]["key"])["Body"].read())


def test_since_change_trains_on_the_batches_the_serving_model_got_wrong_only(aws, to_csv):
    """Pre-change rows stay out: a model fitted on a mix of both concepts learns neither."""
    profile = seed_champion(aws.s3)
    profile.metadata["model_name"] = "champion-1"
    aws.s3.put_object(Bucket=BUCKET, Key="baseline/current/profile.json", Body=profile.to_json_bytes())
    put_checked_batch(aws, to_csv, "incoming/b1.csv", make_frame(400, seed=1), wrong=False)
    put_checked_batch(aws, to_csv, "incoming/b2.csv", make_frame(400, seed=2, concept=1), wrong=True)
    put_checked_batch(aws, to_csv, "incoming/b3.csv", make_frame(300, seed=3, labelled=False), wrong=None)
    put_checked_batch(aws, to_csv, "incoming/b4.csv", make_frame(400, seed=4, concept=1), wrong=True)
    put_checked_batch(aws, to_csv, "incoming/b5.csv", make_frame(600, seed=5, concept=1), wrong=True)

    data = prepare_training_data(
        aws.s3, settings(candidates=("since_change", "recent", "registry")), event("incoming/b5.csv")
    )

    manifest = manifest_of(aws, data)
    assert manifest["window_strategy"] == "since_change" and data["window_strategy"] == "since_change"
    assert [b["key"] for b in manifest["batches"]] == [
        "incoming/b5.csv",
        "incoming/b4.csv",
        "incoming/b2.csv",
    ]
    assert [s["key"] for s in manifest["skipped"]] == ["incoming/b3.csv"]
    assert "handled incoming/b1.csv" in manifest["window_ended"]
    since, recent = data["candidates"]
    assert (since["strategy"], recent["strategy"]) == ("since_change", "recent")
    assert since["batches"] == ["incoming/b5.csv", "incoming/b4.csv", "incoming/b2.csv"]
    assert "incoming/b1.csv" in recent["batches"]  # the pre-change batch only in the recent window
    assert sum(data["rows"].values()) == 1400
    # the held-out rows are shared and never trained on, by any candidate
    test_rows = set(read_csv(aws.s3, "training/run-1/raw/test-data.csv.gz", header=True)["x1"])
    for candidate in (since, recent):
        trained = read_csv(aws.s3, candidate["raw_training_data"]["key"], header=True)
        assert len(trained) == sum(candidate["rows"].values())
        assert test_rows.isdisjoint(trained["x1"])
    assert len(test_rows) == data["test"]["rows"] == 280


def test_a_feature_drift_trigger_keeps_older_data_because_p_y_given_x_held(aws, to_csv):
    seed_champion(aws.s3)
    put_checked_batch(aws, to_csv, "incoming/b1.csv", make_frame(400, seed=1), wrong=False)
    put_checked_batch(aws, to_csv, "incoming/b2.csv", make_frame(600, seed=2), wrong=False)
    drift_event = event("incoming/b2.csv")
    drift_event["trigger"]["kind"] = "features"
    data = prepare_training_data(aws.s3, settings(), drift_event)
    manifest = manifest_of(aws, data)
    assert manifest["window_strategy"] == "recent"
    assert [b["key"] for b in manifest["batches"]] == ["incoming/b2.csv", "incoming/b1.csv"]


def test_after_a_full_recovery_an_older_change_stays_out(aws, to_csv):
    """Batches an earlier model got wrong belong to an earlier change once the champion recovered."""
    profile = seed_champion(aws.s3)
    profile.metadata["model_name"] = "champion-2"
    aws.s3.put_object(Bucket=BUCKET, Key="baseline/current/profile.json", Body=profile.to_json_bytes())
    put_checked_batch(aws, to_csv, "incoming/b1.csv", make_frame(400, seed=1), wrong=True, model="champion-1")
    put_checked_batch(aws, to_csv, "incoming/b2.csv", make_frame(600, seed=2), wrong=True, model="champion-2")
    data = prepare_training_data(aws.s3, settings(), event("incoming/b2.csv"))
    manifest = manifest_of(aws, data)
    assert [b["key"] for b in manifest["batches"]] == ["incoming/b2.csv"]
    assert "before champion-2 recovered" in manifest["window_ended"]


def test_after_a_partial_recovery_the_follow_up_learns_from_all_post_change_rows(aws, to_csv):
    profile = seed_champion(aws.s3)
    profile.metadata["model_name"] = "champion-2"
    profile.holdout = HoldoutPerformance(task="binary", rows=200, errors=40)  # 0.20
    profile.reference = HoldoutPerformance(task="binary", rows=1000, errors=50)  # 0.05: partial recovery
    aws.s3.put_object(Bucket=BUCKET, Key="baseline/current/profile.json", Body=profile.to_json_bytes())
    put_checked_batch(
        aws, to_csv, "incoming/b0.csv", make_frame(400, seed=9), wrong=False, model="champion-1"
    )
    put_checked_batch(aws, to_csv, "incoming/b1.csv", make_frame(400, seed=1), wrong=True, model="champion-1")
    put_checked_batch(aws, to_csv, "incoming/b2.csv", make_frame(600, seed=2), wrong=True, model="champion-2")
    data = prepare_training_data(aws.s3, settings(), event("incoming/b2.csv"))
    manifest = manifest_of(aws, data)
    assert [b["key"] for b in manifest["batches"]] == ["incoming/b2.csv", "incoming/b1.csv"]


def store_earlier_models(aws, champion) -> None:
    """Profiles of two models promoted before the champion, as PromoteModel writes them."""
    champion.metadata["model_name"] = "drift-xgb-now"
    aws.s3.put_object(Bucket=BUCKET, Key="baseline/current/profile.json", Body=champion.to_json_bytes())
    for name, promoted in (("drift-xgb-old", "2026-01-01"), ("drift-xgb-older", "2025-01-01")):
        earlier = build_profile(make_frame(300, seed=8), champion.schema)
        earlier.metadata.update(
            {
                "model_name": name,
                "model_artifacts": f"s3://{BUCKET}/models/{name}/artifacts/model.tar.gz",
                "training_data": {"bucket": BUCKET, "key": f"models/{name}/training-data.csv.gz"},
                "training_job": f"{name}-train-1",
                "promoted_at": promoted,
            }
        )
        aws.s3.put_object(Bucket=BUCKET, Key=f"models/{name}/profile.json", Body=earlier.to_json_bytes())
    aws.s3.put_object(Bucket=BUCKET, Key="models/drift-xgb-now/profile.json", Body=champion.to_json_bytes())


def test_earlier_models_join_as_free_candidates_scored_on_the_same_rows(aws, to_csv):
    """A recurring concept: an earlier model is re-scored without training (its own vocabulary)."""
    champion = seed_champion(aws.s3)
    store_earlier_models(aws, champion)
    put_checked_batch(aws, to_csv, "incoming/b1.csv", make_frame(600, seed=1), wrong=True)

    data = prepare_training_data(
        aws.s3,
        settings(candidates=("since_change", "registry"), registry_candidates=1),
        event("incoming/b1.csv"),
    )

    trained, registry = data["candidates"]
    assert trained["strategy"] == "since_change" and registry["strategy"] == "registry"
    assert (
        registry["train"] is False and registry["source_model"] == "drift-xgb-old"
    )  # newest, not the champion
    assert registry["model_data_url"] == f"s3://{BUCKET}/models/drift-xgb-old/artifacts/model.tar.gz"
    assert registry["source_training_job"] == "drift-xgb-old-train-1"
    assert registry["candidate_profile"] == {"bucket": BUCKET, "key": "models/drift-xgb-old/profile.json"}
    assert registry["names"]["model"] == data["names"]["base"] + "-c2"
    scored = read_csv(aws.s3, "training/run-1/test/candidate-2/test.csv")
    assert len(scored) == data["test"]["rows"]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("performance", ["since_change", "newest", "registry"]),
        ("features", ["recent", "newest", "registry"]),  # P(y|x) held: older rows stay useful
    ],
)
def test_the_strategies_follow_the_evidence(kind, expected):
    from drift_retrain.workflow.candidates import plan_strategies

    assert (
        plan_strategies(("since_change", "newest", "registry"), trigger_kind=kind, bootstrap=False)
        == expected
    )
    assert plan_strategies(("registry",), trigger_kind=kind, bootstrap=False)[0] == "recent"
    assert plan_strategies(("since_change",), trigger_kind=kind, bootstrap=True) == ["bootstrap"]


def test_a_model_trained_after_a_change_bounds_the_next_since_change_window(aws, to_csv):
    """Gradual drift: once a model trained on the newest rows serves, the early (mostly old-concept)
    batches of the transition stay out of the next window."""
    profile = seed_champion(aws.s3)
    profile.metadata.update(
        {"model_name": "champion-2", "window_strategy": "newest", "training_batches": ["incoming/b2.csv"]}
    )
    profile.holdout = HoldoutPerformance(task="binary", rows=200, errors=40)
    profile.reference = HoldoutPerformance(task="binary", rows=1000, errors=50)  # partial: the walk goes on
    aws.s3.put_object(Bucket=BUCKET, Key="baseline/current/profile.json", Body=profile.to_json_bytes())
    put_checked_batch(aws, to_csv, "incoming/b1.csv", make_frame(400, seed=1), wrong=True, model="champion-1")
    put_checked_batch(aws, to_csv, "incoming/b2.csv", make_frame(400, seed=2), wrong=True, model="champion-1")
    put_checked_batch(aws, to_csv, "incoming/b3.csv", make_frame(600, seed=3), wrong=True, model="champion-2")
    data = prepare_training_data(aws.s3, settings(candidates=("since_change",)), event("incoming/b3.csv"))
    manifest = manifest_of(aws, data)
    assert [b["key"] for b in manifest["batches"]] == ["incoming/b3.csv", "incoming/b2.csv"]
    assert manifest["window_ended"] == "incoming/b1.csv is older than the serving model's own training window"


def test_a_batch_too_small_to_train_on_still_judges_the_earlier_models(aws, to_csv):
    champion = seed_champion(aws.s3)
    put_checked_batch(aws, to_csv, "incoming/small.csv", make_frame(100, seed=1), wrong=True)
    with pytest.raises(NotEnoughTrainingDataError, match="no candidate to train or re-score"):
        prepare_training_data(aws.s3, settings(), event("incoming/small.csv"))
    store_earlier_models(aws, champion)
    data = prepare_training_data(aws.s3, settings(), event("incoming/small.csv"))
    assert [c["strategy"] for c in data["candidates"]] == ["registry", "registry"]
    assert data["test"]["rows"] == 20 and data["window_strategy"] == "registry"
