"""A CSV over ``single_check_max_bytes`` on the real state machines: DetectDrift starts the partition
check over byte ranges of it, one child per range, and the reduce step's report gives the flags, rows and
statistics of one pass over the same rows (read by DetectDrift itself from the gzipped copy, which cannot
be cut); a CSV with a line break inside a quoted cell is refused as csv_not_splittable, nothing lost (its
own bootstrapped cloud with a small ``single_check_max_bytes``)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator

import pytest
from workflow_support import Harness, batch_csv, bootstrapped_cloud

ROWS = 4_000  # under max_prediction_rows: both paths score every labelled row
MAX_BYTES = 50_000


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with bootstrapped_cloud(train_seed=23, settings={"single_check_max_bytes": MAX_BYTES}) as running:
        yield running


def detect_status(harness: Harness, key: str) -> str:
    """DetectDrift's own answer to the object's event (the entry holds the reduce step's)."""
    return harness.cloud.events.deliveries_for(key)[-1].result(timeout=1).json()["status"]


def range_checks(harness: Harness) -> list[dict]:
    sfn = harness.cloud.client("stepfunctions")
    arn = harness.cloud.stack.state_machines["CheckPartitionStateMachine"]
    return sorted(sfn.list_executions(stateMachineArn=arn)["executions"], key=lambda e: e["startDate"])


def statistics_of(report: dict) -> list[tuple]:
    return [(f["name"], f["statistic"], f["p_value"], f["drifted"]) for f in report["features"]]


def test_a_large_csv_checked_in_byte_ranges_gives_the_flags_of_one_pass(harness: Harness) -> None:
    body = batch_csv("shifted", seed=60, rows=ROWS)
    assert len(body) > 3 * MAX_BYTES and len(gzip.compress(body)) > MAX_BYTES

    ranged = harness.upload("shifted.csv", body)
    once = harness.upload("shifted-once.csv.gz", gzip.compress(body))

    assert detect_status(harness, ranged["key"]) == "partition_check_started"
    assert detect_status(harness, once["key"]) == "checked"  # gzip: read by DetectDrift in one pass
    (check,) = range_checks(harness)
    assert check["status"] == "SUCCEEDED"
    started = harness.cloud.client("stepfunctions").describe_execution(executionArn=check["executionArn"])
    items = harness.read_json(json.loads(started["input"])["items"]["key"])
    assert len(items) == -(-len(body) // MAX_BYTES) and {i["key"] for i in items} == {ranged["key"]}
    a, b = (harness.read_json(e["detect"]["report_key"]) for e in (ranged, once))
    assert a["rows"] == b["rows"] == ROWS and a["labelled_rows"] == b["labelled_rows"]
    assert ranged["drifted_features"] == once["drifted_features"] != []
    assert statistics_of(a) == statistics_of(b)
    assert (ranged["concept_drift"], ranged["outcome"]) == (once["concept_drift"], once["outcome"])
    assert a["concept_drift"]["error"] == b["concept_drift"]["error"]
    assert a["concept_drift"]["metric"] == b["concept_drift"]["metric"] == "error_rate"
    assert a["distributions"] == b["distributions"]
    assert "parts" not in a["sampling"]  # one object, not a partition


def test_a_large_csv_with_a_line_break_in_a_cell_is_refused_and_kept(harness: Harness) -> None:
    lines = batch_csv("stable", seed=61, rows=ROWS).decode().split("\n")
    cells = lines[2000].split(",")
    cells[-1] = f'"{cells[-1]}\nstill the same cell"'
    lines[2000] = ",".join(cells)
    entry = harness.upload("multiline.csv", "\n".join(lines).encode())

    assert detect_status(harness, entry["key"]) == "partition_check_started"
    assert entry["outcome"] == "quarantined" and entry["execution"] is None, entry
    record = harness.read_json(entry["detect"]["quarantine_record_key"])
    assert record["code"] == "csv_not_splittable" and "incoming/multiline.csv" in record["reason"], record
    assert harness.exists("incoming/multiline.csv")


def test_a_new_class_at_the_end_of_a_large_csv_is_set_aside_not_refused(harness: Harness) -> None:
    """Its last ranges hold only the new class: their rows are set aside and reported, as one pass does;
    a large CSV of nothing but new classes is refused as one file would be (kept, with its reason)."""
    header, *rows = batch_csv("stable", seed=62, rows=ROWS).decode().splitlines()
    new = ["9," + row.split(",", 1)[1] for row in rows[ROWS // 2 :]]  # the label comes first; 9 is new
    body = "\n".join([header, *rows[: ROWS // 2], *new]).encode() + b"\n"
    entry = harness.upload("new-class-at-the-end.csv", body)

    assert detect_status(harness, entry["key"]) == "partition_check_started"
    assert entry["outcome"] != "quarantined", entry
    report = harness.read_json(entry["detect"]["report_key"])
    assert report["rows"] == ROWS // 2 and report["set_aside"]["unknown_class"]["rows"] == len(new)
    assert any(a["code"] == "label_classes_changed" for a in report["input_alerts"])

    only_new = harness.upload("only-new-classes.csv", "\n".join([header, *new]).encode() + b"\n")
    assert only_new["outcome"] == "quarantined", only_new
    assert harness.read_json(only_new["detect"]["quarantine_record_key"])["code"] == "unknown_class"
