"""Shared fixtures of the static checks: the SAM template, the ASL definition and its substitution.

Nothing here talks to AWS: ``resolve`` turns the CloudFormation intrinsics used in
``DefinitionSubstitutions`` and the IAM policies into realistic sample values (parameter defaults, ARNs
in us-east-1, the Mapping entry of that region) with the local cloud's own resolver, so the definition is
linted as Step Functions would receive it.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from typing import Any

import pytest
from support.paths import DEFINITION, ROOT, TEMPLATE

from drift_retrain.settings.schema import SETTINGS
from drift_retrain_local.stack.template import StackTemplate

ASL_LINT_DIR = ROOT / "tools" / "asl-lint"
REGION = "us-east-1"
ACCOUNT = "123456789012"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def load_template() -> dict[str, Any]:
    from cfnlint.decode import cfn_yaml  # here, not at collection: half a second of import per worker

    return cfn_yaml.load(str(TEMPLATE))


def resolve(value: Any, template: dict[str, Any] | None = None) -> str:
    """Sample value of one intrinsic as CloudFormation would resolve it: the local cloud's resolver (one
    resolver for the template, whether deployed locally or checked here), on the template's defaults."""
    resolved = _stack().resolve(value)
    assert isinstance(resolved, str | int | float | bool), f"{value!r} resolves to {resolved!r}"
    return str(resolved)


#: Optional parameters whose default ("" = off) leaves statements and fields out: the static checks resolve
#: the template with them on, so what they add is checked too.
OPTIONS_ON = {
    "SageMakerKmsKeyArn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
}


@functools.cache
def _stack() -> StackTemplate:
    return StackTemplate.from_file(
        TEMPLATE, stack_name="drift-retrain", region=REGION, account_id=ACCOUNT, parameters=OPTIONS_ON
    )


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="session")
def state_machine(template: dict[str, Any]) -> dict[str, Any]:
    """The retrain workflow's resource (the partition check's is checked in test_partition_check.py)."""
    machine = template["Resources"]["RetrainStateMachine"]
    assert machine["Type"] == "AWS::Serverless::StateMachine"
    assert machine["Properties"]["DefinitionUri"] == "statemachine/retrain.asl.json"
    return machine["Properties"]


@pytest.fixture(scope="session")
def definition_text() -> str:
    return DEFINITION.read_text()


@pytest.fixture(scope="session")
def definition(definition_text: str) -> dict[str, Any]:
    return json.loads(definition_text)


@pytest.fixture(scope="session")
def substitutions(template: dict[str, Any], state_machine: dict[str, Any], machines) -> dict[str, str]:
    """The workflow's resolved substitutions, and its phases' (one name means one value in each)."""
    every = [state_machine] + [m["properties"] for m in machines.values()]
    return {
        key: resolve(value, template)
        for properties in every
        for key, value in properties.get("DefinitionSubstitutions", {}).items()
    }


@pytest.fixture(scope="session")
def substituted_definition(definition_text: str, substitutions: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: substitutions[m.group(1)], definition_text)


#: The resource of a Task that runs a phase of the workflow as a child state machine and waits for it.
PHASE_RESOURCE = "arn:aws:states:::states:startExecution.sync:2"


def phase_machines(
    template: dict[str, Any], definition: dict[str, Any], machine: dict[str, Any]
) -> dict[str, str]:
    """The Task states of ``definition`` that start a child state machine -> its logical id in the
    template (through the ``StateMachineArn`` placeholder's substitution, ``!Ref <child>``)."""
    found = {}
    for name, state in iter_states(definition["States"]):
        if state.get("Resource") == PHASE_RESOURCE:
            placeholder = PLACEHOLDER.fullmatch(state["Parameters"]["StateMachineArn"])
            assert placeholder, f"{name}: StateMachineArn must come from DefinitionSubstitutions"
            logical_id = machine["DefinitionSubstitutions"][placeholder.group(1)]["Ref"]
            assert template["Resources"][logical_id]["Type"] == "AWS::Serverless::StateMachine"
            found[name] = logical_id
    return found


