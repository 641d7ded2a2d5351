"""Shared fixtures of the static checks: the SAM template, the ASL definition and its substitution.

Nothing here talks to AWS: ``resolve`` turns the CloudFormation intrinsics used in
``DefinitionSubstitutions`` and the IAM policies into realistic sample values (parameter defaults, ARNs
in us-east-1, the Mapping entry of that region) with the local cloud's own resolver, so the definition is
linted as Step Functions would receive it.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

from drift_retrain_local.stack.template import StackTemplate

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
DEFINITION = ROOT / "statemachine" / "retrain.asl.json"
ASL_LINT_DIR = ROOT / "tools" / "asl-lint"
REGION = "us-east-1"
ACCOUNT = "123456789012"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def load_template() -> dict[str, Any]:
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
def substitutions(template: dict[str, Any], state_machine: dict[str, Any]) -> dict[str, str]:
    return {key: resolve(value, template) for key, value in state_machine["DefinitionSubstitutions"].items()}


@pytest.fixture(scope="session")
def substituted_definition(definition_text: str, substitutions: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: substitutions[m.group(1)], definition_text)


def iter_states(states: dict[str, Any]):
    """Every (name, state) pair, Parallel branches and Map processors included."""
    for name, state in states.items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from iter_states(branch["States"])
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from iter_states(processor["States"])
