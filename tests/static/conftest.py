"""Shared fixtures of the static checks: the SAM template, the ASL definition and its substitution.

Nothing here talks to AWS: ``resolve`` turns the CloudFormation intrinsics used in
``DefinitionSubstitutions`` into realistic sample values (parameter defaults, fake ARNs in us-east-1,
the Mapping entry of that region) so the definition can be linted as Step Functions would receive it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
DEFINITION = ROOT / "statemachine" / "retrain.asl.json"
ASL_LINT_DIR = ROOT / "tools" / "asl-lint"
REGION = "us-east-1"
ACCOUNT = "123456789012"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
SUB_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_:.]+)\}")


def load_template() -> dict[str, Any]:
    return cfn_yaml.load(str(TEMPLATE))


def resolve(value: Any, template: dict[str, Any]) -> str:
    """Sample value of one intrinsic as CloudFormation would resolve it in us-east-1."""
    resources = template["Resources"]
    parameters = template.get("Parameters", {})
    if isinstance(value, str | int | float):
        return str(value)
    if "Ref" in value:
        name = value["Ref"]
        if name == "AWS::Region":
            return REGION
        if name == "AWS::AccountId":
            return ACCOUNT
        if name == "AWS::StackName":
            return "drift-retrain"
        if name == "AWS::Partition":
            return "aws"
        if name in parameters:
            return str(parameters[name].get("Default", ""))
        kind = resources[name]["Type"]
        if kind == "AWS::Serverless::StateMachine":
            return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
        if kind == "AWS::SNS::Topic":
            return f"arn:aws:sns:{REGION}:{ACCOUNT}:{name}"
        return f"drift-retrain-{name}"
    if "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        name, attribute = target if isinstance(target, list) else target.split(".", 1)
        kind = resources[name]["Type"]
        if kind == "AWS::Serverless::StateMachine" and attribute == "Name":
            return name
        assert attribute == "Arn", f"unexpected GetAtt {name}.{attribute}"
        if kind == "AWS::Serverless::Function":
            return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:drift-retrain-{name}"
        if kind == "AWS::IAM::Role":
            return f"arn:aws:iam::{ACCOUNT}:role/drift-retrain-{name}"
        if kind == "AWS::S3::Bucket":
            return f"arn:aws:s3:::drift-retrain-{name.lower()}"
        if kind == "AWS::DynamoDB::Table":
            return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/drift-retrain-{name}"
        if kind == "AWS::Logs::LogGroup":
            return f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:drift-retrain-{name}:*"
        if kind == "AWS::CloudWatch::Alarm":
            return f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:drift-retrain-{name}"
        return f"arn:aws:unknown:{REGION}:{ACCOUNT}:{name}"
    if "Fn::FindInMap" in value:
        mapping, key, attribute = (resolve(part, template) for part in value["Fn::FindInMap"])
        return str(template["Mappings"][mapping][key][attribute])
    if "Fn::Sub" in value:
        text = value["Fn::Sub"]

        def variable(match: re.Match[str]) -> str:
            name = match.group(1)
            if "." in name and not name.startswith("AWS::"):
                return resolve({"Fn::GetAtt": name.split(".", 1)}, template)
            return resolve({"Ref": name}, template)

        return SUB_VARIABLE.sub(variable, text)
    raise AssertionError(f"unsupported intrinsic in DefinitionSubstitutions: {value!r}")


@pytest.fixture(scope="session")
def template() -> dict[str, Any]:
    return load_template()


@pytest.fixture(scope="session")
def state_machine(template: dict[str, Any]) -> dict[str, Any]:
    machines = [r for r in template["Resources"].values() if r["Type"] == "AWS::Serverless::StateMachine"]
    assert len(machines) == 1
    return machines[0]["Properties"]


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
