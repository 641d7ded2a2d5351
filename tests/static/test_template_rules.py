"""The template's ``Rules``: CloudFormation refuses parameter sets that would only fail later, in a run.

Each rule is evaluated as CloudFormation does (``RuleCondition``, then every ``Assert``) by the local
cloud's own check (a local deploy is refused likewise), on parameter sets that must pass and ones that
must be refused.
"""

from __future__ import annotations

from typing import Any

import pytest

from drift_retrain_local.exceptions import TemplateError
from drift_retrain_local.stack.deploy import deploy_stack
from drift_retrain_local.stack.template import StackTemplate
from drift_retrain_local.stack.template_rules import refused_rules

from .conftest import TEMPLATE

SUBNETS = "subnet-0123456789abcdef0"
GROUPS = "sg-0123456789abcdef0"


def refused_by(parameters: dict[str, Any]) -> list[str]:
    """Names of the rules whose assertions fail for ``parameters`` (others at their defaults)."""
    return list(refused_rules(StackTemplate.from_file(TEMPLATE, parameters=parameters)))


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


def test_the_local_cloud_refuses_to_deploy_what_cloudformation_would_refuse():
    template = StackTemplate.from_file(
        TEMPLATE, parameters={"PromotionMode": "ab", "VariantName": "Candidate"}
    )
    with pytest.raises(TemplateError, match="AbCandidateVariantName must differ from VariantName"):
        deploy_stack(template, session=None)  # refused before any AWS call
