"""A Parquet partition on the real state machine: parts uploaded as ``drift-retrain local run --batch DIR/``
does, then ``_SUCCESS``: one drift report, and on a concept change one retrain that heals (its own
bootstrapped cloud, so the other modules' batches stay out)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fastparquet
import numpy as np
import pytest
from workflow_support import Harness, batch_csv, bootstrapped_cloud

from drift_retrain_local.demos.data import features, labelled, rule_b

ROWS = 1_000
PARTS = 3


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with bootstrapped_cloud(train_seed=21) as running:
        yield running


def concept_partition(folder: Path, seed: int) -> Path:
    """``ROWS`` rows of the new concept (rule B) as ``PARTS`` Parquet files in ``folder``."""
    rng = np.random.default_rng(seed)
    frame = labelled(features(ROWS, rng), rule_b, rng)
    folder.mkdir(parents=True)
    for i, part in enumerate(np.array_split(np.arange(ROWS), PARTS)):
        fastparquet.write(
            str(folder / f"part-{i:05d}.snappy.parquet"), frame.iloc[part].reset_index(drop=True)
        )
    return folder


def served_error(harness: Harness, entry: dict) -> float:
    concept = harness.read_json(entry["detect"]["report_key"])["concept_drift"]
    assert concept["tested"], concept
    return float(concept["error_rate"])


def test_a_parquet_partition_is_one_batch_and_its_retrain_heals(harness: Harness, tmp_path: Path) -> None:
    before = harness.upload("before-1.csv", batch_csv("stable", seed=40, rows=ROWS))
    assert before["outcome"] == "no_drift"
    pre_change = served_error(harness, before)

    change = harness.runner.partition(concept_partition(tmp_path / "after-1", seed=50), 1, 2)
    assert change["key"] == "incoming/after-1/_SUCCESS"
    assert change["outcome"] == "promoted", change
    report = harness.read_json(change["detect"]["report_key"])
    assert report["rows"] == ROWS and len(report["sampling"]["parts"]) == PARTS
    assert served_error(harness, change) > 0.3  # the stale model on the new concept
    manifest = harness.manifest(change["execution"]["name"])
    assert [b["key"] for b in manifest["batches"]] == ["incoming/after-1/_SUCCESS"]  # the partition, whole
    part_events = [
        harness.cloud.events.deliveries_for(f"incoming/after-1/part-{i:05d}.snappy.parquet")
        for i in range(PARTS)
    ]
    assert [[d.result(timeout=1).json()["status"] for d in events] for events in part_events] == [
        ["waiting_for_partition"]
    ] * PARTS

    later = harness.runner.partition(concept_partition(tmp_path / "after-2", seed=51), 2, 2)
    assert later["execution"] is None, later
    assert not later["concept_drift"], later
    assert served_error(harness, later) <= pre_change + 0.05
    executions = harness.cloud.client("stepfunctions").list_executions(
        stateMachineArn=harness.cloud.stack.state_machine_arn
    )["executions"]
    assert len(executions) == 2  # the bootstrap and the one retrain
