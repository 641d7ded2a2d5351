"""The template's ``Rules``: CloudFormation refuses parameter sets that would only fail later, in a run.

Each rule is evaluated as CloudFormation does (``RuleCondition``, then every ``Assert``) with the local
cloud's resolver, on parameter sets that must pass and ones that must be refused.
"""

from __future__ import annotations

from typing import Any

import pytest

from drift_retrain_local.template import StackTemplate

from .conftest import TEMPLATE

SUBNETS = "subnet-0123456789abcdef0"
GROUPS = "sg-0123456789abcdef0"


def refused_by(parameters: dict[str, Any]) -> list[str]:
    """Names of the rules whose assertions fail for ``parameters`` (others at their defaults)."""
    stack = StackTemplate.from_file(TEMPLATE, parameters=parameters)
    refused = []
    for name, rule in (stack.document.get("Rules") or {}).items():
        if "RuleCondition" in rule and not stack.resolve(rule["RuleCondition"]):
            continue
        if not all(stack.resolve(assertion["Assert"]) for assertion in rule["Assertions"]):
            refused.append(name)
    return refused


@pytest.mark.parametrize(
    "parameters",
    [
        {},
        {"SageMakerSubnetIds": SUBNETS, "SageMakerSecurityGroupIds": GROUPS},
        {"PromotionMode": "ab"},
        {"PromotionMode": "ab", "VariantName": "Champion", "AbCandidateVariantName": "AllTraffic"},
        # replace mode never creates the candidate variant, so its name does not matter
        {"VariantName": "Candidate"},
    ],
)
def test_valid_parameters_pass_every_rule(parameters):
    assert refused_by(parameters) == []


@pytest.mark.parametrize(
    ("parameters", "rule"),
    [
        ({"SageMakerSubnetIds": SUBNETS}, "SageMakerVpcNeedsSubnetsAndSecurityGroups"),
        ({"SageMakerSecurityGroupIds": GROUPS}, "SageMakerVpcNeedsSubnetsAndSecurityGroups"),
        ({"PromotionMode": "ab", "VariantName": "Candidate"}, "AbCandidateVariantNeedsItsOwnName"),
        (
            {"PromotionMode": "ab", "VariantName": "Blue", "AbCandidateVariantName": "Blue"},
            "AbCandidateVariantNeedsItsOwnName",
        ),
    ],
)
def test_parameters_that_would_fail_in_a_run_are_refused_at_deploy(parameters, rule):
    assert refused_by(parameters) == [rule]
