"""``drift-retrain redrive``: check again the batches DetectDrift could not check.

DetectDrift is invoked asynchronously; an invocation that crashed, timed out or ran out of memory on
every attempt lands on the function's failure queue as Lambda's invocation record, whose
``requestPayload`` is the original S3 event. Once the cause is fixed, this command invokes DetectDrift
with each of those events, synchronously, and deletes a message only when that invocation succeeded:
a batch that fails again stays on the queue (and the alarm stays on). Reports are written once per
object revision, so redriving a batch that was checked after all changes nothing.

Works against AWS with the default credentials (the stack's outputs name the queue and the function),
and against the local cloud through ``AWS_ENDPOINT_URL`` (``--function``: the queue comes from its
``EventInvokeConfig``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["RedriveError", "RedriveTarget", "Redriven", "batch_key", "find_target", "redrive"]

#: CloudFormation outputs of template.yaml.
QUEUE_OUTPUT = "DetectDriftFailureQueueUrl"
FUNCTION_OUTPUT = "DetectDriftFunctionName"
#: Longer than DetectDrift's 900 s timeout: a message stays hidden while its batch is checked.
VISIBILITY_TIMEOUT_S = 960


class RedriveError(RuntimeError):
    """The queue or the function cannot be found (with the reason, for the person who asked)."""


@dataclass(frozen=True)
class RedriveTarget:
    queue_url: str
    function: str


@dataclass(frozen=True)
class Redriven:
    """What happened to one message."""

    key: str
    ok: bool
    outcome: str


def find_target(
    *,
    cloudformation: Any = None,
    lambda_client: Any = None,
    sqs: Any = None,
    stack: str | None = None,
    queue_url: str | None = None,
    function: str | None = None,
) -> RedriveTarget:
    """The failure queue and DetectDrift: given, else from the stack's outputs or the function's config."""
    if stack and not (queue_url and function):
        outputs = _stack_outputs(cloudformation, stack)
        queue_url = queue_url or outputs.get(QUEUE_OUTPUT)
        function = function or outputs.get(FUNCTION_OUTPUT)
    if function and not queue_url:
        queue_url = _queue_of(lambda_client, sqs, function)
    if not queue_url or not function:
        raise RedriveError(
            "name the stack (--stack), or the function (--function) and optionally --queue-url"
        )
    return RedriveTarget(queue_url, function)


def _stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    try:
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except Exception as error:  # botocore's ClientError or no endpoint: the person fixes the name
        raise RedriveError(f"cannot read the outputs of stack {stack}: {error}") from error
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def _queue_of(lambda_client: Any, sqs: Any, function: str) -> str:
    """The SQS queue of the function's on-failure destination."""
    try:
        config = lambda_client.get_function_event_invoke_config(FunctionName=function)
    except Exception as error:
        raise RedriveError(
            f"cannot read the asynchronous invocation settings of {function}: {error}"
        ) from error
    arn = ((config.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination") or ""
    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        raise RedriveError(f"{function} has no SQS on-failure destination (got {arn or 'none'})")
    return str(sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=parts[4])["QueueUrl"])


def batch_key(event: Any) -> str:
    """``s3://bucket/key`` of the S3 event (EventBridge or S3 notification), for the person reading."""
    if isinstance(event, dict):
        detail = event.get("detail") or {}
        if isinstance(detail, dict) and "object" in detail:
            return (
                f"s3://{(detail.get('bucket') or {}).get('name')}/{(detail.get('object') or {}).get('key')}"
            )
        records = event.get("Records") or []
        if records and isinstance(records[0], dict) and "s3" in records[0]:
            s3 = records[0]["s3"]
            return f"s3://{s3.get('bucket', {}).get('name')}/{s3.get('object', {}).get('key')}"
    return "(not an S3 event)"


def _messages(sqs: Any, queue_url: str, wait_seconds: int) -> Iterator[dict[str, Any]]:
    """Each message once (a message seen already ends the pass: it came back after its timeout)."""
    seen: set[str] = set()
    while True:
        received = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=1,
            VisibilityTimeout=VISIBILITY_TIMEOUT_S,
            WaitTimeSeconds=wait_seconds,
        ).get("Messages", [])
        if received and received[0]["MessageId"] in seen:  # back after its timeout: visible again, stop
            sqs.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=received[0]["ReceiptHandle"], VisibilityTimeout=0
            )
        if not received or received[0]["MessageId"] in seen:
            return
        seen.add(received[0]["MessageId"])
        yield received[0]


def _describe_failure(record: dict[str, Any]) -> str:
    context = record.get("requestContext") or {}
    error = record.get("responsePayload") or {}
    what = (
        f"{error.get('errorType', 'error')}: {error.get('errorMessage', '')}"
        if isinstance(error, dict)
        else error
    )
    return f"failed {context.get('approximateInvokeCount', '?')} times by {record.get('timestamp')}: {what}"


def _invoke(lambda_client: Any, function: str, event: Any) -> tuple[bool, str]:
    response = lambda_client.invoke(
        FunctionName=function, InvocationType="RequestResponse", Payload=json.dumps(event).encode()
    )
    body = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        if isinstance(body, dict):
            return False, f"failed again: {body.get('errorType')}: {body.get('errorMessage')}"
        return False, f"failed again: {body}"
    if not isinstance(body, dict):
        return True, "done"
    status = "duplicate (already recorded)" if body.get("duplicate") else str(body.get("status"))
    where = body.get("report_key") or body.get("quarantine_key") or body.get("message")
    return True, f"{status}: {where}" if where else status


def redrive(
    sqs: Any,
    lambda_client: Any,
    target: RedriveTarget,
    *,
    dry_run: bool = False,
    wait_seconds: int = 1,
    echo: Callable[[Redriven], None] | None = None,
) -> list[Redriven]:
    """Invoke DetectDrift with each queued event; delete the messages whose invocation succeeded.

    ``dry_run`` lists the messages and leaves every one on the queue, visible.
    """
    results: list[Redriven] = []
    kept: list[str] = []
    for message in _messages(sqs, target.queue_url, wait_seconds):
        try:
            record = json.loads(message["Body"])
            event = record["requestPayload"]
        except (ValueError, KeyError, TypeError):
            result = Redriven(
                "(unreadable message)", False, "not a Lambda invocation record: left on the queue"
            )
            kept.append(message["ReceiptHandle"])
        else:
            key = batch_key(event)
            if dry_run:
                result = Redriven(key, True, _describe_failure(record))
                kept.append(message["ReceiptHandle"])
            else:
                ok, outcome = _invoke(lambda_client, target.function, event)
                result = Redriven(key, ok, outcome if ok else f"{outcome} (left on the queue)")
                if ok:
                    sqs.delete_message(QueueUrl=target.queue_url, ReceiptHandle=message["ReceiptHandle"])
                else:
                    kept.append(message["ReceiptHandle"])
        results.append(result)
        if echo is not None:
            echo(result)
    for handle in kept:  # visible again now: the queue (and its alarm) shows what is left
        sqs.change_message_visibility(QueueUrl=target.queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
    return results
