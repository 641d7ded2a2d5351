"""S3 -> EventBridge -> DetectDrift, delivered in-process as on AWS."""

from __future__ import annotations

from drift_retrain_local.cloud import LocalCloud

CSV = b"label,x1,x2\n0,0.1,1.0\n1,0.2,2.0\n0,0.3,3.0\n"


def test_a_batch_under_incoming_triggers_detect_drift(cloud: LocalCloud) -> None:
    s3 = cloud.client("s3")
    put = s3.put_object(Bucket=cloud.stack.bucket, Key="incoming/batch-1.csv", Body=CSV)
    cloud.events.wait(timeout=30)
    (delivery,) = cloud.events.deliveries_for("incoming/batch-1.csv")
    event = delivery.event
    assert event["source"] == "aws.s3" and event["detail-type"] == "Object Created"
    assert event["detail"]["bucket"]["name"] == cloud.stack.bucket
    assert event["detail"]["object"]["version-id"] == put["VersionId"]
    # AWS's spelling: the retrain's held-out split is seeded by it (the same file splits the same way)
    assert (
        event["detail"]["object"]["etag"] == put["ETag"].strip('"')
        and "eTag" not in event["detail"]["object"]
    )
    assert event["time"].endswith("Z")
    assert delivery.target_arn == cloud.stack.function("DetectDriftFunction").arn
    result = delivery.result(timeout=1)
    assert result.ok, result.payload
    response = result.json()
    assert response["status"] == "no_profile"
    assert response["quarantine_key"] is None
    listed = s3.list_objects_v2(Bucket=cloud.stack.bucket, Prefix="quarantine/")
    assert listed.get("KeyCount") == 0


def test_objects_outside_incoming_are_not_delivered(cloud: LocalCloud) -> None:
    before = len(cloud.events.deliveries)
    cloud.client("s3").put_object(Bucket=cloud.stack.bucket, Key="seed/initial.csv", Body=CSV)
    cloud.events.wait(timeout=10)
    assert len(cloud.events.deliveries) == before


def test_the_same_event_can_be_delivered_twice(cloud: LocalCloud) -> None:
    cloud.client("s3").put_object(Bucket=cloud.stack.bucket, Key="incoming/batch-2.csv", Body=CSV)
    cloud.events.wait(timeout=30)
    (first,) = cloud.events.deliveries_for("incoming/batch-2.csv")
    again = cloud.events.redeliver(first)
    cloud.events.wait(timeout=30)
    assert again.event["id"] == first.event["id"]
    assert again.result(timeout=1).json()["status"] == first.result(timeout=1).json()["status"]
    assert len(cloud.events.deliveries_for("incoming/batch-2.csv")) == 2
