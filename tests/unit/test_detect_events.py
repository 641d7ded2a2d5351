"""DetectDrift reads both shapes S3 sends (EventBridge "Object Created", classic notification ``Records``)
and names the expected shapes for anything else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drift_retrain.detect.events import EventShapeError, ObjectCreated, objects_created

EVENTS = Path(__file__).resolve().parents[2] / "events"


def notification(key: str, event_name: str = "ObjectCreated:Put", **obj) -> dict:
    """The shape of `sam local generate-event s3 put`."""
    return {
        "Records": [
            {
                "eventVersion": "2.0",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventName": event_name,
                "s3": {"bucket": {"name": "b", "arn": "arn:aws:s3:::b"}, "object": {"key": key, **obj}},
            }
        ]
    }


def test_the_eventbridge_sample_names_its_object_without_a_stale_revision():
    event = json.loads((EVENTS / "detect_drift_object_created.json").read_text())
    [created] = objects_created(event)
    assert created == ObjectCreated(
        bucket="drift-retrain-databucket", key="incoming/batch-2024-05-14.csv", reason="PutObject"
    )


def test_a_classic_notification_is_read_with_its_key_url_decoded():
    event = notification("incoming/May+batch%3D1.csv", size=10, eTag="abc", versionId="v1")
    assert objects_created(event) == [
        ObjectCreated("b", "incoming/May batch=1.csv", "v1", "abc", 10, "ObjectCreated:Put")
    ]


def test_records_that_create_nothing_are_skipped():
    assert objects_created(notification("incoming/a.csv", event_name="ObjectRemoved:Delete")) == []


@pytest.mark.parametrize(
    ("event", "words"),
    [
        ({"hello": 1}, "top-level keys: hello"),
        ([], "expects a JSON object"),
        ({"detail": {"object": {"key": "k"}}}, "no detail.bucket"),
        ({"detail-type": "Object Deleted", "detail": {}}, "'Object Deleted'"),
        ({"Records": [{"eventSource": "aws:sqs"}]}, "'aws:sqs' is not an S3 notification"),
        ({"Records": []}, "non-empty list"),
    ],
)
def test_any_other_shape_is_a_clear_error_naming_the_expected_shapes(event, words):
    with pytest.raises(EventShapeError) as raised:
        objects_created(event)
    assert words in str(raised.value)
    assert '"detail-type": "Object Created"' in str(raised.value)
