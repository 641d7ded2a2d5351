"""Issue 9: a batch DetectDrift cannot check is never dropped.

EventBridge invokes DetectDrift asynchronously; the local cloud retries a failed invocation as Lambda
does (``MaximumRetryAttempts`` from the template), then sends AWS's invocation record to the failure
queue, where ``drift-retrain redrive`` (run here through the CLI, over HTTP, as from another process)
finds it and checks the batch again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from drift_retrain.detect import service
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.schema import infer_schema
from drift_retrain_local.cli.main import main
from drift_retrain_local.cloud.local_cloud import LocalCloud
from drift_retrain_local.demos.samples import SAMPLE_LABEL, sample_frame

DETECT = "DetectDriftFunction"
QUEUE = "DetectDriftFailureQueue"


@pytest.fixture(scope="module")
def profiled(cloud: LocalCloud) -> LocalCloud:
    """A baseline profile in place, so that a batch that gets through is checked and reported."""
    frame = sample_frame(3000, seed=1)
    profile = build_profile(frame, infer_schema(frame, label=SAMPLE_LABEL))
    cloud.client("s3").put_object(
        Bucket=cloud.stack.bucket, Key="baseline/current/profile.json", Body=profile.to_json_bytes()
    )
    return cloud


@pytest.fixture(autouse=True)
def clean(profiled: LocalCloud) -> Iterator[None]:
    yield
    profiled.failures.clear()
    sqs, url = profiled.client("sqs"), profiled.stack.queues[QUEUE]
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:  # PurgeQueue: once a minute only
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def _upload(cloud: LocalCloud, name: str) -> dict:
    key = f"incoming/{name}"
    body = sample_frame(800, seed=len(name)).to_csv(index=False).encode()
    cloud.client("s3").put_object(Bucket=cloud.stack.bucket, Key=key, Body=body)
    cloud.events.wait(timeout=60)
    (delivery,) = cloud.events.deliveries_for(key)
    return {"key": key, "delivery": delivery, "result": delivery.result(timeout=1)}


def _queued(cloud: LocalCloud) -> list[dict]:
    """The failure queue's records, left on the queue."""
    sqs, url = cloud.client("sqs"), cloud.stack.queues[QUEUE]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def _visible(cloud: LocalCloud) -> int:
    """The value CloudWatch reports as the queue's ApproximateNumberOfMessagesVisible."""
    attributes = cloud.client("sqs").get_queue_attributes(
        QueueUrl=cloud.stack.queues[QUEUE], AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def _keys(cloud: LocalCloud, prefix: str) -> list[str]:
    listed = cloud.client("s3").list_objects_v2(Bucket=cloud.stack.bucket, Prefix=prefix)
    return [item["Key"] for item in listed.get("Contents", [])]


def _attempts(cloud: LocalCloud, request_id: str) -> int:
    return sum(1 for i in cloud.lambdas.invocations if i.request_id == request_id)


def test_a_crash_on_every_attempt_waits_on_the_queue_until_redrive_checks_it(
    profiled: LocalCloud, capsys: pytest.CaptureFixture[str]
) -> None:
    cloud = profiled
    cloud.failures.fail_lambda(DETECT)  # every attempt
    upload = _upload(cloud, "crashing.csv")
    assert not upload["result"].ok
    assert _attempts(cloud, upload["result"].request_id) == 3  # the first try and the template's 2 retries

    [record] = _queued(cloud)
    assert record["requestPayload"] == upload["delivery"].event  # the original event, untouched
    assert record["requestContext"] == {
        "requestId": upload["result"].request_id,
        "functionArn": f"{cloud.stack.function(DETECT).arn}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorType"] == "InjectedLambdaFault"
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")
    assert _visible(cloud) == 1
    [alarm] = cloud.client("cloudwatch").describe_alarms(
        AlarmNames=[f"{cloud.stack.template.stack_name}-detect-drift-failure-queue"]
    )["MetricAlarms"]
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible" and alarm["Threshold"] == 0
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": cloud.stack.queues[QUEUE].rsplit("/", 1)[1]}
    ]
    assert alarm["AlarmActions"] == [cloud.stack.topic_arn]
    assert _keys(cloud, "quarantine/") == [] and _keys(cloud, "reports/drift/") == []

    function = cloud.stack.function(DETECT).name
    capsys.readouterr()
    assert main(["redrive", "--function", function, "--dry-run"]) == 0
    listed = capsys.readouterr().out
    assert "incoming/crashing.csv" in listed and "failed 3 times" in listed
    assert _visible(cloud) == 1  # a dry run changes nothing

    cloud.failures.clear()  # the cause is fixed
    assert main(["redrive", "--function", function]) == 0
    out = capsys.readouterr().out
    assert "ok      s3://" in out and "checked: reports/drift/crashing-" in out, out
    assert "1 processed, 0 failed" in out
    assert [k for k in _keys(cloud, "reports/drift/") if k.endswith(".json")] == [
        out.split("checked: ", 1)[1].split()[0]
    ]
    assert _visible(cloud) == 0 and _queued(cloud) == []


def test_a_crash_then_a_success_leaves_nothing_on_the_queue(profiled: LocalCloud) -> None:
    profiled.failures.fail_lambda(DETECT, times=1)
    upload = _upload(profiled, "flaky.csv")
    assert upload["result"].ok and upload["result"].json()["status"] == "checked"
    assert _attempts(profiled, upload["result"].request_id) == 2
    assert _queued(profiled) == []


@pytest.mark.parametrize(
    ("how", "error_type"), [("lambda-timeout", "Sandbox.Timedout"), ("lambda-oom", "Runtime.ExitError")]
)
def test_a_timeout_or_out_of_memory_lands_on_the_queue_and_a_failed_redrive_keeps_it(
    profiled: LocalCloud, capsys: pytest.CaptureFixture[str], how: str, error_type: str
) -> None:
    profiled.failures.fail_lambda(DETECT, how=how)
    _upload(profiled, f"{how}.csv")
    [record] = _queued(profiled)
    assert record["responsePayload"]["errorType"] == error_type
    capsys.readouterr()
    assert main(["redrive", "--function", profiled.stack.function(DETECT).name]) == 4  # still failing
    out = capsys.readouterr().out
    assert "FAILED" in out and "left on the queue" in out and "0 processed, 1 failed" in out
    assert _visible(profiled) == 1


def test_a_bug_inside_a_check_ends_on_the_queue_not_in_quarantine(
    profiled: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug in the engine")

    monkeypatch.setattr(service, "run_check", broken)
    upload = _upload(profiled, "bug.csv")
    assert upload["result"].json()["errorType"] == "ZeroDivisionError"
    [record] = _queued(profiled)
    assert record["requestPayload"]["detail"]["object"]["key"] == "incoming/bug.csv"
    assert _keys(profiled, "quarantine/") == []
