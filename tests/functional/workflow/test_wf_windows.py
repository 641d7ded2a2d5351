"""PrepareTrainingData's windows against moto S3: since_change trains on the batches the serving model
got wrong, a feature-drift trigger keeps older data, recoveries bound the window, and earlier models
join as free candidates."""

from __future__ import annotations

import json

import pytest
from prepare_support import event, read_csv, seed_champion, settings
from wf_helpers import BUCKET, make_frame

from drift_retrain.aws.naming import batch_id_for
from drift_retrain.engine.performance import HoldoutPerformance
from drift_retrain.engine.profile import build_profile
from drift_retrain.workflow.prepare_training_data.preparation import prepare_training_data
from drift_retrain.workflow.shared.exceptions import (
    NotEnoughTrainingDataError,
)


# --- the since_change window ----------------------------------------------------------------------------
def put_checked_batch(
    clients, to_csv, key: str, frame, *, wrong: bool | None, model: str = "champion-1"
) -> None:
    """Upload a batch and the drift report DetectDrift would have written for it."""
    put = clients.s3.put_object(Bucket=BUCKET, Key=key, Body=to_csv(frame))
    concept = (
        {"tested": False, "reason": "the batch has no labelled rows"}
        if wrong is None
        else {"tested": True, "metric": "error_rate", "error": 0.5 if wrong else 0.05, "detected": wrong}
    )
    report = {"status": "ok", "profile": {"model_name": model}, "concept_drift": concept}
    batch_id = batch_id_for(key, put.get("VersionId"), put["ETag"])
    clients.s3.put_object(
        Bucket=BUCKET, Key=f"reports/drift/{batch_id}.json", Body=json.dumps(report).encode()
    )


def manifest_of(clients, data) -> dict:
    return json.loads(clients.s3.get_object(Bucket=BUCKET, Key=data["manifest"]["key"])["Body"].read())


def test_since_change_trains_on_the_batches_the_serving_model_got_wrong_only(clients, to_csv):
    """Pre-change rows stay out: a model fitted on a mix of both concepts learns neither."""
    profile = seed_champion(clients.s3)
    profile.metadata["model_name"] = "champion-1"
    clients.s3.put_object(Bucket=BUCKET, Key="baseline/current/profile.json", Body=profile.to_json_bytes())
    put_checked_batch(clients, to_csv, "incoming/b1.csv", make_frame(400, seed=1), wrong=False)
    put_checked_batch(clients, to_csv, "incoming/b2.csv", make_frame(400, seed=2, concept=1), wrong=True)
    put_checked_batch(clients, to_csv, "incoming/b3.csv", make_frame(300, seed=3, labelled=False), wrong=None)
    put_checked_batch(clients, to_csv, "incoming/b4.csv", make_frame(400, seed=4, concept=1), wrong=True)
    put_checked_batch(clients, to_csv, "incoming/b5.csv", make_frame(600, seed=5, concept=1), wrong=True)

    data = prepare_training_data(
        clients.s3, settings(candidates=("since_change", "recent", "registry")), event("incoming/b5.csv")
    )

    manifest = manifest_of(clients, data)
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
    # (whole rows compared: two different rows may share one rounded feature value by chance)
    held_out = read_csv(clients.s3, "training/run-1/raw/test-data.csv.gz", header=True)
    test_rows = set(held_out.itertuples(index=False, name=None))
    for candidate in (since, recent):
        trained = read_csv(clients.s3, candidate["raw_training_data"]["key"], header=True)[held_out.columns]
        assert len(trained) == sum(candidate["rows"].values())
        assert test_rows.isdisjoint(trained.itertuples(index=False, name=None))
    assert len(test_rows) == data["test"]["rows"] == 280


def test_a_feature_drift_trigger_keeps_older_data_because_p_y_given_x_held(clients, to_csv):
    seed_champion(clients.s3)
    put_checked_batch(clients, to_csv, "incoming/b1.csv", make_frame(400, seed=1), wrong=False)
    put_checked_batch(clients, to_csv, "incoming/b2.csv", make_frame(600, seed=2), wrong=False)
    drift_event = event("incoming/b2.csv")
    drift_event["trigger"]["kind"] = "features"
    data = prepare_training_data(clients.s3, settings(), drift_event)
    manifest = manifest_of(clients, data)
    assert manifest["window_strategy"] == "recent"
    assert [b["key"] for b in manifest["batches"]] == ["incoming/b2.csv", "incoming/b1.csv"]


