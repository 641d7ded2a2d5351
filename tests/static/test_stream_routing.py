"""Data streams in the template: incoming-stream/ objects go to MonitorCapture and never to DetectDrift,
whose rule fires on the batch MonitorCapture writes for a window; MonitorCapture reads the stream's
objects and writes nothing under incoming/ but the windows' batches."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import resolve
from .test_iam_actions import _as_list, statements


def _key_filters(template: dict[str, Any], function: str, event: str) -> list[dict[str, str]]:
    pattern = template["Resources"][function]["Properties"]["Events"][event]["Properties"]["Pattern"]
    return pattern["detail"]["object"]["key"]


def _matches(filters: list[dict[str, str]], key: str) -> bool:
    return any(key.startswith(f["prefix"]) for f in filters)


@pytest.mark.parametrize(
    ("key", "monitor", "detect"),
    [
        ("incoming-stream/clicks/2026/12/05/09/firehose-1", True, False),
        ("incoming/stream-clicks/w000001.csv", False, True),
        ("capture/ep/AllTraffic/2026/12/05/09/a.jsonl", True, False),
        ("incoming/batch.csv", False, True),
    ],
)
def test_stream_objects_go_to_monitor_capture_and_their_windows_to_detect_drift(
    template, key, monitor, detect
):
    assert _matches(_key_filters(template, "MonitorCaptureFunction", "CaptureArrived"), key) is monitor
    assert _matches(_key_filters(template, "DetectDriftFunction", "BatchArrived"), key) is detect


def _resources(template: dict[str, Any], action: str) -> set[str]:
    bucket = resolve({"Fn::GetAtt": ["DataBucket", "Arn"]}, template)
    found = set()
    for owner, statement in statements(template):
        if owner == "MonitorCaptureFunction" and action in _as_list(statement["Action"]):
            found |= {
                resolve(r, template).removeprefix(bucket + "/") for r in _as_list(statement["Resource"])
            }
    return found


def test_monitor_capture_reads_the_streams_and_writes_only_window_batches_under_incoming(template):
    assert "incoming-stream/*" in _resources(template, "s3:GetObject")
    assert not any(r.startswith("incoming/") for r in _resources(template, "s3:GetObject"))
    assert {r for r in _resources(template, "s3:PutObject") if r.startswith("incoming")} == {
        "incoming/stream-*"
    }
