"""Lambda's asynchronous invocation as on AWS: retries, then a record on the on-failure destination.

EventBridge invokes a function with ``InvocationType=Event``. On AWS, an invocation that returns a
function error (an exception, a timeout, an out-of-memory kill) is retried ``MaximumRetryAttempts``
times (default 2); when every attempt failed, Lambda sends an invocation record to the function's
``DestinationConfig.OnFailure`` (our template: an SQS queue), or drops the event when there is none.
The record has AWS's shape ("Capturing records of Lambda asynchronous invocations", Lambda developer
guide): ``version``, ``timestamp``, ``requestContext`` (``requestId``, ``functionArn``, ``condition``
``RetriesExhausted``, ``approximateInvokeCount``), ``requestPayload`` (the original event),
``responseContext`` and ``responsePayload`` (the last error).

AWS waits about a minute before the first retry and two before the second; locally the retries follow
each other after :data:`RETRY_DELAY_S`, so tests stay fast. Only SQS destinations exist locally.
The runtime makes the attempts (:func:`~drift_retrain_local.cloud.lambdas.invoke_with_retries`); this
module holds the settings, the record and its destination.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drift_retrain_local.cloud.invocation import InvocationResult
    from drift_retrain_local.stack.template import FunctionSpec

__all__ = ["RETRY_DELAY_S", "AsyncSettings", "Send", "SqsDestinations", "failure_record"]

logger = logging.getLogger(__name__)

#: Pause between attempts locally (AWS: about 1 and 2 minutes).
RETRY_DELAY_S = 0.02
#: Lambda's default when a function has no EventInvokeConfig.
DEFAULT_RETRY_ATTEMPTS = 2

#: ``send(destination_arn, record)``: deliver one invocation record.
Send = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class AsyncSettings:
    """A function's asynchronous-invocation settings (its template ``EventInvokeConfig``)."""

    retry_attempts: int = DEFAULT_RETRY_ATTEMPTS
    on_failure: str | None = None

    @classmethod
    def of(cls, function: FunctionSpec) -> AsyncSettings:
        config: Mapping[str, Any] = function.event_invoke or {}
        on_failure = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        return cls(int(config.get("MaximumRetryAttempts", DEFAULT_RETRY_ATTEMPTS)), on_failure or None)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def failure_record(
    function: FunctionSpec, request_id: str, event: Any, last: InvocationResult, attempts: int
) -> dict[str, Any]:
    """The invocation record Lambda sends to an on-failure destination once retries are exhausted."""
    return {
        "version": "1.0",
        "timestamp": _now(),
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{function.arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": last.function_error or "Unhandled",
        },
        "responsePayload": last.json(),
    }


class SqsDestinations:
    """Sends invocation records to SQS queues named by ARN (the embedded AWS's SQS client)."""

    def __init__(self, sqs: Any) -> None:
        self._sqs = sqs

    def __call__(self, destination_arn: str, record: dict[str, Any]) -> None:
        service, account, name = _arn_parts(destination_arn)
        if service != "sqs":
            logger.error("On-failure destination %s is not a queue: not supported locally", destination_arn)
            return
        url = self._sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        self._sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))


def _arn_parts(arn: str) -> tuple[str, str, str]:
    """``arn:aws:sqs:REGION:ACCOUNT:NAME`` -> ``("sqs", ACCOUNT, NAME)``."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        raise ValueError(f"not an ARN: {arn!r}")
    return parts[2], parts[4], parts[5]
