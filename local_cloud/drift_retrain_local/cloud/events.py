"""S3 -> EventBridge -> Lambda, delivered as on AWS.

moto already puts an S3 "Object Created" event on EventBridge for a bucket with EventBridge notifications
on, and matches it against the deployed rules (the template's pattern, evaluated by moto). The Lambda
targets of a matching rule are handed to this router (:mod:`drift_retrain_local.seams.eventbridge`), which fills in what moto's
event lacks compared with AWS (a unique ``id``, an ISO ``time``, a ``sequencer`` that grows) and invokes
the target asynchronously, as EventBridge invokes Lambda (``InvocationType=Event``), in-process.

Delivery happens off the S3 request thread, so PutObject returns before DetectDrift runs, as on AWS;
:meth:`EventRouter.wait` waits (bounded) until every delivery has finished. :meth:`EventRouter.redeliver`
delivers an event again, as EventBridge's at-least-once delivery sometimes does.

Scheduled rules (``ScheduleExpression``) never fire by themselves here: :meth:`EventRouter.tick` fires every
enabled one once, with the "Scheduled Event" AWS sends, so a test or the traffic driver decides when the
time has come instead of waiting for it.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import json
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from drift_retrain_local.cloud.invocation import InvocationResult
from drift_retrain_local.cloud.lambdas import LambdaRuntime
from drift_retrain_local.seams import eventbridge as eventbridge_seam

__all__ = ["Delivery", "EventRouter"]


@dataclass(frozen=True)
class Delivery:
    """One event handed to one Lambda target."""

    rule: str
    target_arn: str
    event: dict[str, Any]
    future: concurrent.futures.Future[InvocationResult]

    def result(self, timeout: float) -> InvocationResult:
        return self.future.result(timeout=timeout)


class EventRouter:
    """Delivers the events of EventBridge rules with Lambda targets to the in-process runtime.

    Parameters
    ----------
    runtime : LambdaRuntime
        Runs the target functions.
    """

    def __init__(self, runtime: LambdaRuntime) -> None:
        self.runtime = runtime
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        self._sequencer = itertools.count(1)
        self._installed = False

    def install(self) -> None:
        eventbridge_seam.install(self._on_lambda_target)
        self._installed = True

    def uninstall(self) -> None:
        if self._installed:
            eventbridge_seam.uninstall()
            self._installed = False

    # ------------------------------------------------------------------------------------------------ API
    def wait(self, timeout: float) -> list[Delivery]:
        """Wait until every delivery so far has finished; ``TimeoutError`` after ``timeout`` seconds."""
        self.runtime.wait_idle(timeout)
        with self._lock:
            return list(self.deliveries)

    def deliveries_for(self, key: str, bucket: str | None = None) -> list[Delivery]:
        """Deliveries of S3 events for an object key (in ``bucket``, when given: stacks share keys)."""
        with self._lock:
            return [
                d
                for d in self.deliveries
                if (d.event.get("detail") or {}).get("object", {}).get("key") == key
                and (bucket is None or (d.event.get("detail") or {}).get("bucket", {}).get("name") == bucket)
            ]

    def tick(self, events: Any) -> list[Delivery]:
        """Fire every enabled scheduled rule once: each Lambda target gets AWS's "Scheduled Event" (or
        the target's ``Input``), asynchronously. ``events`` is an EventBridge client of the embedded AWS.
        Returns the deliveries (``wait`` for them to finish)."""
        fired = []
        for page in events.get_paginator("list_rules").paginate():
            for rule in page["Rules"]:
                if not rule.get("ScheduleExpression") or rule.get("State") != "ENABLED":
                    continue
                targets = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
                for target in targets:
                    if ":lambda:" not in target["Arn"]:
                        continue
                    event = (
                        json.loads(target["Input"]) if "Input" in target else _scheduled_event(rule["Arn"])
                    )
                    fired.append(self._deliver(rule["Name"], target["Arn"], event))
        return fired

    def redeliver(self, delivery: Delivery) -> Delivery:
        """Deliver the same event (same ``id``) to the same target again: a duplicate delivery."""
        return self._deliver(delivery.rule, delivery.target_arn, delivery.event)

    # ------------------------------------------------------------------------------------------- internals
    def _on_lambda_target(
        self, rule: str, rule_arn: str, target: dict[str, Any], event: dict[str, Any]
    ) -> None:
        event = self._as_on_aws(event)
        if "Input" in target:
            event = json.loads(target["Input"])
        self._deliver(rule, target["Arn"], event)

    def _deliver(self, rule: str, target_arn: str, event: dict[str, Any]) -> Delivery:
        future = self.runtime.invoke_async(target_arn, json.dumps(event).encode())
        delivery = Delivery(rule, target_arn, event, future)
        with self._lock:
            self.deliveries.append(delivery)
        return delivery

    def _as_on_aws(self, event: dict[str, Any]) -> dict[str, Any]:
        """moto's S3 event with what AWS's has: unique id, ISO time, growing sequencer, ``etag`` (moto: ``eTag``),
        account requester."""
        event["id"] = str(uuid.uuid4())
        when = event.get("time")
        moment = datetime.fromtimestamp(when, UTC) if isinstance(when, (int, float)) else datetime.now(UTC)
        event["time"] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        detail = event.get("detail")
        if isinstance(detail, dict) and event.get("source") == "aws.s3":
            obj = detail.get("object")
            if isinstance(obj, dict):
                obj["sequencer"] = f"{next(self._sequencer):018X}"
                if "eTag" in obj:  # moto spells it eTag; AWS's S3 EventBridge event says etag
                    obj["etag"] = obj.pop("eTag")
                if obj.get("version-id") in (None, "null"):
                    obj.pop("version-id", None)  # unversioned bucket: AWS sends no version-id
            detail["request-id"] = uuid.uuid4().hex[:16].upper()
            detail["requester"] = event.get("account", detail.get("requester"))
            detail.setdefault("source-ip-address", "127.0.0.1")
        return event


def _scheduled_event(rule_arn: str) -> dict[str, Any]:
    """The event EventBridge sends a target of a scheduled rule."""
    _, _, _, region, account, _ = rule_arn.split(":", 5)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }
