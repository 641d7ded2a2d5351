"""Every IAM action of the template against the Service Authorization Reference.

IAM accepts a policy with a misspelled action, a resource ARN of the wrong type or a condition key the
action never sets, and then silently denies; moto does not evaluate IAM at all. The reference is
policy_sentry's bundled copy of https://docs.aws.amazon.com/service-authorization/latest/reference/
(pinned in pyproject.toml). For every Allow and Deny statement of every role, function and resource
policy: the action exists (spelled as the reference spells it); each resource ARN matches one of the
action's resource types (``*`` only where the action takes no resource); each condition key is global
(``aws:``) or one the action supports.
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from functools import cache
from typing import Any

import pytest
from policy_sentry.querying.actions import get_action_data

from .conftest import resolve

_VARIABLE = re.compile(r"\$\{(\w+)\}")
_VARIABLE_PATTERN = {"Partition": "aws[a-z-]*", "Region": "[a-z0-9-]*", "Account": r"\d*"}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(owner, statement) of every IAM role, SAM function policy, bucket policy and topic policy."""
    found = []
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        kind = resource["Type"]
        if kind == "AWS::IAM::Role":
            for policy in properties.get("Policies", []):
                found += [(logical_id, s) for s in policy["PolicyDocument"]["Statement"]]
        elif kind == "AWS::Serverless::Function":
            for policy in _as_list(properties.get("Policies", [])):
                found += [(logical_id, s) for s in policy["Statement"]]
        elif kind == "AWS::IAM::RolePolicy":
            # A policy only some parameters add (Condition), owned by the role it is attached to.
            owner = properties["RoleName"]["Ref"]
            found += [(owner, s) for s in properties["PolicyDocument"]["Statement"]]
        elif kind in {"AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy"}:
            found += [(logical_id, s) for s in properties["PolicyDocument"]["Statement"]]
    return found


@cache
def _reference(action: str) -> tuple[dict[str, Any], ...]:
    service, name = action.split(":", 1)
    return tuple(get_action_data(service, name).get(service, []))


@cache
def _arn_pattern(arn_format: str) -> re.Pattern[str]:
    parts = _VARIABLE.split(arn_format)
    regex = "".join(
        re.escape(part) if i % 2 == 0 else _VARIABLE_PATTERN.get(part, ".+") for i, part in enumerate(parts)
    )
    return re.compile(regex)


def _key_allowed(key: str, allowed: set[str]) -> bool:
    if key.startswith("aws:"):
        return True
    return any(re.fullmatch(_VARIABLE.sub(".+", re.escape(a).replace(r"\$\{", "${").replace(r"\}", "}")), key)
               or a == key for a in allowed)  # fmt: skip


def _fits(resource: str, formats: set[str]) -> bool:
    return resource == "*" or any(_arn_pattern(f).fullmatch(resource) for f in formats - {"*"})


def statement_problems(owner: str, statement: dict[str, Any], template: dict[str, Any]) -> list[str]:
    """A statement may list several actions and resources (each action applies where its type fits), but
    every action needs a resource of its type, and every resource must serve one of the actions."""
    problems = []
    where = f"{owner}/{statement.get('Sid', '?')}"
    resources = [resolve(r, template) for r in _as_list(statement.get("Resource", "*"))]
    keys = {key for operator in statement.get("Condition", {}).values() for key in operator}
    served: set[str] = set()
    for action in _as_list(statement["Action"]):
        if action.endswith(":*"):  # a service wildcard (the Deny-insecure-transport statements)
            served |= set(resources)
            continue
        entries = _reference(action)
        if not entries:
            problems.append(f"{where}: {action} is not an action of the Service Authorization Reference")
            served |= set(resources)
            continue
        if entries[0]["action"] != action:
            problems.append(f"{where}: {action} is spelled {entries[0]['action']} in the reference")
        formats = {e["resource_arn_format"] for e in entries}
        fitting = {r for r in resources if _fits(r, formats)}
        served |= fitting
        if formats == {"*"} and "*" not in resources:
            problems.append(f"{where}: {action} takes no resource ARN, but {resources} are named")
        elif not fitting:
            problems.append(
                f"{where}: none of {resources} is a resource type of {action} ({sorted(formats)})"
            )
        allowed = {key for e in entries for key in e["condition_keys"]}
        problems += [
            f"{where}: condition key {key} does not apply to {action}"
            for key in sorted(keys)
            if not _key_allowed(key, allowed)
        ]
    problems += [
        f"{where}: {r} is a resource type of none of its actions" for r in resources if r not in served
    ]
    return problems


def template_problems(template: dict[str, Any]) -> list[str]:
    return [p for owner, s in statements(template) for p in statement_problems(owner, s, template)]


def test_every_action_resource_and_condition_key_is_in_the_reference(template):
    assert len(statements(template)) > 40  # every policy was found
    assert template_problems(template) == []


def _statement(template, owner, sid):
    return next(s for o, s in statements(template) if o == owner and s.get("Sid") == sid)


PLANTED = {
    "misspelled action": (
        lambda t: _statement(t, "DeployStateMachineRole", "DeployToTheEndpoint")["Action"].append(
            "sagemaker:DescribeEndpiont"
        ),
        "sagemaker:DescribeEndpiont is not an action",
    ),
    "wrong case": (
        lambda t: _statement(t, "NotifyFunction", "Publish").update(Action="sns:publish"),
        "sns:publish is spelled sns:Publish",
    ),
    "resource of another type": (
        lambda t: _statement(t, "TrainAndScoreStateMachineRole", "TrainCandidate").update(
            Resource={
                "Fn::Sub": "arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:transform-job/x-*"
            }
        ),
        "is a resource type of sagemaker:DescribeTrainingJob",
    ),
    "condition key the action does not set": (
        lambda t: _statement(t, "DetectDriftFunction", "ListBaselineSoMissingProfileIsNotFound")[
            "Condition"
        ].update(StringEquals={"s3:prefixes": "baseline/"}),
        "condition key s3:prefixes does not apply to s3:ListBucket",
    ),
    "named resource for an action without resource types": (
        lambda t: _statement(t, "SageMakerExecutionRole", "EcrTokenHasNoResourceLevelPermissions").update(
            Resource={"Fn::GetAtt": ["DataBucket", "Arn"]}
        ),
        "ecr:GetAuthorizationToken takes no resource ARN",
    ),
}


@pytest.mark.parametrize("case", sorted(PLANTED))
def test_the_check_fails_on_a_planted_error(template, case):
    plant, expected = PLANTED[case]
    planted = copy.deepcopy(template)
    plant(planted)
    problems = template_problems(planted)
    assert any(expected in p for p in problems), problems


# ------------------------------------------------------------------------------------------ S3 404 vs 403
def _prefixes(statement: dict[str, Any]) -> set[str] | None:
    """The s3:prefix patterns a ListBucket statement allows (None: any prefix)."""
    condition = statement.get("Condition")
    if not condition:
        return None
    return {p for operator in condition.values() for p in _as_list(operator.get("s3:prefix", []))}


def test_every_prefix_a_principal_reads_it_may_also_list(template):
    """S3 answers a GetObject of a missing key with 404 only to a caller with s3:ListBucket, otherwise 403
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html). A prefix-conditioned grant does
    not count for a GetObject (it carries no s3:prefix), so the storage adapter confirms a 403 with a
    listing of the key (``drift_retrain.aws.storage``): that listing must be allowed for every prefix the
    principal reads. docs/aws-notes.md, finding 6."""
    bucket = resolve({"Fn::GetAtt": ["DataBucket", "Arn"]}, template)
    reads, lists = defaultdict(set), defaultdict(set)
    for owner, statement in statements(template):
        if statement["Effect"] != "Allow" or "Principal" in statement:
            continue
        actions = set(_as_list(statement["Action"]))
        for resource in (resolve(r, template) for r in _as_list(statement["Resource"])):
            if actions & {"s3:GetObject", "s3:GetObjectVersion"} and resource.startswith(bucket + "/"):
                reads[owner].add(resource.removeprefix(bucket + "/"))
            if "s3:ListBucket" in actions and resource == bucket:
                allowed = _prefixes(statement)
                lists[owner] |= {"*"} if allowed is None else allowed
    assert reads  # the scan found the readers
    missing = {owner: sorted(p for p in prefixes if p not in lists[owner] and "*" not in lists[owner])
               for owner, prefixes in reads.items()}  # fmt: skip
    assert {owner: p for owner, p in missing.items() if p} == {}


