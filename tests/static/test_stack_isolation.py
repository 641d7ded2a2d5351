"""Two stacks in one account never touch each other's SageMaker resources (issue 9, item 8).

Everything the workflow creates is tagged with its stack, and empty name parameters take names derived
from the stack's id, so two stacks left on the defaults differ in endpoint and name prefix.
"""

from __future__ import annotations

from drift_retrain_local.stack.template import StackTemplate

from .conftest import TEMPLATE, iter_states

CREATES = {
    "createTrainingJob",
    "createHyperParameterTuningJob",
    "createTransformJob",
    "createModel",
    "createEndpointConfig",
    "createEndpoint",
}


def test_every_sagemaker_create_tags_the_stack(workflow, substitutions):
    creates = [
        (name, state)
        for name, state in iter_states(workflow["States"])
        if state.get("Type") == "Task"
        and "sagemaker:" in state.get("Resource", "")
        and state["Resource"].rsplit(":", 1)[1].removesuffix(".sync") in CREATES
    ]
    assert len(creates) >= 6
    for name, state in creates:
        tags = {tag["Key"]: tag.get("Value") for tag in state["Parameters"].get("Tags", [])}
        assert tags.get("drift-retrain:stack") == "${StackName}", name
    assert substitutions["StackName"] == "drift-retrain"


def _names(stack_name: str) -> tuple[str, str]:
    stack = StackTemplate.from_file(TEMPLATE, stack_name=stack_name)
    environment = stack.function("PromoteModelFunction").environment
    endpoint = stack.function("DetectDriftFunction").environment["ENDPOINT_NAME"]
    return environment["MODEL_NAME_PREFIX"], endpoint


def test_two_stacks_on_the_defaults_get_different_names():
    (prefix_a, endpoint_a), (prefix_b, endpoint_b) = _names("stack-a"), _names("stack-b")
    assert prefix_a != prefix_b and endpoint_a != endpoint_b
    assert len(prefix_a) == 9 and prefix_a.startswith("d")
    assert endpoint_a.startswith("drift-retrain-") and len(endpoint_a) == 22
    assert not prefix_a.startswith(prefix_b) and not prefix_b.startswith(prefix_a)


def test_names_given_by_hand_are_used_as_given():
    stack = StackTemplate.from_file(
        TEMPLATE, stack_name="s", parameters={"ModelNamePrefix": "mine", "EndpointName": "my-endpoint"}
    )
    assert stack.function("PromoteModelFunction").environment["MODEL_NAME_PREFIX"] == "mine"
    assert stack.function("DetectDriftFunction").environment["ENDPOINT_NAME"] == "my-endpoint"
    assert "my-endpoint" in stack.state_machine_definition("RetrainStateMachine")
