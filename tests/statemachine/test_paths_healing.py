"""Does a retrain heal? An abrupt concept change on the real state machine: the promoted model learns the
new concept from post-change rows only, serves the next changed batches at about the pre-change error,
and no further retrain starts (a second bootstrapped cloud, so the other modules' batches stay out)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from workflow_support import Harness, batch_csv, bootstrapped_cloud

#: Batches after the change are bigger than the other modules' so the held-out error is measured well.
ROWS = 1_000


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with bootstrapped_cloud(train_seed=21) as running:
        yield running


def served_error(harness: Harness, entry: dict) -> float:
    """The serving model's error on the batch when it landed, before its labels were used."""
    concept = harness.read_json(entry["detect"]["report_key"])["concept_drift"]
    assert concept["tested"], concept
    return float(concept["error"])


def test_after_an_abrupt_change_the_promoted_model_is_accurate_again(harness: Harness) -> None:
    before = [
        harness.upload(f"before-{i}.csv", batch_csv("stable", seed=40 + i, rows=ROWS)) for i in range(2)
    ]
    assert [e["outcome"] for e in before] == ["no_drift", "no_drift"]
    pre_change = max(served_error(harness, e) for e in before)

    change = harness.upload("after-1.csv", batch_csv("concept", seed=50, rows=ROWS))
    assert change["outcome"] == "promoted", change
    assert served_error(harness, change) > 0.3  # the stale model on the new concept
    manifest = harness.manifest(change["execution"]["name"])
    assert manifest["window_strategy"] == "since_change"
    assert [b["key"] for b in manifest["batches"]] == ["incoming/after-1.csv"]  # no pre-change rows
    assert "handled incoming/before-1.csv" in manifest["window_ended"]

    later = [harness.upload(f"after-{i}.csv", batch_csv("concept", seed=50 + i, rows=ROWS)) for i in (2, 3)]
    for entry in later:
        # No retrain. A feature alert is allowed: the feature tests fire on alpha (5%) of same-world
        # batches by design, and the new profile was built from one batch's rows.
        assert entry["execution"] is None, entry
        assert entry["outcome"] in {"no_drift", "drift_alert"}, entry
        assert not entry["concept_drift"], entry
        assert served_error(harness, entry) <= pre_change + 0.05
    executions = harness.cloud.client("stepfunctions").list_executions(
        stateMachineArn=harness.cloud.stack.state_machine_arn
    )["executions"]
    assert len(executions) == 2  # the bootstrap and the one retrain: the healed model is left alone


def test_when_the_old_world_returns_its_old_model_comes_back_from_the_registry(harness: Harness) -> None:
    """A recurring concept: the first model (rule A) is re-scored without training. The batch that shows
    the old world is back is too small to train on (230 rows: 46 held out, 184 left, under
    min_training_rows 200), so the registry is the only way back, at the cost of one transform."""
    entry = harness.upload("back-1.csv", batch_csv("stable", seed=60, rows=230))
    assert entry["concept_drift"] is True and entry["outcome"] == "promoted", entry
    evaluation = entry["evaluation"]
    assert [s for s, _ in evaluation["candidates"]] == ["registry"], evaluation
    assert evaluation["winner"] == "registry" and evaluation["candidate"] < evaluation["champion"]
    manifest = harness.manifest(entry["execution"]["name"])
    assert {d["strategy"] for d in manifest["dropped_candidates"]} == {"since_change", "newest"}
    assert [b["key"] for b in manifest["batches"]] == ["incoming/back-1.csv"]
    path = entry["execution"]["path"]
    assert "Train candidate model" not in path  # the earlier model is only scored
    report = harness.read_json(f"reports/evaluation/{entry['execution']['name']}.json")
    assert report["best"]["source_model"] == harness.bootstrap["evaluation"].get(
        "model", report["best"]["source_model"]
    )
    profile = harness.read_json("baseline/current/profile.json")
    assert profile["metadata"]["model_name"] == report["best"]["model_name"]
