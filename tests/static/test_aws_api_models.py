"""Every Task's Parameters against botocore's service model of the API it calls.

Members exist, required members are present, static values have the member's type, enum value, range,
length and pattern; a template parameter or setting that reaches a member is checked at its Default,
MinValue, MaxValue and AllowedValues, and must be bounded where the API is (see ``aws_fidelity``). moto accepts
any of these mistakes; AWS refuses the execution at that state.
"""

from __future__ import annotations

import copy

import pytest

from .aws_fidelity import botocore_model, check_definition, tasks
from .conftest import iter_states


def _state(definition, name):
    return dict(iter_states(definition["States"]))[name]


def test_every_task_parameter_fits_the_api_model(workflow, template_with_settings, substitutions):
    problems, bindings = check_definition(workflow, template_with_settings, substitutions)
    assert problems == []
    # The check reached the members that matter (a resolver that finds nothing would pass trivially).
    where = {w for w, _, _ in bindings}
    assert any(w.endswith("TrafficRoutingConfiguration.CanarySize.Value") for w in where)
    assert any(w.endswith("StoppingCondition.MaxWaitTimeInSeconds") for w in where)
    assert any(w.endswith("ProductionVariants[0].InitialInstanceCount") for w in where)


def test_every_task_calls_an_operation_of_the_service_model(workflow):
    seen = {(t.service, t.operation.name) for t in tasks(workflow)}
    assert ("sagemaker", "UpdateEndpoint") in seen
    assert ("sfn", "DescribeExecution") in seen
    assert ("dynamodb", "PutItem") in seen
    assert ("states", "StartExecution") in seen
    for service, operation in seen:
        assert operation in botocore_model(service).operation_names


def _plant(definition, template, substitutions, plant):
    definition, template = copy.deepcopy(definition), copy.deepcopy(template)
    plant(definition, template)
    return check_definition(definition, template, substitutions)[0]


PLANTED = {
    "wrong enum": (
        lambda d, t: _state(d, "Train candidate model")["Parameters"]["AlgorithmSpecification"].update(
            TrainingInputMode="Files"
        ),
        "is not one of TrainingInputMode's values",
    ),
    "wrong enum behind a variable": (
        lambda d, t: _state(d, "Is this the first deployment")["Choices"][2]["Assign"]["traffic_routing"][
            "CanarySize"
        ].update(Type="PERCENT"),
        "is not one of CapacitySizeType's values",
    ),
    "misspelled member": (
        lambda d, t: _state(d, "Score champion on held-out rows")["Parameters"].update(MaxPayloadInMb=6),
        "has no member 'MaxPayloadInMb'",
    ),
    "missing required member": (
        lambda d, t: _state(d, "Create candidate model")["Parameters"].pop("ModelName.$"),
        "required member 'ModelName'",
    ),
    "default outside the API range": (
        lambda d, t: t["Parameters"]["DeploymentMaxExecutionSeconds"].update(Default=60),
        "60 outside 600..28800",
    ),
    "unbounded parameter": (
        lambda d, t: t["Parameters"]["DeploymentWaitIntervalSeconds"].pop("MaxValue"),
        "no MaxValue, but WaitIntervalInSeconds allows at most 3600",
    ),
    "string parameter longer than the API allows": (
        lambda d, t: t["Parameters"]["EndpointName"].update(MaxLength=80),
        "MaxLength 80 > EndpointName's 63",
    ),
    "static value outside its range": (
        lambda d, t: _state(d, "Score champion on held-out rows")["Parameters"].update(MaxPayloadInMB=-1),
        "-1 outside 0..None",
    ),
}


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_the_check_fails_on_a_planted_error(workflow, template_with_settings, substitutions, case):
    plant, expected = PLANTED[case]
    problems = _plant(workflow, template_with_settings, substitutions, plant)
    assert any(expected in p for p in problems), problems
