"""Every ErrorEquals name can actually be raised by the integration it guards.

A Retry or Catch on a name no integration raises never matches: the error falls through to the next
rule (often ``States.ALL``), so a throttled call fails the run instead of being retried. moto's
interpreter names errors its own way, so only this table ties the names to AWS's. How each kind of
integration names its errors, with the page that says so:

| integration | error name | source |
|---|---|---|
| optimized (``sagemaker:``, ``dynamodb:``) | ``<Service>.<exception class>``; an error the API model does not declare (throttling, validation) is the SDK's service exception ``SageMaker.AmazonSageMakerException`` / ``DynamoDB.AmazonDynamoDBException`` | connect-sagemaker (its training-job example retries ``SageMaker.AmazonSageMakerException`` and ``SageMaker.ResourceLimitExceededException``): https://docs.aws.amazon.com/step-functions/latest/dg/connect-sagemaker.html |
| optimized ``dynamodb:`` | the API's error code, or that code with an ``Exception`` suffix (the SDK's class name): which of the two AWS reports is not documented, so both are allowed and the definition lists both | https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html, docs/aws-notes.md |
| ``lambda:invoke`` | ``Lambda.ClientExecutionTimeoutException``, ``Lambda.ServiceException``, ``Lambda.AWSLambdaException``, ``Lambda.SdkClientException``, ``Lambda.TooManyRequestsException``, ``Lambda.Unknown``; a function error is named after its ``errorType`` (our exception classes) | https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html |
| ``aws-sdk:<service>:`` | "``ServiceName.ErrorName``", both in Pascal case, always with the ``Exception`` suffix; an error the model does not declare is ``<Service>.<Service>Exception`` (``SageMaker.SageMakerException``, ``Sfn.SfnException``) | https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html |
| optimized ``states:startExecution.sync:2`` | a child execution that fails, times out or is aborted is ``States.TaskFailed`` (its description as the cause); a refused start is ``StepFunctions.<exception class>`` | https://docs.aws.amazon.com/step-functions/latest/dg/connect-stepfunctions.html |
| any | the reserved ``States.*`` names | https://states-language.net/spec.html#appendix-a |

The declared errors of each operation come from botocore's service model.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

import pytest

import drift_retrain.aws.exceptions
import drift_retrain.exceptions
import drift_retrain.workflow.shared.exceptions

from .aws_fidelity import Task, tasks
from .conftest import iter_states

STATES_ERRORS = {
    "States.ALL", "States.HeartbeatTimeout", "States.Timeout", "States.TaskFailed", "States.Permissions",
    "States.ResultPathMatchFailure", "States.ParameterPathFailure", "States.BranchFailed",
    "States.NoChoiceMatched", "States.IntrinsicFailure", "States.ExceedToleratedFailureThreshold",
    "States.ItemReaderFailed", "States.ResultWriterFailed", "States.QueryEvaluationError", "States.Runtime",
    "States.DataLimitExceeded",
}  # fmt: skip
#: The name Step Functions gives each service in error names.
PREFIX = {
    "sagemaker": "SageMaker",
    "dynamodb": "DynamoDB",
    "sfn": "Sfn",
    "lambda": "Lambda",
    "states": "StepFunctions",
}
#: Optimized integrations: the SDK's service exception, for errors the API model does not declare.
OPTIMIZED_BASE = {
    "sagemaker": "AmazonSageMakerException",
    "dynamodb": "AmazonDynamoDBException",
    "states": "AWSStepFunctionsException",
}
LAMBDA_SERVICE_ERRORS = {
    "ClientExecutionTimeoutException", "ServiceException", "AWSLambdaException", "SdkClientException",
    "TooManyRequestsException", "Unknown",
}  # fmt: skip


def _exception_suffix(name: str) -> str:
    return name if name.endswith("Exception") else f"{name}Exception"


def _function_errors() -> set[str]:
    """Our Lambdas raise these; Step Functions names a function error after the class."""
    modules = (
        drift_retrain.exceptions,
        drift_retrain.workflow.shared.exceptions,
        drift_retrain.aws.exceptions,
    )
    return {
        name
        for module in modules
        for name, value in vars(module).items()
        if inspect.isclass(value) and issubclass(value, Exception)
    }


def allowed_names(task: Task) -> set[str]:
    prefix = PREFIX[task.service]
    declared = [shape.name for shape in task.operation.error_shapes]
    if task.service == "lambda":
        names = LAMBDA_SERVICE_ERRORS | {_exception_suffix(d) for d in declared}
        return STATES_ERRORS | {f"{prefix}.{n}" for n in names} | _function_errors()
    if task.sdk:
        names = {_exception_suffix(d) for d in declared} | {f"{prefix}Exception"}
    else:
        names = {_exception_suffix(d) for d in declared} | {OPTIMIZED_BASE[task.service]}
        if task.service == "dynamodb":
            names |= set(declared)
    return STATES_ERRORS | {f"{prefix}.{n}" for n in names}


def _used(state: dict[str, Any]) -> list[str]:
    return [n for rule in state.get("Retry", []) + state.get("Catch", []) for n in rule["ErrorEquals"]]


def _branch_tasks(state: dict[str, Any]) -> list[dict[str, Any]]:
    inner = {}
    for branch in state.get("Branches", []):
        inner.update(branch["States"])
    processor = state.get("ItemProcessor") or state.get("Iterator")
    if processor:
        inner.update(processor["States"])
    return [s for _, s in iter_states(inner)]


def error_name_problems(definition: dict[str, Any]) -> list[str]:
    by_state = {id(t.state): t for t in tasks(definition)}
    problems = []
    for name, state in iter_states(definition["States"]):
        if state["Type"] == "Task":
            allowed = allowed_names(by_state[id(state)])
        elif state["Type"] in {"Parallel", "Map"}:
            allowed = STATES_ERRORS | {
                n
                for inner in _branch_tasks(state)
                if id(inner) in by_state
                for n in allowed_names(by_state[id(inner)])
            }
        else:
            continue
        problems += [
            f"{name}: {error} is never raised there" for error in _used(state) if error not in allowed
        ]
    return problems


def test_every_error_name_is_one_its_integration_raises(workflow):
    assert error_name_problems(workflow) == []


def test_throttling_is_retried_under_the_names_aws_uses(workflow):
    """The names of findings 3: throttling surfaces as the service exception of each integration (a phase's
    start is not retried: a refused start ends the run on the failure path)."""
    for task in tasks(workflow):
        if task.service == "states":
            assert "Retry" not in task.state, task.label
            continue
        retried = {n for rule in task.state.get("Retry", []) for n in rule["ErrorEquals"]}
        expected = {
            ("sagemaker", False): "SageMaker.AmazonSageMakerException",
            ("sagemaker", True): "SageMaker.SageMakerException",
            ("sfn", True): "Sfn.SfnException",
            ("dynamodb", False): "DynamoDB.AmazonDynamoDBException",
            ("lambda", False): "Lambda.TooManyRequestsException",
        }[(task.service, task.sdk)]
        assert expected in retried, task.label


def _state(definition, name):
    return dict(iter_states(definition["States"]))[name]


PLANTED = {
    "SageMaker has no ThrottlingException": (
        lambda d: _state(d, "Find champion endpoint")["Retry"][0]["ErrorEquals"].append("SageMaker.ThrottlingException"),
        "Find champion endpoint: SageMaker.ThrottlingException",
    ),
    "aws-sdk name on an optimized integration": (
        lambda d: _state(d, "Create candidate model")["Retry"][0]["ErrorEquals"].append("SageMaker.SageMakerException"),
        "Create candidate model: SageMaker.SageMakerException",
    ),
    "DescribeExecution raises no ThrottlingException": (
        lambda d: _state(d, "Check lock holder execution")["Retry"][0]["ErrorEquals"].append("Sfn.ThrottlingException"),
        "Sfn.ThrottlingException",
    ),
    "unknown name in a Map": (
        lambda d: _state(d, "Train and score each candidate").setdefault("Catch", []).append(
            {"ErrorEquals": ["SageMaker.CapacityError"], "Next": "Candidate failed"}
        ),
        "SageMaker.CapacityError",
    ),
    "a child's error name where only States.TaskFailed arrives": (
        lambda d: _state(d, "Score candidates and champion on held-out rows")["Catch"][0]["ErrorEquals"].append(
            "SageMaker.ResourceLimitExceededException"
        ),
        "SageMaker.ResourceLimitExceededException",
    ),
    "misspelled States name": (
        lambda d: _state(d, "Prepare training data")["Catch"][0]["ErrorEquals"].append("States.Timeouts"),
        "States.Timeouts",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_the_check_fails_on_a_planted_error(workflow, case):
    plant, expected = PLANTED[case]
    planted = copy.deepcopy(workflow)
    plant(planted)
    assert any(expected in p for p in error_name_problems(planted)), error_name_problems(planted)
