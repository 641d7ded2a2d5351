"""The template's checkov exceptions (``make scan`` runs checkov itself, in its own venv).

Each skip must carry a one-line reason, and the facts a reason relies on must stay true: a skip outlives
the property it explains unless a test ties them together.
"""

from __future__ import annotations

import re
from typing import Any

from drift_retrain_local.stack.template import StackTemplate

from .conftest import ACCOUNT, REGION, TEMPLATE

CHECK_ID = re.compile(r"^CKV2?_AWS_\d+$")


def _skips(template: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (logical_id, skip)
        for logical_id, resource in template["Resources"].items()
        for skip in ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip", [])
    ]


def test_every_checkov_skip_names_a_check_and_gives_a_one_line_reason(template):
    skips = _skips(template)
    assert skips, "the template records its checkov exceptions in Metadata"
    for logical_id, skip in skips:
        assert CHECK_ID.match(skip["id"]), (logical_id, skip)
        comment = skip.get("comment", "")
        assert 20 <= len(comment) <= 200 and "\n" not in comment, (logical_id, skip)


def test_no_check_is_skipped_twice_on_one_resource(template):
    pairs = [(logical_id, skip["id"]) for logical_id, skip in _skips(template)]
    assert len(pairs) == len(set(pairs))


def test_queues_skipping_the_kms_check_are_encrypted_and_tls_only(template):
    """CKV_AWS_27 is skipped because SQS-managed encryption is on: it must stay on, with a TLS-only policy."""
    resources = template["Resources"]
    queues = [
        logical_id
        for logical_id, skip in _skips(template)
        if skip["id"] == "CKV_AWS_27" and resources[logical_id]["Type"] == "AWS::SQS::Queue"
    ]
    assert {"BatchArrivedDeadLetterQueue", "DetectDriftFailureQueue"} <= set(queues)
    for queue in queues:
        assert resources[queue]["Properties"]["SqsManagedSseEnabled"] is True, queue
        (policy,) = [
            r["Properties"]["PolicyDocument"]
            for r in resources.values()
            if r["Type"] == "AWS::SQS::QueuePolicy" and r["Properties"]["Queues"] == [{"Ref": queue}]
        ]
        deny = [s for s in policy["Statement"] if s["Effect"] == "Deny"]
        assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}, queue


def test_notifications_are_encrypted_with_a_key_the_alarms_can_use():
    """Alarms publish to the topic, so its key is a customer key (alias/aws/sns would drop their messages)."""
    own_key = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/abc"
    for parameters, expected in (
        ({}, "drift-retrain-NotificationKey"),
        ({"NotificationKmsKeyArn": own_key}, own_key),
    ):
        stack = StackTemplate.from_file(
            TEMPLATE, stack_name="drift-retrain", region=REGION, account_id=ACCOUNT, parameters=parameters
        )
        key = stack.properties("NotificationTopic")["KmsMasterKeyId"]
        assert key.endswith(expected)
        publishers = [
            statement
            for function in ("DetectDriftFunction", "NotifyFunction")
            for policy in stack.properties(function)["Policies"]
            for statement in policy["Statement"]
            if statement["Sid"] == "PublishToTheEncryptedTopic"
        ]
        assert [statement["Resource"] for statement in publishers] == [key, key]


def test_the_dead_letter_queue_admits_the_batch_rule_whatever_the_stack_name():
    """The rule's name fits EventBridge's 64 characters for a stack name of CloudFormation's 128, and the
    queue policy names that very rule (otherwise undelivered events are refused by the queue)."""
    stack = StackTemplate.from_file(TEMPLATE, stack_name="s" * 128, region=REGION, account_id=ACCOUNT)
    rule_name = stack.function("DetectDriftFunction").events["BatchArrived"]["Properties"]["RuleName"]
    assert len(rule_name) <= 64
    (statement,) = [
        s
        for s in stack.properties("BatchArrivedDeadLetterQueuePolicy")["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]
    rule_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule_name}"
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == rule_arn
