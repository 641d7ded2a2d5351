"""The template's SQS queues and the functions' asynchronous-invocation settings, in the embedded AWS.

CloudFormation's queue properties become SQS attributes (all strings); a queue policy is stored as the
queue's ``Policy`` attribute (moto keeps it, it does not evaluate it). A function's ``EventInvokeConfig``
is put with Lambda's own API, so ``GetFunctionEventInvokeConfig`` answers locally as on AWS (the
``redrive`` command finds the failure queue that way); the in-process runtime applies it
(:mod:`drift_retrain_local.cloud.async_invoke`).
"""

from __future__ import annotations

import json
from typing import Any

from drift_retrain_local.stack.template import FunctionSpec

__all__ = ["create_queue", "put_event_invoke_config", "put_queue_policy"]

#: CloudFormation properties that are SQS attributes of the same name.
_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "SqsManagedSseEnabled",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "FifoQueue",
)


def _attribute(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def create_queue(sqs: Any, name: str, properties: dict[str, Any]) -> str:
    """Create the queue with the template's attributes; its URL."""
    attributes = {key: _attribute(properties[key]) for key in _ATTRIBUTES if key in properties}
    if "RedrivePolicy" in properties:
        attributes["RedrivePolicy"] = json.dumps(properties["RedrivePolicy"])
    return str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


def put_queue_policy(sqs: Any, properties: dict[str, Any]) -> None:
    """Store the policy on each of its queues (``Queues`` holds URLs, as ``!Ref`` of a queue gives)."""
    for url in properties["Queues"]:
        sqs.set_queue_attributes(
            QueueUrl=url, Attributes={"Policy": json.dumps(properties["PolicyDocument"])}
        )


def put_event_invoke_config(lambda_client: Any, function: FunctionSpec) -> None:
    """SAM's ``EventInvokeConfig`` as Lambda's ``PutFunctionEventInvokeConfig`` (nothing when unset)."""
    config = function.event_invoke
    if not config:
        return
    kwargs: dict[str, Any] = {"FunctionName": function.name}
    if "MaximumRetryAttempts" in config:
        kwargs["MaximumRetryAttempts"] = int(config["MaximumRetryAttempts"])
    if "MaximumEventAgeInSeconds" in config:
        kwargs["MaximumEventAgeInSeconds"] = int(config["MaximumEventAgeInSeconds"])
    destinations = {
        f"On{outcome}": {"Destination": target["Destination"]}
        for outcome in ("Success", "Failure")
        if (target := (config.get("DestinationConfig") or {}).get(f"On{outcome}"))
    }
    if destinations:
        kwargs["DestinationConfig"] = destinations
    lambda_client.put_function_event_invoke_config(**kwargs)
