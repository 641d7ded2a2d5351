"""A Parquet partition on the real state machines: parts uploaded as ``drift-retrain local run --batch DIR/``
does, then ``_SUCCESS`` (or a ``_manifest.json``): checked on the partition check's Distributed Map (one
child per part), one drift report, and on a concept change one retrain that heals; a part whose child
keeps failing fails the batch with a reason naming it, nothing lost, people notified (its own
bootstrapped cloud, so the other modules' batches stay out)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import fastparquet
import numpy as np
import pytest
from workflow_support import Harness, batch_csv, bootstrapped_cloud

from drift_retrain_local.demos.data import LABEL, features, labelled, rule_b

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


def partition_checks(harness: Harness) -> list[dict]:
    """The partition check's executions, oldest first, each with its status."""
    sfn = harness.cloud.client("stepfunctions")
    arn = harness.cloud.stack.state_machines["CheckPartitionStateMachine"]
    return sorted(sfn.list_executions(stateMachineArn=arn)["executions"], key=lambda e: e["startDate"])


def marker_response(harness: Harness, key: str) -> dict:
    """DetectDrift's own response to the marker's event (the entry holds the reduce step's)."""
    return harness.cloud.events.deliveries_for(key)[-1].result(timeout=1).json()


def served_error(harness: Harness, entry: dict) -> float:
    concept = harness.read_json(entry["detect"]["report_key"])["concept_drift"]
    assert concept["tested"], concept
    return float(concept["error"])


def test_a_parquet_partition_is_one_batch_and_its_retrain_heals(harness: Harness, tmp_path: Path) -> None:
    before = harness.upload("before-1.csv", batch_csv("stable", seed=40, rows=ROWS))
    assert before["outcome"] == "no_drift"
    pre_change = served_error(harness, before)

    change = harness.runner.partition(concept_partition(tmp_path / "after-1", seed=50), 1, 2)
    assert change["key"] == "incoming/after-1/_SUCCESS"
    assert change["outcome"] == "promoted", change
    # the marker's event started the Distributed Map instead of reading the parts itself
    assert marker_response(harness, change["key"])["status"] == "partition_check_started"
    assert [e["status"] for e in partition_checks(harness)] == ["SUCCEEDED"]
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
    assert [e["status"] for e in partition_checks(harness)] == ["SUCCEEDED", "SUCCEEDED"]


def test_a_manifest_partition_is_checked_on_the_map_without_the_part_it_does_not_list(
    harness: Harness, tmp_path: Path
) -> None:
    folder = concept_partition(tmp_path / "listed", seed=52)
    s3, prefix = harness.s3, "incoming/listed/"
    parts = sorted(folder.iterdir())
    for path in parts:
        s3.put_object(Bucket=harness.bucket, Key=prefix + path.name, Body=path.read_bytes())
    harness.cloud.events.wait(timeout=60)
    listed = [{"key": p.name, "size": p.stat().st_size} for p in parts[:2]]  # the third is left out
    entry = harness.upload("listed/_manifest.json", json.dumps({"parts": listed}).encode())

    assert marker_response(harness, entry["key"])["status"] == "partition_check_started"
    report = harness.read_json(entry["detect"]["report_key"])
    assert [p["key"] for p in report["sampling"]["parts"]] == [prefix + p.name for p in parts[:2]]
    assert report["rows"] == sum(p["rows"] for p in report["sampling"]["parts"]) < ROWS
    unlisted = harness.read_json(f"quarantine/records/{prefix}{parts[2].name}.json")
    assert unlisted["code"] == "part_not_in_manifest"


def test_a_part_whose_child_keeps_failing_fails_the_batch_naming_it_and_nothing_is_lost(
    harness: Harness, tmp_path: Path
) -> None:
    checks_before = len(partition_checks(harness))
    failing = harness.cloud.failures.fail_lambda("SummarisePartFunction")
    try:
        entry = harness.runner.partition(concept_partition(tmp_path / "broken", seed=53), 1, 1)
    finally:
        harness.cloud.failures.clear()
    assert failing.fired >= 2 * PARTS  # every child was retried before it counted as failed
    assert entry["outcome"] == "quarantined", entry
    checks = partition_checks(harness)
    assert len(checks) == checks_before + 1 and checks[-1]["status"] == "FAILED"
    failure = harness.cloud.client("stepfunctions").describe_execution(
        executionArn=checks[-1]["executionArn"]
    )
    assert failure["error"] == "PartitionCheckFailed"
    assert "part 'incoming/broken/part-00000.snappy.parquet' could not be checked" in failure["cause"]
    assert "Traceback" not in failure["cause"] and "InjectedLambdaFault" in failure["cause"]
    record = harness.read_json(entry["detect"]["quarantine_record_key"])
    assert record["code"] == "part_check_failed" and "part-00000.snappy.parquet" in record["reason"]
    assert harness.read_json(entry["detect"]["report_key"])["status"] == "invalid"
    for i in range(PARTS):  # the parts stay where they were written: upload the marker again to retry
        assert harness.exists(f"incoming/broken/part-{i:05d}.snappy.parquet")
    told = (
        harness.runner.notifications.messages[-len(entry["notifications"]) :]
        if entry["notifications"]
        else []
    )
    assert any(
        "incoming/broken/_SUCCESS" in m["message"] and "part-00000.snappy.parquet" in m["message"]
        for m in told
    ), told
    assert entry["execution"] is None  # no retrain on a batch that was not checked


def test_parts_that_disagree_fail_the_batch_on_the_map_as_in_one_lambda(
    harness: Harness, tmp_path: Path
) -> None:
    """The reason code DetectDrift gives reading the parts itself (tests/functional: the same partition
    shape), here from the reduce step: the part and the column named, nothing lost, people told."""
    folder = concept_partition(tmp_path / "mixed", seed=54)
    odd = folder / "part-00001.snappy.parquet"
    fastparquet.write(str(odd), fastparquet.ParquetFile(str(odd)).to_pandas().drop(columns=[LABEL]))
    entry = harness.runner.partition(folder, 1, 1)

    assert marker_response(harness, entry["key"])["status"] == "partition_check_started"
    assert entry["outcome"] == "quarantined" and entry["execution"] is None, entry
    assert partition_checks(harness)[-1]["status"] == "FAILED"
    record = harness.read_json(entry["detect"]["quarantine_record_key"])
    assert record["code"] == "partition_schema_mismatch", record
    assert "part-00001.snappy.parquet" in record["reason"] and LABEL in record["reason"]
    assert harness.read_json(entry["detect"]["report_key"])["error_code"] == "partition_schema_mismatch"
    for i in range(PARTS):
        assert harness.exists(f"incoming/mixed/part-{i:05d}.snappy.parquet")
    told = harness.runner.notifications.messages[-len(entry["notifications"]) :]
    assert any("part-00001.snappy.parquet" in m["message"] for m in told), told