def test_the_model_role_reads_the_rollback_alarms(machines, template):
    """SageMaker reads the auto-rollback alarms with the execution role of the models being deployed:
    "Ensure that your IAM execution role has permission to perform the cloudwatch:DescribeAlarms action
    on the auto-rollback alarms you specify" (deployment-guardrails-configuration). Finding 1."""
    deploy = machines["DeployStateMachine"]
    update = deploy["definition"]["States"]["Shift traffic to candidate with blue/green update"]["Parameters"]
    names = [a["AlarmName"] for a in update["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]]
    substitutions = deploy["properties"]["DefinitionSubstitutions"]
    alarms = {substitutions[n.strip("${}")]["Ref"] for n in names}
    granted = {
        r["Fn::GetAtt"][0]
        for owner, s in statements(template)
        if owner == "SageMakerExecutionRole" and "cloudwatch:DescribeAlarms" in _as_list(s["Action"])
        for r in _as_list(s["Resource"])
    }
    assert alarms and alarms <= granted


def _tag_condition_keys(statement: dict[str, Any]) -> set[str]:
    keys = {key for operator in (statement.get("Condition") or {}).values() for key in operator}
    return {key for key in keys if key.startswith(("aws:ResourceTag/", "aws:RequestTag/"))}


def test_stack_tag_conditions_are_ones_sagemaker_evaluates(template):
    """aws:* keys pass the check above whatever the action; a tag condition on an action that does not
    support it is ignored by IAM (on an Allow: grants without the intended limit). So each tag key used
    must be listed for the action in the reference, and the stack tag guards create and delete."""
    guarded = set()
    for owner, statement in statements(template):
        for key in _tag_condition_keys(statement):
            generic = key.split("/", 1)[0] + "/${TagKey}"
            for action in _as_list(statement["Action"]):
                supported = {k for row in _reference(action) for k in row["condition_keys"]}
                assert generic in supported, f"{owner}/{statement.get('Sid')}: {action} ignores {key}"
                guarded.add((action, key))
    assert {
        ("sagemaker:DeleteModel", "aws:ResourceTag/drift-retrain:stack"),
        ("sagemaker:DeleteEndpointConfig", "aws:ResourceTag/drift-retrain:stack"),
        ("sagemaker:CreateModel", "aws:RequestTag/drift-retrain:stack"),
        ("sagemaker:CreateEndpointConfig", "aws:RequestTag/drift-retrain:stack"),
        ("sagemaker:CreateTrainingJob", "aws:RequestTag/drift-retrain:stack"),
        ("sagemaker:CreateTransformJob", "aws:RequestTag/drift-retrain:stack"),
        ("sagemaker:CreateHyperParameterTuningJob", "aws:RequestTag/drift-retrain:stack"),
        ("sagemaker:DescribeModel", "aws:ResourceTag/drift-retrain:stack"),
        ("sagemaker:DescribeEndpointConfig", "aws:ResourceTag/drift-retrain:stack"),
        ("iam:SimulatePrincipalPolicy", "aws:ResourceTag/drift-retrain:stack"),
    } <= guarded


#: A SageMaker or IAM resource ARN whose name is only a wildcard: any team's resource of that type.
_ANY_NAME = re.compile(r"^arn:[^:]+:(sagemaker|iam):[^:]*:[^:]*:[a-z-]+/\*$")
_STACK_TAG = "aws:ResourceTag/drift-retrain:stack"


def account_wide_grants(template: dict[str, Any]) -> list[str]:
    """Allow statements naming every SageMaker or IAM resource of a type without this stack's tag
    condition (DescribeModel shows a model's environment variables; a simulation, a role's policies)."""
    found = []
    for owner, statement in statements(template):
        if statement["Effect"] != "Allow" or "Principal" in statement:
            continue
        tagged = any(
            _STACK_TAG in operator and operator[_STACK_TAG] == {"Ref": "AWS::StackName"}
            for name, operator in (statement.get("Condition") or {}).items()
            if name == "StringEquals"
        )
        wide = [
            r for r in (resolve(r, template) for r in _as_list(statement["Resource"])) if _ANY_NAME.match(r)
        ]
        if wide and not tagged:
            found.append(f"{owner}/{statement.get('Sid')}: {wide}")
    return found


def test_no_account_wide_reads_of_other_teams_models_configs_or_roles(template):
    """The champion check and the champion lookup read configs, models and roles that may predate the
    stack, so they cannot be named: each such grant holds only for this stack's tagged resources."""
    assert account_wide_grants(template) == []
    guarded = {
        action
        for _, statement in statements(template)
        if _STACK_TAG in _tag_condition_keys(statement)
        for action in _as_list(statement["Action"])
    }
    assert {
        "sagemaker:DescribeModel",
        "sagemaker:DescribeEndpointConfig",
        "iam:SimulatePrincipalPolicy",
    } <= guarded


def test_the_account_wide_check_fails_without_the_tag(template):
    planted = copy.deepcopy(template)
    _statement(planted, "PrepareTrainingDataFunction", "CheckTheChampionRoleCanScoreHeldOutRows").pop(
        "Condition"
    )
    assert account_wide_grants(planted) == [
        "PrepareTrainingDataFunction/CheckTheChampionRoleCanScoreHeldOutRows: "
        "['arn:aws:iam::123456789012:role/*']"
    ]
