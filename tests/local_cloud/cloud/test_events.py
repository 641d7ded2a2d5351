"""S3 -> EventBridge -> DetectDrift, delivered in-process as on AWS; scheduled rules fired by a tick."""

from __future__ import annotations

import json
from typing import Any

from support.paths import EVENTS

from drift_retrain_local.cloud.local_cloud import LocalCloud
from drift_retrain_local.stack.deploy import _Deployer

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
    assert [d.rule for d in cloud.events.deliveries[before:] if d.rule == "tick-quiet"] == []


def test_the_same_event_can_be_delivered_twice(cloud: LocalCloud) -> None:
    cloud.client("s3").put_object(Bucket=cloud.stack.bucket, Key="incoming/batch-2.csv", Body=CSV)
    cloud.events.wait(timeout=30)
    (first,) = cloud.events.deliveries_for("incoming/batch-2.csv")
    again = cloud.events.redeliver(first)
    cloud.events.wait(timeout=30)
    assert again.event["id"] == first.event["id"]
    assert again.result(timeout=1).json()["status"] == first.result(timeout=1).json()["status"]
    assert len(cloud.events.deliveries_for("incoming/batch-2.csv")) == 2


# ---------------------------------------------------------------------------------------- scheduled rules
NOTIFY_SAMPLE = EVENTS / "notify.json"


def _schedule(cloud: LocalCloud, name: str, state: str = "ENABLED", with_input: bool = False) -> str:
    """A ScheduleExpression rule targeting Notify, deployed as SAM deploys a function's Schedule event."""
    notify = cloud.stack.function("NotifyFunction")
    properties: dict[str, Any] = {"Schedule": "rate(5 minutes)", "Name": name, "State": state}
    if with_input:
        properties["Input"] = NOTIFY_SAMPLE.read_text()
    rule = _Deployer(cloud.stack.template, cloud.aws.session).schedule_rule(notify, name, properties)
    assert rule.schedule == "rate(5 minutes)" and rule.pattern == {}
    return rule.arn


def test_a_tick_fires_each_enabled_scheduled_rule_once_with_the_scheduled_event(cloud: LocalCloud) -> None:
    cloud.events.wait(timeout=30)
    arn = _schedule(cloud, "tick-plain")
    _schedule(cloud, "tick-off", state="DISABLED")
    _schedule(cloud, "tick-input", with_input=True)
    # The stack's own schedule (MonitorCapture's window tick) fires too; this test's rules are tick-*.
    fired = {delivery.rule: delivery for delivery in cloud.tick() if delivery.rule.startswith("tick-")}
    assert set(fired) == {"tick-plain", "tick-input"}
    event = fired["tick-plain"].event
    assert (event["source"], event["detail-type"], event["detail"]) == ("aws.events", "Scheduled Event", {})
    assert event["resources"] == [arn] and event["account"] == "123456789012"
    assert event["time"].endswith("Z")
    assert fired["tick-input"].event == json.loads(NOTIFY_SAMPLE.read_text())
    assert {d.target_arn for d in fired.values()} == {cloud.stack.function("NotifyFunction").arn}
    cloud.events.wait(timeout=60)
    assert fired["tick-input"].result(timeout=1).ok
    again = [d.rule for d in cloud.tick() if d.rule.startswith("tick-")]
    assert sorted(again) == ["tick-input", "tick-plain"]  # once per tick, every tick
    cloud.events.wait(timeout=60)


def test_a_scheduled_rule_matches_no_s3_event(cloud: LocalCloud) -> None:
    _schedule(cloud, "tick-quiet")
    cloud.events.wait(timeout=30)
    before = len(cloud.events.deliveries)
    cloud.client("s3").put_object(
        Bucket=cloud.stack.bucket, Key="capture/ep/v/2026/12/05/08/a.jsonl", Body=b"{}"
    )
    cloud.events.wait(timeout=10)
    assert [d.rule for d in cloud.events.deliveries[before:] if d.rule == "tick-quiet"] == []
