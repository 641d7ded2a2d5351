"""Live traffic through the endpoint the workflow deployed (``local run --traffic``): the requests carry no
label and each its InferenceId, Data Capture writes them as AWS does, the labels arrive as AWS ground truth
``label_delay`` windows later keyed on those ids, and the served error counted from the endpoint's answers."""

from __future__ import annotations

import io
import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from support.paths import EVENTS
from workflow_support import TIMEOUT, Harness, batch_csv

from drift_retrain_local.demos.data import LABEL
from drift_retrain_local.run.traffic import TrafficDriver

NOTIFY_SAMPLE = EVENTS / "notify.json"
ROWS, PER_REQUEST, CAPTURE_ROWS, WINDOW_ROWS = 45, 7, 15, 30
LABELLED_AT = datetime(2026, 12, 6, 14, 30, tzinfo=UTC)


def _jsonl(harness: Harness, prefix: str) -> dict[str, list[dict[str, Any]]]:
    listed = harness.s3.list_objects_v2(Bucket=harness.bucket, Prefix=prefix).get("Contents", [])
    return {
        item["Key"]: [
            json.loads(line)
            for line in harness.s3.get_object(Bucket=harness.bucket, Key=item["Key"])["Body"]
            .read()
            .decode()
            .splitlines()
        ]
        for item in listed
    }


def _schedule_rule(harness: Harness) -> None:
    """A scheduled rule with a Lambda target, as the monitor's would be (Notify, on its sample event)."""
    events = harness.cloud.client("events")
    events.put_rule(Name="traffic-tick", ScheduleExpression="rate(1 hour)", State="ENABLED")
    notify = harness.cloud.stack.function("NotifyFunction").arn
    events.put_targets(
        Rule="traffic-tick", Targets=[{"Id": "n", "Arn": notify, "Input": NOTIFY_SAMPLE.read_text()}]
    )


def test_traffic_is_captured_and_its_labels_arrive_one_window_later(harness: Harness, tmp_path: Path) -> None:
    _schedule_rule(harness)
    files = []
    for index, seed in enumerate((31, 32), 1):
        path = tmp_path / f"traffic-{index}.csv"
        path.write_bytes(batch_csv("stable", seed, rows=ROWS))
        files.append(path)
    lines: list[str] = []
    driver = TrafficDriver(
        harness.cloud,
        lines.append,
        TIMEOUT,
        label_delay=1,
        rows_per_request=PER_REQUEST,
        capture_rows=CAPTURE_ROWS,
        window_rows=WINDOW_ROWS,
        clock=lambda: LABELLED_AT,
    )

    first = driver.send(files[0], 1, 2)
    requests = 3 * math.ceil(CAPTURE_ROWS / PER_REQUEST)  # a capture file's rows are never split
    assert (first["requests"], first["rows"]) == (requests, ROWS)
    captured = _jsonl(harness, f"capture/{harness.endpoint}/")
    assert set(first["capture_objects"]) == set(captured) and len(captured) == 3  # one per 15 rows
    records = sorted(
        (r for found in captured.values() for r in found), key=lambda r: r["eventMetadata"]["inferenceId"]
    )
    assert [r["eventMetadata"]["inferenceId"] for r in records] == [
        f"traffic-1-{n:06d}" for n in range(requests)
    ]
    features = len(pd.read_csv(files[0]).columns) - 1
    for record in records:  # the features only, as the built-in algorithm reads them: no label, no header
        body = record["captureData"]["endpointInput"]
        assert (body["encoding"], body["observedContentType"]) == ("CSV", "text/csv")
        assert {len(row.split(",")) for row in body["data"].splitlines()} == {features}
        assert record["captureData"]["endpointOutput"]["encoding"] == "CSV"
    assert sorted(len(r["captureData"]["endpointInput"]["data"].splitlines()) for r in records) == sorted(
        [7, 7, 1] * 3
    )
    # One window (30 rows) later: the first capture file's labels (rows 0-14) are due after row 45.
    [(key, truth)] = _jsonl(harness, "ground-truth/").items()
    assert first["labels_uploaded"] == [key] == ["ground-truth/2026/12/06/14/traffic-1-000-labels.jsonl"]
    assert [t["eventMetadata"]["eventId"] for t in truth] == [f"traffic-1-{n:06d}" for n in range(3)]
    assert {(t["eventVersion"], t["groundTruthData"]["encoding"]) for t in truth} == {("0", "CSV")}
    labels = [label for t in truth for label in t["groundTruthData"]["data"].split("\n")]
    expected = pd.read_csv(io.BytesIO(files[0].read_bytes()))[LABEL]
    assert labels == [str(int(v)) for v in expected[:CAPTURE_ROWS]]
    # The served error is the endpoint's own answers against the labels: recount it from the capture.
    wrong = 0
    for record, request in zip(records, range(requests), strict=True):
        answers = record["captureData"]["endpointOutput"]["data"].splitlines()
        rows = expected[request // 3 * CAPTURE_ROWS + request % 3 * PER_REQUEST :][: len(answers)]
        wrong += sum((float(a) >= 0.5) != bool(v) for a, v in zip(answers, rows, strict=True))
    assert first["served_error"] == wrong / ROWS
    assert "[1/2] traffic-1.csv" in lines[0] and f"{requests} requests (45 rows" in lines[1]
    assert "served error" in lines[1]

    second = driver.send(files[1], 2, 2)
    assert len(second["labels_uploaded"]) == 3  # traffic-1's last two capture files, traffic-2's first
    late = driver.finish()
    assert [u["file"] for u in late] == ["traffic-2-001", "traffic-2-002"]
    assert len(_jsonl(harness, "ground-truth/")) == 6
