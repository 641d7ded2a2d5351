"""Task tokens in the local Step Functions interpreter, with the in-process Lambda runtime: a
``lambda:invoke.waitForTaskToken`` task hands ``$$.Task.Token`` to a real handler, and SendTaskSuccess /
SendTaskFailure / SendTaskHeartbeat drive it as on AWS, timeouts and late or malformed tokens included."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from drift_retrain_local.cloud.local_cloud import LocalCloud
from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.seams import sfn_callbacks
from drift_retrain_local.stack.template import FunctionSpec

ROLE = "arn:aws:iam::123456789012:role/local"
BUCKET = "task-token-tests"
FUNCTION = "token-keeper"
WAIT = 20.0


@pytest.fixture(scope="module", autouse=True)
def _token_keeper(cloud: LocalCloud) -> Iterator[None]:
    """A tiny function in the local Lambda runtime that stores the token it is given in S3."""
    cloud.client("s3").create_bucket(Bucket=BUCKET)
    cloud.lambdas.functions[FUNCTION] = FunctionSpec(
        logical_id="TokenKeeperFunction",
        name=FUNCTION,
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION}",
        handler="app.handler",
        code_dir=Path(__file__).parent / "token_lambda",
        runtime="python3.12",
        memory_mb=128,
        timeout_s=30,
        environment={},
        layers=(),
        layer_dirs=(),
    )
    yield
    cloud.lambdas.functions.pop(FUNCTION, None)


def _machine(cloud: LocalCloud, name: str, **timing: Any) -> str:
    """Wait for the token (``timing``: HeartbeatSeconds / TimeoutSeconds / Retry...), then Succeed; Catch
    ends in a Pass state that keeps the error."""
    definition = {
        "StartAt": "Wait for online evidence",
        "States": {
            "Wait for online evidence": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {
                    "FunctionName": FUNCTION,
                    "Payload": {"token.$": "$$.Task.Token", "bucket": BUCKET, "key.$": "$.key"},
                },
                "ResultPath": "$.decision",
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
                "Next": "Decided",
                **timing,
            },
            "Decided": {"Type": "Succeed"},
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    sfn = cloud.client("stepfunctions")
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)[
        "stateMachineArn"
    ]


def _start(cloud: LocalCloud, name: str, **timing: int) -> tuple[str, str]:
    """Start an execution; returns its ARN and the task token the Lambda stored."""
    arn = cloud.client("stepfunctions").start_execution(
        stateMachineArn=_machine(cloud, name, **timing), input=json.dumps({"key": f"tokens/{name}"})
    )["executionArn"]
    return arn, _stored_token(cloud, f"tokens/{name}")


def _stored_token(cloud: LocalCloud, key: str) -> str:
    s3 = cloud.client("s3")
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
        except ClientError:
            time.sleep(0.05)
    raise AssertionError(f"no token stored at {key}")


def _finished(cloud: LocalCloud, arn: str) -> dict[str, Any]:
    sfn = cloud.client("stepfunctions")
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return {"status": described["status"], **json.loads(described.get("output") or "{}")}
        time.sleep(0.05)
    raise AssertionError(f"{arn} still running")


def _error_code(call: Any, **kwargs: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call(**kwargs)
    return raised.value.response["Error"]["Code"]


def test_send_task_success_resumes_with_its_output(cloud: LocalCloud) -> None:
    arn, token = _start(cloud, "token-success", HeartbeatSeconds=5, TimeoutSeconds=30)
    time.sleep(0.3)
    assert cloud.client("stepfunctions").describe_execution(executionArn=arn)["status"] == "RUNNING"
    cloud.client("stepfunctions").send_task_success(
        taskToken=token, output=json.dumps({"winner": "candidate", "rows": 1200})
    )
    result = _finished(cloud, arn)
    assert result["status"] == "SUCCEEDED"
    assert result["decision"] == {"winner": "candidate", "rows": 1200}


def test_send_task_failure_goes_to_the_catch_with_its_error_and_cause(cloud: LocalCloud) -> None:
    arn, token = _start(cloud, "token-failure", TimeoutSeconds=30)
    cloud.client("stepfunctions").send_task_failure(
        taskToken=token, error="AbTest.ChampionFailed", cause="the champion variant answered ModelError"
    )
    result = _finished(cloud, arn)
    assert result["status"] == "SUCCEEDED"
    assert result["error"] == {
        "Error": "AbTest.ChampionFailed",
        "Cause": "the champion variant answered ModelError",
    }


def test_heartbeats_keep_the_task_alive_past_its_heartbeat_seconds(cloud: LocalCloud) -> None:
    arn, token = _start(cloud, "token-heartbeat", HeartbeatSeconds=1, TimeoutSeconds=30)
    sfn = cloud.client("stepfunctions")
    for _ in range(6):  # 2.4 s in all, well past the 1 s heartbeat
        time.sleep(0.4)
        sfn.send_task_heartbeat(taskToken=token)
    assert sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
    sfn.send_task_success(taskToken=token, output="{}")
    assert _finished(cloud, arn)["status"] == "SUCCEEDED"


def test_a_missed_heartbeat_is_states_heartbeat_timeout(cloud: LocalCloud) -> None:
    arn, token = _start(cloud, "token-no-heartbeat", HeartbeatSeconds=1, TimeoutSeconds=30)
    result = _finished(cloud, arn)
    assert result["error"]["Error"] == "States.HeartbeatTimeout"
    sfn = cloud.client("stepfunctions")
    assert _error_code(sfn.send_task_success, taskToken=token, output="{}") == "TaskTimedOut"
    assert _error_code(sfn.send_task_heartbeat, taskToken=token) == "TaskTimedOut"


def test_the_overall_timeout_is_states_timeout(cloud: LocalCloud) -> None:
    arn, token = _start(cloud, "token-timeout", TimeoutSeconds=1)
    result = _finished(cloud, arn)
    assert result["error"]["Error"] == "States.Timeout"
    sfn = cloud.client("stepfunctions")
    assert _error_code(sfn.send_task_failure, taskToken=token, error="Late") == "TaskTimedOut"


def test_a_duplicate_completion_is_refused_and_changes_nothing(cloud: LocalCloud) -> None:
    arn, token = _start(cloud, "token-duplicate", TimeoutSeconds=30)
    sfn = cloud.client("stepfunctions")
    sfn.send_task_success(taskToken=token, output=json.dumps({"winner": "candidate"}))
    # at once, while the execution may still be running, and again once it has ended
    assert (
        _error_code(sfn.send_task_success, taskToken=token, output='{"winner": "champion"}') == "TaskTimedOut"
    )
    result = _finished(cloud, arn)
    assert result["decision"] == {"winner": "candidate"}
    assert _error_code(sfn.send_task_failure, taskToken=token, error="Late") == "TaskTimedOut"
    assert _error_code(sfn.send_task_heartbeat, taskToken=token) == "TaskTimedOut"


def test_a_malformed_token_is_invalid_token(cloud: LocalCloud) -> None:
    sfn = cloud.client("stepfunctions")
    assert _error_code(sfn.send_task_success, taskToken="not-a-token", output="{}") == "InvalidToken"
    assert _error_code(sfn.send_task_failure, taskToken="not-a-token") == "InvalidToken"
    assert _error_code(sfn.send_task_heartbeat, taskToken="not-a-token") == "InvalidToken"


def test_a_retried_task_gets_a_new_token_and_the_old_one_is_refused(cloud: LocalCloud) -> None:
    retry = [{"ErrorEquals": ["States.HeartbeatTimeout"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    arn, first = _start(cloud, "token-retry", HeartbeatSeconds=1, TimeoutSeconds=30, Retry=retry)
    s3 = cloud.client("s3")
    s3.delete_object(Bucket=BUCKET, Key="tokens/token-retry")
    second = _stored_token(cloud, "tokens/token-retry")  # stored by the retry's invocation
    assert second != first
    sfn = cloud.client("stepfunctions")
    assert _error_code(sfn.send_task_success, taskToken=first, output="{}") == "TaskTimedOut"
    sfn.send_task_success(taskToken=second, output=json.dumps({"attempt": 2}))
    result = _finished(cloud, arn)
    assert result["status"] == "SUCCEEDED" and result["decision"] == {"attempt": 2}


# ================================================================================== the guard
def test_check_fails_loudly_when_moto_fixes_send_task_failure_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.stepfunctions.responses import StepFunctionResponse

    def send_task_failure(self: Any) -> Any:  # passes cause, as a fixed moto would
        return self.stepfunction_backend.send_task_failure("t", error="e", cause="c")

    was_installed = sfn_callbacks.installed()
    sfn_callbacks.uninstall()
    try:
        monkeypatch.setattr(StepFunctionResponse, "send_task_failure", send_task_failure)
        with pytest.raises(MotoHookMovedError, match="now passes cause"):
            sfn_callbacks.check()
    finally:
        monkeypatch.undo()
        if was_installed:
            sfn_callbacks.install()


def test_install_then_uninstall_restores_moto_exactly() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
        StateTaskServiceCallback,
    )
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend
    from moto.stepfunctions.responses import StepFunctionResponse

    owners = {
        StepFunctionsParserBackend: ("send_task_success", "send_task_failure", "send_task_heartbeat"),
        StepFunctionResponse: ("send_task_failure",),
        StateTaskServiceCallback: ("_evaluate_with_timeout", "_from_error"),
    }

    def hooked() -> dict[str, Any]:
        return {name: vars(owner).get(name) for owner, names in owners.items() for name in names}

    was_installed = sfn_callbacks.installed()
    sfn_callbacks.uninstall()
    try:
        before = hooked()
        sfn_callbacks.install()
        sfn_callbacks.install()  # idempotent
        assert all(hooked()[name] is not before[name] for name in before)
        sfn_callbacks.check()  # still passes with the hooks in place
        sfn_callbacks.uninstall()
        assert hooked() == before
    finally:
        if was_installed:
            sfn_callbacks.install()


def test_heartbeat_and_timeout_can_come_from_the_input(cloud: LocalCloud) -> None:
    """``HeartbeatSecondsPath`` / ``TimeoutSecondsPath``: the A/B test's limits can be template settings."""
    name = "token-paths"
    arn = cloud.client("stepfunctions").start_execution(
        stateMachineArn=_machine(
            cloud, name, HeartbeatSecondsPath="$.limits.heartbeat", TimeoutSecondsPath="$.limits.timeout"
        ),
        input=json.dumps({"key": f"tokens/{name}", "limits": {"heartbeat": 1, "timeout": 30}}),
    )["executionArn"]
    _stored_token(cloud, f"tokens/{name}")
    assert _finished(cloud, arn)["error"]["Error"] == "States.HeartbeatTimeout"
