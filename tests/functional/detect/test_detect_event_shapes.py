"""DetectDrift on the events a new SAM user sends: a hand-written one without version id or ETag (it checks
the object's current revision, pinned), and the classic S3 notification of `sam local generate-event`."""

from __future__ import annotations

import pytest
from functional_support import frame_to_csv_bytes, load_event

from drift_retrain.aws.naming import batch_id_for
from drift_retrain.detect.events import EventShapeError


def test_an_event_without_revision_checks_the_current_version(
    detect_drift, clients, bucket, profile_uploaded, make_frame_fn
):
    body = frame_to_csv_bytes(make_frame_fn(600, seed=4))
    put = clients.s3.put_object(Bucket=bucket, Key="incoming/batch-2024-05-14.csv", Body=body)
    event = load_event()
    event["detail"]["bucket"]["name"] = bucket
    assert "version-id" not in event["detail"]["object"] and "etag" not in event["detail"]["object"]

    response = detect_drift.invoke(event).response

    assert response["status"] == "checked", response["message"]
    # pinned: the batch id (and so the report and any execution name) is that of the version it checked
    assert response["batch_id"] == batch_id_for(response["key"], put["VersionId"], put["ETag"])


def test_an_event_for_a_missing_object_without_revision_is_object_gone(
    detect_drift, clients, bucket, profile_uploaded
):
    event = load_event()
    event["detail"]["bucket"]["name"] = bucket
    response = detect_drift.invoke(event).response
    assert response["status"] == "object_gone" and "does not exist" in response["message"]


def test_a_classic_s3_notification_is_checked(detect_drift, clients, bucket, profile_uploaded, make_frame_fn):
    body = frame_to_csv_bytes(make_frame_fn(600, seed=6))
    clients.s3.put_object(Bucket=bucket, Key="incoming/from notification.csv", Body=body)
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": bucket}, "object": {"key": "incoming/from+notification.csv"}},
            }
        ]
    }
    response = detect_drift.invoke(event).response
    assert response["status"] == "checked" and response["key"] == "incoming/from notification.csv"


@pytest.mark.filterwarnings("ignore:No application metrics to publish")
def test_an_unknown_event_raises_a_clear_error(detect_drift, bucket):
    with pytest.raises(EventShapeError, match="Object Created"):
        detect_drift.invoke({"source": "aws.sqs"})
