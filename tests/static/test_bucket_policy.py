"""The data bucket's policy: only the functions that write the stack's records may write them.

``ab/current.json`` holds the A/B test's task token, ``baseline/`` the champion's profile, ``reports/`` the
drift reports a retrain's trigger is verified against and ``monitor/`` the capture windows' state: a
principal with bucket-wide ``s3:PutObject`` (a producer) must not be able to change them. moto cannot
evaluate a deny conditioned on the caller's principal (it has no request context, so it denies every
caller; the local cloud leaves the statement out), so this module evaluates the policy document itself,
the way IAM does for a resource policy: an explicit Deny whose action, resource and condition match wins.
"""

from __future__ import annotations

import copy
import fnmatch
from typing import Any

import pytest

from .conftest import ACCOUNT, resolve
from .test_iam_actions import _as_list, statements

#: What the Deny protects, and a key under each.
PROTECTED = {
    "ab/": "ab/current.json",
    "baseline/": "baseline/current/profile.json",
    "reports/": "reports/drift/batch-1234abcd.json",
    "monitor/": "monitor/window.json",
    "partition-checks/": "partition-checks/day-1234abcd/partials/00000.json",
}
#: Where producers write (docs/deployment.md): never denied by the bucket policy.
PRODUCER_PREFIXES = (
    "incoming/x.csv",
    "incoming-stream/clicks/x.jsonl",
    "capture/x.jsonl",
    "ground-truth/x.csv",
)
WRITES = ("s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion")
PRODUCER = f"arn:aws:iam::{ACCOUNT}:role/data-producer"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/admin"


def bucket_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    policy = template["Resources"]["DataBucketPolicy"]["Properties"]["PolicyDocument"]
    return policy["Statement"]


def _condition_holds(condition: dict[str, Any], context: dict[str, Any], template: dict[str, Any]) -> bool:
    for operator, keys in condition.items():
        for key, expected in keys.items():
            values = [resolve(v, template) for v in _as_list(expected)]
            actual = context.get(key)
            if operator == "ArnNotEquals":
                if actual in values:
                    return False
            elif operator == "Bool":
                if str(actual).lower() not in [v.lower() for v in values]:
                    return False
            else:
                raise AssertionError(f"the evaluator does not know {operator}: extend it with the policy")
    return True


def denied(template: dict[str, Any], principal: str, action: str, key: str, statements_=None) -> bool:
    """Whether the bucket policy explicitly denies ``principal`` ``action`` on ``key`` over TLS."""
    bucket = resolve({"Fn::GetAtt": ["DataBucket", "Arn"]}, template)
    resource = f"{bucket}/{key}"
    context = {"aws:PrincipalArn": principal, "aws:SecureTransport": "true"}
    for statement in statements_ or bucket_statements(template):
        if statement["Effect"] != "Deny" or statement.get("Principal") != "*":
            continue
        if not any(fnmatch.fnmatchcase(action, a) for a in _as_list(statement["Action"])):
            continue
        resources = [resolve(r, template) for r in _as_list(statement["Resource"])]
        if not any(fnmatch.fnmatchcase(resource, r) for r in resources):
            continue
        if _condition_holds(statement.get("Condition") or {}, context, template):
            return True
    return False


def _role(logical_id: str, template: dict[str, Any]) -> str:
    return resolve({"Fn::GetAtt": [logical_id, "Arn"]}, template)


def writers(template: dict[str, Any]) -> dict[str, set[str]]:
    """Per function role: the protected prefixes its own IAM policy lets it write."""
    bucket = resolve({"Fn::GetAtt": ["DataBucket", "Arn"]}, template)
    found: dict[str, set[str]] = {}
    for owner, statement in statements(template):
        if statement["Effect"] != "Allow" or "Principal" in statement:
            continue
        if not set(_as_list(statement["Action"])) & set(WRITES):
            continue
        for resource in (resolve(r, template) for r in _as_list(statement["Resource"])):
            key = resource.removeprefix(bucket + "/")
            for prefix in PROTECTED:
                if key.startswith(prefix):
                    found.setdefault(owner, set()).add(prefix)
    return found


@pytest.mark.parametrize("prefix", sorted(PROTECTED))
@pytest.mark.parametrize("action", WRITES)
def test_a_producer_or_an_admin_cannot_write_the_stacks_records(template, prefix, action):
    for principal in (PRODUCER, ADMIN, f"arn:aws:iam::{ACCOUNT}:root"):
        assert denied(template, principal, action, PROTECTED[prefix]), (principal, action, prefix)


@pytest.mark.parametrize("key", PRODUCER_PREFIXES)
def test_producers_keep_their_prefixes(template, key):
    assert not any(denied(template, PRODUCER, action, key) for action in WRITES)


def test_each_function_writes_what_its_role_grants_and_nothing_else(template):
    """The Deny spares exactly the roles of the functions that write a protected prefix (derived from
    their own policies): a new writer must be added to it, and no other role is spared."""
    granted = writers(template)
    assert set(granted) == {
        "DetectDriftFunction",
        "EvaluateCandidateFunction",
        "PromoteModelFunction",
        "AbTestFunction",
        "MonitorCaptureFunction",
        "SummarisePartFunction",
        "CheckPartitionFunction",
        # the partition check's ResultWriter writes the map's results with the state machine's role
        "CheckPartitionStateMachineRole",
    }, granted
    for function, prefixes in granted.items():
        role = _role(function if function.endswith("Role") else f"{function}Role", template)
        for prefix in prefixes:
            assert not denied(template, role, "s3:PutObject", PROTECTED[prefix]), (function, prefix)
    others = [
        _role(f"{name}Role", template)
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function" and name not in granted
    ] + [
        _role(name, template)
        for name in (
            "SageMakerExecutionRole",
            "RetrainStateMachineRole",
            "TrainAndScoreStateMachineRole",
            "DeployStateMachineRole",
        )
    ]
    for role in others:
        assert all(denied(template, role, "s3:PutObject", key) for key in PROTECTED.values()), role


def test_the_evaluator_sees_a_missing_prefix(template):
    planted = copy.deepcopy(template)
    deny = next(s for s in bucket_statements(planted) if s.get("Sid") == "OnlyTheStackWritesItsRecords")
    deny["Resource"] = [r for r in deny["Resource"] if "baseline/" not in str(r)]
    assert not denied(planted, PRODUCER, "s3:PutObject", PROTECTED["baseline/"])
    assert denied(planted, PRODUCER, "s3:PutObject", PROTECTED["ab/"])