@pytest.fixture(scope="session")
def machines(
    template: dict[str, Any], definition: dict[str, Any], state_machine: dict[str, Any]
) -> dict[str, Any]:
    """The retraining workflow and each phase it starts as a child state machine: logical id ->
    ``{"properties", "definition", "text"}`` (the partition check is checked in test_partition_check.py)."""
    found = {"RetrainStateMachine": state_machine}
    for logical_id in phase_machines(template, definition, state_machine).values():
        found[logical_id] = template["Resources"][logical_id]["Properties"]
    out = {}
    for logical_id, properties in found.items():
        text = (ROOT / properties["DefinitionUri"]).read_text()
        out[logical_id] = {"properties": properties, "definition": json.loads(text), "text": text}
    return out


@pytest.fixture(scope="session")
def workflow(
    template: dict[str, Any], definition: dict[str, Any], state_machine: dict[str, Any], machines
) -> dict[str, Any]:
    """The retraining workflow as one tree: each Task that starts a phase holds the phase's definition as
    its only branch (``Branches``), so ``iter_states`` and the scope walks reach every state an execution
    of the workflow can enter, in whichever state machine it is."""
    tree = copy.deepcopy(definition)
    nested = dict(iter_states(tree["States"]))
    for name, logical_id in phase_machines(template, definition, state_machine).items():
        nested[name]["Branches"] = [copy.deepcopy(machines[logical_id]["definition"])]
    return tree


def substitute(text: str, properties: dict[str, Any], template: dict[str, Any]) -> str:
    """A definition's text with its ``DefinitionSubstitutions`` resolved as CloudFormation would."""
    values = {
        key: resolve(value, template) for key, value in properties.get("DefinitionSubstitutions", {}).items()
    }
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


def iter_states(states: dict[str, Any]):
    """Every (name, state) pair, Parallel branches and Map processors included."""
    for name, state in states.items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from iter_states(branch["States"])
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from iter_states(processor["States"])


def setting_specs() -> dict[str, dict[str, Any]]:
    """Every setting of the schema shaped as a template parameter (``Default``, ``MinValue``, ``MaxValue``,
    ``AllowedValues``), under the name the template reads it by (``!GetAtt ValidatedSettings.<Name>``), so
    a range check reads a setting as it reads a parameter."""
    specs = {}
    for setting in SETTINGS:
        spec: dict[str, Any] = {
            "Type": "Number" if setting.kind in ("int", "number") else "String",
            "Default": setting.default,
        }
        if setting.limits is not None and setting.limits.low is not None:
            spec["MinValue"] = setting.limits.low
        if setting.limits is not None and setting.limits.high is not None:
            spec["MaxValue"] = setting.limits.high
        if setting.kind == "choice":
            spec["AllowedValues"] = list(setting.choices)
        if setting.kind == "bool":
            spec["AllowedValues"] = ["true", "false"]
            spec["Default"] = "true" if setting.default else "false"
        specs[setting.attribute] = spec
    return specs


@pytest.fixture
def specs(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The template's parameters and the settings, by the name the template reads each one by (a fresh
    copy per test: tests plant ranges in it)."""
    parameters = copy.deepcopy(template["Parameters"])
    overlap = set(parameters) & {setting.attribute for setting in SETTINGS}
    assert not overlap, f"both a parameter and a setting: {overlap}"
    return {**parameters, **setting_specs()}


@pytest.fixture
def template_with_settings(template: dict[str, Any], specs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The template with every setting beside its parameters (``specs``), for checks that follow a value
    from ``DefinitionSubstitutions`` to its declared range, whichever of the two declares it."""
    return {**template, "Parameters": specs}


def source_name(value: Any) -> str:
    """The parameter (``!Ref X``) or setting (``!GetAtt ValidatedSettings.X``) a template value reads."""
    if "Ref" in value:
        return value["Ref"]
    logical_id, attribute = value["Fn::GetAtt"]
    assert logical_id == "ValidatedSettings", value
    return attribute
