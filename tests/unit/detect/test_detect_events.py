"""DetectDrift reads both shapes S3 sends (EventBridge "Object Created", classic notification ``Records``)
and names the expected shapes for anything else."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.utilities.data_classes import S3EventBridgeNotificationEvent
from support.paths import EVENTS

from drift_retrain.detect.events import (
    EventShapeError,
    ObjectCreated,
    for_each_object_created,
    is_scheduled_event,
    objects_created,
)


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


def test_the_handlers_data_class_reads_as_its_event_with_the_key_as_sent():
    event = json.loads((EVENTS / "detect_drift_object_created.json").read_text())
    event["detail"]["object"]["key"] = "incoming/May+batch%3D1.csv"
    [created] = objects_created(S3EventBridgeNotificationEvent(event))
    assert created.key == "incoming/May+batch%3D1.csv"
    with pytest.raises(EventShapeError, match="expects a JSON object"):
        objects_created(S3EventBridgeNotificationEvent([]))


def test_only_a_schedule_rules_event_is_a_tick():
    tick = json.loads((EVENTS / "monitor_capture_tick.json").read_text())
    created = json.loads((EVENTS / "detect_drift_object_created.json").read_text())
    assert is_scheduled_event(S3EventBridgeNotificationEvent(tick)) and is_scheduled_event(tick)
    assert not is_scheduled_event(S3EventBridgeNotificationEvent(created))
    assert not is_scheduled_event(S3EventBridgeNotificationEvent([]))


def test_one_objects_response_is_returned_as_is_and_several_as_records():
    def handle(created):
        return {"key": created.key}

    one = json.loads((EVENTS / "detect_drift_object_created.json").read_text())
    assert for_each_object_created(S3EventBridgeNotificationEvent(one), handle) == {
        "key": "incoming/batch-2024-05-14.csv"
    }
    two = notification("incoming/a.csv")
    two["Records"] += notification("incoming/b.csv")["Records"]
    assert for_each_object_created(two, handle) == {
        "status": "records",
        "outcomes": [{"key": "incoming/a.csv"}, {"key": "incoming/b.csv"}],
    }
    deleted = notification("incoming/a.csv", event_name="ObjectRemoved:Delete")
    assert for_each_object_created(deleted, handle) == {"status": "records", "outcomes": []}
