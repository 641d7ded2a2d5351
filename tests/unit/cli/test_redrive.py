"""``drift-retrain redrive`` against in-memory fakes: where it finds the queue, and what it never deletes."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from drift_retrain_local.cli.redrive import RedriveError, RedriveTarget, batch_key, find_target, redrive

QUEUE = "https://sqs.eu-west-1.amazonaws.com/111122223333/drift-retrain-DetectDriftFailureQueue-AbC"


class FakeSqs:
    """Hands out each visible message once per receive; records deletes and visibility resets."""

    def __init__(self, bodies: list[str]) -> None:
        self.messages = {f"m{i}": body for i, body in enumerate(bodies)}
        self.hidden: set[str] = set()
        self.deleted: list[str] = []
        self.made_visible: list[str] = []

    def receive_message(self, **kwargs: Any) -> dict[str, Any]:
        for message_id, body in self.messages.items():
            if message_id not in self.hidden and message_id not in self.deleted:
                self.hidden.add(message_id)
                return {"Messages": [{"MessageId": message_id, "ReceiptHandle": message_id, "Body": body}]}
        return {}

    def delete_message(self, QueueUrl: str, ReceiptHandle: str) -> None:
        self.deleted.append(ReceiptHandle)

    def change_message_visibility(self, QueueUrl: str, ReceiptHandle: str, VisibilityTimeout: int) -> None:
        assert VisibilityTimeout == 0
        self.made_visible.append(ReceiptHandle)


class FakeLambda:
    def __init__(self, failing_keys: set[str]) -> None:
        self.failing_keys = failing_keys
        self.events: list[dict[str, Any]] = []

    def invoke(self, FunctionName: str, InvocationType: str, Payload: bytes) -> dict[str, Any]:
        assert InvocationType == "RequestResponse"
        event = json.loads(Payload)
        self.events.append(event)
        key = event["detail"]["object"]["key"]
        if key in self.failing_keys:
            body = {"errorType": "StorageError", "errorMessage": "GetObject failed: 500"}
            return {"FunctionError": "Unhandled", "Payload": io.BytesIO(json.dumps(body).encode())}
        body = {"status": "checked", "report_key": f"reports/drift/{key}.json", "duplicate": False}
        return {"Payload": io.BytesIO(json.dumps(body).encode())}


def _record(key: str) -> str:
    event = {"source": "aws.s3", "detail": {"bucket": {"name": "data"}, "object": {"key": key}}}
    return json.dumps(
        {
            "version": "1.0",
            "timestamp": "2026-11-30T10:00:00.000Z",
            "requestContext": {"condition": "RetriesExhausted", "approximateInvokeCount": 3},
            "requestPayload": event,
            "responsePayload": {"errorType": "Runtime.ExitError", "errorMessage": "signal: killed"},
        }
    )


def test_only_the_batches_processed_are_deleted_and_the_rest_become_visible_again() -> None:
    sqs = FakeSqs([_record("incoming/a.csv"), _record("incoming/b.csv"), "not json"])
    lam = FakeLambda(failing_keys={"incoming/b.csv"})
    results = redrive(sqs, lam, RedriveTarget(QUEUE, "DetectDrift"), wait_seconds=0)
    assert [(r.key, r.ok) for r in results] == [
        ("s3://data/incoming/a.csv", True),
        ("s3://data/incoming/b.csv", False),
        ("(unreadable message)", False),
    ]
    assert results[0].outcome == "checked: reports/drift/incoming/a.csv.json"
    assert "StorageError" in results[1].outcome and "left on the queue" in results[1].outcome
    assert sqs.deleted == ["m0"] and sorted(sqs.made_visible) == ["m1", "m2"]
    assert lam.events[0]["detail"]["object"]["key"] == "incoming/a.csv"  # the original event, as queued


def test_a_dry_run_invokes_nothing_and_deletes_nothing() -> None:
    sqs = FakeSqs([_record("incoming/a.csv")])
    lam = FakeLambda(failing_keys=set())
    [listed] = redrive(sqs, lam, RedriveTarget(QUEUE, "DetectDrift"), dry_run=True, wait_seconds=0)
    assert listed.outcome.startswith("failed 3 times by 2026-11-30T10:00:00.000Z: Runtime.ExitError")
    assert lam.events == [] and sqs.deleted == [] and sqs.made_visible == ["m0"]


class FakeCloudFormation:
    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        if StackName != "drift-retrain":
            raise ValueError(f"Stack with id {StackName} does not exist")
        outputs = {
            "DetectDriftFailureQueueUrl": QUEUE,
            "DetectDriftFunctionName": "drift-retrain-DetectDrift-X",
        }
        return {"Stacks": [{"Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]}]}


class FakeLambdaConfig:
    def get_function_event_invoke_config(self, FunctionName: str) -> dict[str, Any]:
        arn = "arn:aws:sqs:eu-west-1:111122223333:drift-retrain-DetectDriftFailureQueue-AbC"
        return {"DestinationConfig": {"OnFailure": {"Destination": arn}}}


class FakeQueueLookup:
    def get_queue_url(self, QueueName: str, QueueOwnerAWSAccountId: str) -> dict[str, str]:
        assert QueueOwnerAWSAccountId == "111122223333"
        return {"QueueUrl": f"https://sqs.eu-west-1.amazonaws.com/{QueueOwnerAWSAccountId}/{QueueName}"}


def test_the_queue_comes_from_the_stack_outputs_or_the_functions_destination() -> None:
    by_stack = find_target(cloudformation=FakeCloudFormation(), stack="drift-retrain")
    assert by_stack == RedriveTarget(QUEUE, "drift-retrain-DetectDrift-X")
    by_function = find_target(lambda_client=FakeLambdaConfig(), sqs=FakeQueueLookup(), function="fn")
    assert by_function == RedriveTarget(QUEUE, "fn")
    with pytest.raises(RedriveError, match="cannot read the outputs of stack other"):
        find_target(cloudformation=FakeCloudFormation(), stack="other")


def test_the_batch_is_named_from_either_event_shape() -> None:
    notification = {"Records": [{"s3": {"bucket": {"name": "data"}, "object": {"key": "incoming/x.csv"}}}]}
    assert batch_key(notification) == "s3://data/incoming/x.csv"
    assert batch_key({"hello": "world"}) == "(not an S3 event)"