def test_after_a_full_recovery_an_older_change_stays_out(clients, to_csv):
    """Batches an earlier model got wrong belong to an earlier change once the champion recovered."""
    profile = seed_champion(clients.s3)
    profile.metadata["model_name"] = "champion-2"
    clients.s3.put_object(Bucket=BUCKET, Key="baseline/current/profile.json", Body=profile.to_json_bytes())
    put_checked_batch(
        clients, to_csv, "incoming/b1.csv", make_frame(400, seed=1), wrong=True, model="champion-1"
    )
    put_checked_batch(
        clients, to_csv, "incoming/b2.csv", make_frame(600, seed=2), wrong=True, model="champion-2"
    )
    data = prepare_training_data(clients.s3, settings(), event("incoming/b2.csv"))
    manifest = manifest_of(clients, data)
    assert [b["key"] for b in manifest["batches"]] == ["incoming/b2.csv"]
    assert "before champion-2 recovered" in manifest["window_ended"]


def test_after_a_partial_recovery_the_follow_up_learns_from_all_post_change_rows(clients, to_csv):
    profile = seed_champion(clients.s3)
    profile.metadata["model_name"] = "champion-2"
    profile.holdout = HoldoutPerformance(task="binary", rows=200, errors=40)  # 0.20
    profile.reference = HoldoutPerformance(task="binary", rows=1000, errors=50)  # 0.05: partial recovery
    clients.s3.put_object(Bucket=BUCKET, Key="baseline/current/profile.json", Body=profile.to_json_bytes())
    put_checked_batch(
        clients, to_csv, "incoming/b0.csv", make_frame(400, seed=9), wrong=False, model="champion-1"
    )
    put_checked_batch(
        clients, to_csv, "incoming/b1.csv", make_frame(400, seed=1), wrong=True, model="champion-1"
    )
    put_checked_batch(
        clients, to_csv, "incoming/b2.csv", make_frame(600, seed=2), wrong=True, model="champion-2"
    )
    data = prepare_training_data(clients.s3, settings(), event("incoming/b2.csv"))
    manifest = manifest_of(clients, data)
    assert [b["key"] for b in manifest["batches"]] == ["incoming/b2.csv", "incoming/b1.csv"]


def store_earlier_models(clients, champion) -> None:
    """Profiles of two models promoted before the champion, as PromoteModel writes them."""
    champion.metadata["model_name"] = "drift-xgb-now"
    clients.s3.put_object(Bucket=BUCKET, Key="baseline/current/profile.json", Body=champion.to_json_bytes())
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
        clients.s3.put_object(Bucket=BUCKET, Key=f"models/{name}/profile.json", Body=earlier.to_json_bytes())
    clients.s3.put_object(
        Bucket=BUCKET, Key="models/drift-xgb-now/profile.json", Body=champion.to_json_bytes()
    )


def test_earlier_models_join_as_free_candidates_scored_on_the_same_rows(clients, to_csv):
    """A recurring concept: an earlier model is re-scored without training (its own vocabulary)."""
    champion = seed_champion(clients.s3)
    store_earlier_models(clients, champion)
    put_checked_batch(clients, to_csv, "incoming/b1.csv", make_frame(600, seed=1), wrong=True)

    data = prepare_training_data(
        clients.s3,
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
    scored = read_csv(clients.s3, "training/run-1/test/candidate-2/test.csv")
    assert len(scored) == data["test"]["rows"]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("performance", ["since_change", "newest", "registry"]),
        ("features", ["recent", "newest", "registry"]),  # P(y|x) held: older rows stay useful
    ],
)
def test_the_strategies_follow_the_evidence(kind, expected):
    from drift_retrain.workflow.prepare_training_data.candidates import plan_strategies

    assert (
        plan_strategies(("since_change", "newest", "registry"), trigger_kind=kind, bootstrap=False)
        == expected
    )
    assert plan_strategies(("registry",), trigger_kind=kind, bootstrap=False)[0] == "recent"
    assert plan_strategies(("since_change",), trigger_kind=kind, bootstrap=True) == [
        "bootstrap",
        "bootstrap_newest_half",
        "bootstrap_newest_quarter",
    ]


def test_a_refresh_trains_the_since_change_window_alone():
    """One question, one job, the paired test at the whole alpha; without since_change configured the
    configured strategies run as for any retrain."""
    from drift_retrain.workflow.prepare_training_data.candidates import plan_strategies

    assert plan_strategies(
        ("since_change", "newest", "registry"), trigger_kind="refresh", bootstrap=False
    ) == ["since_change"]
    assert plan_strategies(("recent", "registry"), trigger_kind="refresh", bootstrap=False) == [
        "recent",
        "registry",
    ]


