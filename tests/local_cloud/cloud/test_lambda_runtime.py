"""Deployed functions run their real handler in-process, with the template's environment."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from support.executions import wait_until_done

from drift_retrain_local.cloud.local_cloud import LocalCloud

#: A topic that does not exist: Notify's publish fails with the layer's own NotificationError.
MISSING_TOPIC = "arn:aws:sns:us-east-1:123456789012:no-such-topic"

CATCHING_DEFINITION = {
    "StartAt": "Call",
    "States": {
        "Call": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "FUNCTION", "Payload": {"outcome": "failed", "state": {}}},
            "Catch": [{"ErrorEquals": ["NotificationError"], "ResultPath": "$.error", "Next": "Caught"}],
            "Next": "NotCaught",
        },
        "Caught": {"Type": "Succeed"},
        "NotCaught": {"Type": "Fail", "Error": "NotCaught"},
    },
}


@pytest.fixture
def queue_on_topic(cloud: LocalCloud) -> Iterator[str]:
    sqs = cloud.client("sqs")
    url = sqs.create_queue(QueueName="notify-probe")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscription = cloud.client("sns").subscribe(
        TopicArn=cloud.stack.topic_arn,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "true"},
    )["SubscriptionArn"]
    yield url
    cloud.client("sns").unsubscribe(SubscriptionArn=subscription)
    sqs.delete_queue(QueueUrl=url)


def test_invoking_notify_runs_the_handler_and_publishes(cloud: LocalCloud, queue_on_topic: str) -> None:
    function = cloud.stack.function("NotifyFunction")
    response = cloud.client("lambda").invoke(
        FunctionName=function.arn,
        Payload=json.dumps({"outcome": "failed", "execution_arn": "arn:x", "state": {}}).encode(),
    )
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    body = json.loads(response["Payload"].read())
    assert body["outcome"] == "failed" and body["message_id"]
    messages = cloud.client("sqs").receive_message(QueueUrl=queue_on_topic, WaitTimeSeconds=1)["Messages"]
    assert len(messages) == 1
    assert messages[0]["Body"]  # the formatted run summary
    (last,) = [i for i in cloud.lambdas.invocations if i.request_id == body.get("request_id", i.request_id)][
        -1:
    ]
    assert last.function == function.name


def test_handler_sees_the_template_environment_and_a_lambda_context(cloud: LocalCloud) -> None:
    function = cloud.stack.function("NotifyFunction")
    seen: dict = {}

    def spy(event, context):
        import os

        seen.update(
            topic=os.environ["TOPIC_ARN"],
            bucket=os.environ["DATA_BUCKET"],
            name=context.function_name,
            memory=context.memory_limit_in_mb,
            remaining=context.get_remaining_time_in_millis(),
            request_id=context.aws_request_id,
        )
        return {"ok": True}

    cloud.lambdas.invoke(function.name, {})  # warm: the module is loaded
    loaded = cloud.lambdas._loaded[function.name]
    original = loaded.handler
    loaded.handler = spy
    try:
        result = cloud.lambdas.invoke(function.arn, {"x": 1})
    finally:
        loaded.handler = original
    assert result.json() == {"ok": True}
    assert seen["topic"] == cloud.stack.topic_arn
    assert seen["bucket"] == cloud.stack.bucket
    assert seen["name"] == function.name and seen["memory"] == 512
    assert 0 < seen["remaining"] <= 30_000
    assert seen["request_id"] == result.request_id
    import os

    assert os.environ.get("TOPIC_ARN") != cloud.stack.topic_arn  # restored after the call


def test_an_exception_is_lambdas_error_payload(cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    function = cloud.stack.function("NotifyFunction")
    monkeypatch.setitem(cloud.lambdas.resolve(function.name).environment, "TOPIC_ARN", MISSING_TOPIC)
    response = cloud.client("lambda").invoke(FunctionName=function.name, Payload=b'{"outcome": "failed"}')
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    payload = json.loads(response["Payload"].read())
    assert set(payload) >= {"errorMessage", "errorType", "stackTrace", "requestId"}
    assert payload["errorType"] == "NotificationError"
    assert isinstance(payload["stackTrace"], list) and payload["stackTrace"]


def test_an_injected_fault_crashes_the_next_invocations_only(cloud: LocalCloud) -> None:
    function = cloud.stack.function("NotifyFunction")
    cloud.failures.fail_lambda("NotifyFunction", times=1)
    lambda_client = cloud.client("lambda")
    crashed = lambda_client.invoke(FunctionName=function.name, Payload=b'{"outcome": "skipped"}')
    assert crashed["FunctionError"] == "Unhandled"
    payload = json.loads(crashed["Payload"].read())
    assert payload["errorType"] == "InjectedLambdaFault" and "injected" in payload["errorMessage"]
    again = lambda_client.invoke(FunctionName=function.name, Payload=b'{"outcome": "skipped"}')
    assert "FunctionError" not in again  # the switch fired once


def test_state_machine_catch_sees_the_exception_name(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    function = cloud.stack.function("NotifyFunction")
    monkeypatch.setitem(cloud.lambdas.resolve(function.name).environment, "TOPIC_ARN", MISSING_TOPIC)
    definition = json.loads(json.dumps(CATCHING_DEFINITION).replace("FUNCTION", function.arn))
    sfn = cloud.client("stepfunctions")
    machine = sfn.create_state_machine(
        name="catch-probe",
        definition=json.dumps(definition),
        roleArn=cloud.stack.template.get_att("RetrainStateMachineRole", "Arn"),
    )["stateMachineArn"]
    try:
        execution = sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"]
        described = wait_until_done(cloud.client("stepfunctions"), execution)
        assert described["status"] == "SUCCEEDED", described
        output = json.loads(described["output"])
        assert output["error"]["Error"] == "NotificationError"
        assert json.loads(output["error"]["Cause"])["errorType"] == "NotificationError"
    finally:
        sfn.delete_state_machine(stateMachineArn=machine)


def test_unknown_function_is_left_to_moto(cloud: LocalCloud) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as raised:
        cloud.client("lambda").invoke(FunctionName="not-in-the-template", Payload=b"{}")
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_each_invocation_logs_under_its_own_function_name(cloud: LocalCloud) -> None:
    """All functions share the layer's ``drift_retrain`` loggers in one process: a line the layer logs
    while EvaluateCandidate runs carries EvaluateCandidate's service and function name, even when
    DetectDrift's module was imported after it (its import points those loggers at its own handler), or
    another function's handler module was imported outside the runtime."""
    import logging

    evaluate = cloud.stack.function("EvaluateCandidateFunction")
    detect = cloud.stack.function("DetectDriftFunction")
    cloud.lambdas.invoke(evaluate.name, {})  # imports EvaluateCandidate (a bad event: an error payload)
    cloud.lambdas.invoke(detect.name, {})  # then DetectDrift, the last function imported
    lines: list[dict] = []

    def spy(event, context):
        library = logging.getLogger("drift_retrain.workflow.evaluate_candidate.evaluation")
        record = library.makeRecord(library.name, logging.INFO, __file__, 0, "evaluated candidates", (), None)
        lines.extend(json.loads(h.format(record)) for h in logging.getLogger("drift_retrain").handlers)
        return {"ok": True}

    # What importing a handler module outside the runtime leaves (a test importing app.py directly):
    # another function's Powertools handler on the layer's logger. It must not log EvaluateCandidate's lines.
    stray = logging.StreamHandler(io.StringIO())
    stray.setFormatter(LambdaPowertoolsFormatter(service="detect-drift"))
    logging.getLogger("drift_retrain").addHandler(stray)
    loaded = cloud.lambdas._loaded[evaluate.name]
    original = loaded.handler
    loaded.handler = loaded.module.logger.inject_lambda_context(spy)  # as the module decorates its handler
    try:
        assert cloud.lambdas.invoke(evaluate.name, {}).json() == {"ok": True}
    finally:
        loaded.handler = original
        logging.getLogger("drift_retrain").removeHandler(stray)
    assert lines and all(line["message"] == "evaluated candidates" for line in lines)
    assert {line["service"] for line in lines} == {evaluate.environment["POWERTOOLS_SERVICE_NAME"]}
    assert {line["function_name"] for line in lines} == {evaluate.name}
