"""``states:startExecution.sync:2`` on the embedded cloud behaves as on AWS (moto 5.2.5 sends and reads the
wrong names): the child runs on the definition's parameters, the parent gets the child's description in
PascalCase with its output as JSON, a failed child is ``States.TaskFailed`` with that description (the
child's own Error and Cause) as the cause, and the execution-following code reads the child's states
where the parent waits for it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from support.executions import ROLE, wait_until_done

from drift_retrain_local.cloud.local_cloud import LocalCloud
from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.run.observe import child_executions, execution_path
from drift_retrain_local.seams import sfn_child_executions

CHILD = {
    "StartAt": "Should it fail",
    "States": {
        "Should it fail": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "Fail with its own error"}],
            "Default": "Answer",
        },
        "Fail with its own error": {
            "Type": "Fail",
            "Error": "PhaseError",
            "CausePath": "States.Format('the phase failed on {}', $.x)",
        },
        "Answer": {"Type": "Pass", "Parameters": {"doubled.$": "States.MathAdd($.x, $.x)"}, "End": True},
    },
}


def _parent(child_arn: str) -> dict[str, Any]:
    return {
        "StartAt": "Run the phase",
        "States": {
            "Run the phase": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {
                    "StateMachineArn": child_arn,
                    "Name.$": "$$.Execution.Name",
                    "Input": {
                        "x.$": "$.x",
                        "fail.$": "$.fail",
                        "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id",
                    },
                },
                "ResultSelector": {"phase.$": "$"},
                "ResultPath": "$.run",
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.error", "Next": "Read it"}],
                "End": True,
            },
            "Read it": {
                "Type": "Pass",
                "Parameters": {"child.$": "States.StringToJson($.error.Cause)", "error.$": "$.error.Error"},
                "End": True,
            },
        },
    }


def _run(cloud: LocalCloud, name: str, child: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Run the parent as execution ``name`` (the child is started under the same name)."""
    sfn = cloud.client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"{name}-machine", definition=json.dumps(_parent(child)), roleArn=ROLE
    )
    started = sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], name=name, input=json.dumps(payload)
    )
    return wait_until_done(sfn, started["executionArn"])


@pytest.fixture(scope="module")
def child(cloud: LocalCloud) -> str:
    sfn = cloud.client("stepfunctions")
    return sfn.create_state_machine(name="phase", definition=json.dumps(CHILD), roleArn=ROLE)[
        "stateMachineArn"
    ]


def test_the_parent_waits_for_the_child_and_reads_its_output(cloud: LocalCloud, child: str) -> None:
    described = _run(cloud, "parent-ok", child, {"x": 4, "fail": False})
    assert described["status"] == "SUCCEEDED", described
    phase = json.loads(described["output"])["run"]["phase"]
    assert phase["Status"] == "SUCCEEDED"
    assert phase["Output"] == {"doubled": 8}  # .sync:2: the output as JSON, not a string
    assert phase["ExecutionArn"].endswith(":parent-ok") and phase["StateMachineArn"] == child
    assert phase["Input"]["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"] == described["executionArn"]
    assert phase["StopDate"].endswith("Z")


def test_a_failed_child_is_a_task_failure_that_carries_its_own_error(cloud: LocalCloud, child: str) -> None:
    described = _run(cloud, "parent-fails", child, {"x": 5, "fail": True})
    output = json.loads(described["output"])
    assert output["error"] == "States.TaskFailed"
    assert output["child"]["Status"] == "FAILED"
    assert (output["child"]["Error"], output["child"]["Cause"]) == ("PhaseError", "the phase failed on 5")


def test_the_execution_path_follows_the_child(cloud: LocalCloud, child: str) -> None:
    sfn = cloud.client("stepfunctions")
    described = _run(cloud, "parent-path", child, {"x": 1, "fail": True})
    arn = described["executionArn"]
    [child_arn] = child_executions(sfn, arn).values()
    assert child_arn == child.replace(":stateMachine:", ":execution:") + ":parent-path"
    assert execution_path(sfn, arn) == [
        "Run the phase",
        "Should it fail",
        "Fail with its own error",
        "Read it",
    ]


def test_the_hooks_are_where_the_pinned_moto_has_them() -> None:
    sfn_child_executions.check()
    assert sfn_child_executions.installed() is False or sfn_child_executions.POLL_SECONDS < 0.5


def test_a_moved_hook_fails_loudly(monkeypatch) -> None:
    target = sfn_child_executions._sfn_class()
    monkeypatch.setattr(target, "_normalise_response", lambda *a, **k: None, raising=False)
    with pytest.raises(MotoHookMovedError, match="_normalise_response"):
        sfn_child_executions.check()