def test_a_challenger_trains_the_newest_batch_alone_and_costs_one_job_per_algorithm():
    """The cheapest candidate, whatever is configured; DetectDrift counts its jobs from the same plan."""
    from drift_retrain.workflow.shared.strategies import plan_strategies, training_jobs

    for configured in (("since_change", "newest", "registry"), ("recent",)):
        assert plan_strategies(configured, trigger_kind="challenger", bootstrap=False) == ["newest"]
    assert training_jobs(("since_change", "recent"), "challenger", algorithms=2) == 2
    assert training_jobs(("since_change", "newest", "registry"), "performance", algorithms=1) == 2


def test_a_probes_challenger_is_linear_and_the_serving_family_is_refreshed_on_the_first_window():
    """The probe (a linear model) beat the champion: its challenger is a Linear Learner, one job as any
    challenger. A serving model of an algorithm outside the configured ones (that challenger won) trains
    its own family on the first window of each later retrain, and the budget counts that job."""
    from drift_retrain.workflow.shared.strategies import AlgorithmPlan, plan_algorithms, training_jobs

    xgb, linear = ("xgboost",), ("linear-learner",)
    probe = plan_algorithms(xgb, trigger_kind="challenger", signal="probe", serving="xgboost")
    assert probe == AlgorithmPlan(linear, ())
    for signal in ("trend", "newest", None):
        assert plan_algorithms(xgb, trigger_kind="challenger", signal=signal) == AlgorithmPlan(xgb, xgb)
    assert plan_algorithms(xgb, trigger_kind="performance", serving="linear-learner") == AlgorithmPlan(
        (*xgb, *linear), xgb
    )
    both = ("xgboost", "linear-learner")
    assert plan_algorithms(both, trigger_kind="performance", serving="linear-learner") == AlgorithmPlan(
        both, both
    )
    # the first model trains what is configured, whatever a stale profile says
    assert plan_algorithms(xgb, trigger_kind="bootstrap", serving="linear-learner", bootstrap=True) == (
        AlgorithmPlan(xgb, xgb)
    )
    strategies = ("since_change", "newest", "registry")
    assert training_jobs(strategies, "performance", 1, serving_outside=True) == 3
    assert training_jobs(strategies, "challenger", 1, serving_outside=True) == 2


def test_a_model_trained_after_a_change_bounds_the_next_since_change_window(clients, to_csv):
    """Gradual drift: once a model trained on the newest rows serves, the early (mostly old-concept)
    batches of the transition stay out of the next window."""
    profile = seed_champion(clients.s3)
    profile.metadata.update(
        {"model_name": "champion-2", "window_strategy": "newest", "training_batches": ["incoming/b2.csv"]}
    )
    profile.holdout = HoldoutPerformance(task="binary", rows=200, errors=40)
    profile.reference = HoldoutPerformance(task="binary", rows=1000, errors=50)  # partial: the walk goes on
    clients.s3.put_object(Bucket=BUCKET, Key="baseline/current/profile.json", Body=profile.to_json_bytes())
    put_checked_batch(
        clients, to_csv, "incoming/b1.csv", make_frame(400, seed=1), wrong=True, model="champion-1"
    )
    put_checked_batch(
        clients, to_csv, "incoming/b2.csv", make_frame(400, seed=2), wrong=True, model="champion-1"
    )
    put_checked_batch(
        clients, to_csv, "incoming/b3.csv", make_frame(600, seed=3), wrong=True, model="champion-2"
    )
    data = prepare_training_data(clients.s3, settings(candidates=("since_change",)), event("incoming/b3.csv"))
    manifest = manifest_of(clients, data)
    assert [b["key"] for b in manifest["batches"]] == ["incoming/b3.csv", "incoming/b2.csv"]
    assert manifest["window_ended"] == "incoming/b1.csv is older than the serving model's own training window"


def test_a_batch_too_small_to_train_on_still_judges_the_earlier_models(clients, to_csv):
    champion = seed_champion(clients.s3)
    put_checked_batch(clients, to_csv, "incoming/small.csv", make_frame(100, seed=1), wrong=True)
    with pytest.raises(NotEnoughTrainingDataError, match="no candidate to train or re-score"):
        prepare_training_data(clients.s3, settings(), event("incoming/small.csv"))
    store_earlier_models(clients, champion)
    data = prepare_training_data(clients.s3, settings(), event("incoming/small.csv"))
    assert [c["strategy"] for c in data["candidates"]] == ["registry", "registry"]
    assert data["test"]["rows"] == 20 and data["window_strategy"] == "registry"


def test_a_batch_verdict_gives_the_serving_error_as_a_percentage():
    from drift_retrain.workflow.prepare_training_data.change_window import verdict_from_report

    report = {"status": "ok", "concept_drift": {"tested": True, "metric": "error_rate", "error": 0.046}}
    assert verdict_from_report("incoming/a.csv", report).why == "serving error rate 4.6%"
