"""The AbTest step against moto S3 (open, close, idempotent) and the A/B section of the notifications."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from support.paths import EVENTS

from drift_retrain.workflow.ab_test.service import AbTestSettings, handle
from drift_retrain.workflow.notify.notification import format_message
from drift_retrain.workflow.shared.exceptions import WorkflowInputError

BUCKET = "ab-bucket"
ARN = "arn:aws:states:us-east-1:123456789012:execution:drift-retrain-retrain:run-1"
EVENT = json.loads((EVENTS / "ab_test.json").read_text(encoding="utf-8"))  # sam local invoke's sample


@pytest.fixture
def s3(mocked_aws):
    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    return client


def test_start_writes_the_record_with_the_token_and_finish_returns_the_evidence_and_deletes_it(s3):
    settings = AbTestSettings(bucket=BUCKET)
    handle(s3, settings, {**EVENT, "execution_arn": ARN})
    record = json.loads(s3.get_object(Bucket=BUCKET, Key="ab/current.json")["Body"].read())
    assert record["task_token"] == EVENT["task_token"] and record["traffic_share"] == 0.1
    assert record["variants"]["candidate"] == EVENT["candidate"]
    assert record["evidence"]["batches"] == [] and record["decision"] is None
    assert datetime.fromisoformat(record["deadline"]) > datetime.now(UTC)
    closed = handle(s3, settings, {"action": "finish", "execution_arn": ARN})
    assert closed["found"] and closed["evidence"]["rows"] == 0
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="ab/")["KeyCount"] == 0
    assert handle(s3, settings, {"action": "finish", "execution_arn": ARN}) == {
        "found": False,
        "evidence": None,
    }


def test_finish_leaves_another_executions_record_alone(s3):
    handle(s3, AbTestSettings(bucket=BUCKET), {**EVENT, "execution_arn": ARN})
    other = handle(s3, AbTestSettings(bucket=BUCKET), {"action": "finish", "execution_arn": ARN + "-other"})
    assert other["found"] is False
    assert s3.list_objects_v2(Bucket=BUCKET, Prefix="ab/")["KeyCount"] == 1


def test_a_bad_event_says_what_is_missing(s3):
    with pytest.raises(WorkflowInputError, match="task_token"):
        handle(s3, AbTestSettings(bucket=BUCKET), {**EVENT, "task_token": ""})
    with pytest.raises(WorkflowInputError, match="unknown AbTest action"):
        handle(s3, AbTestSettings(bucket=BUCKET), {"action": "pause"})


EVIDENCE = {
    "rows": 1800, "batches": 3, "metric": "error_rate", "champion_error": 0.31, "candidate_error": 0.05,
    "statistic": 41.2, "boundary": 2.996, "p_value": 1e-18, "traffic_share": 0.1,
}  # fmt: skip


def _state(decision: str, reason: str) -> dict:
    return {
        "config": {"endpoint_name": "churn", "promotion_mode": "ab"},
        "champion": {"exists": True},
        "ab_decision": {"decision": decision, "reason": reason, "evidence": EVIDENCE},
        "ab_record": {"found": True, "evidence": EVIDENCE},
    }


def test_the_notification_shows_the_online_evidence():
    body = format_message(
        "promoted", _state("candidate", "sequential test"), execution_arn=ARN, region=None
    ).body
    assert "A/B test (candidate at 10.0% of the traffic): the candidate did better online" in body
    assert "1,800 labelled rows in 3 batches" in body
    assert "champion 31.0% vs candidate 5.0%" in body and "(boundary 3)" in body


def test_the_evidence_of_one_batch_is_counted_in_the_singular():
    state = _state("candidate", "sequential test")
    state["ab_record"]["evidence"] = {**EVIDENCE, "batches": 1}
    body = format_message("promoted", state, execution_arn=ARN, region=None).body
    assert "1,800 labelled rows in 1 batch," in body and "1 batches" not in body


@pytest.mark.parametrize(
    ("outcome", "decision", "reason", "says"),
    [
        ("promoted", "candidate", "champion variant failed: ModelError", "cut short: champion variant failed"),
        ("rejected", "champion", "sequential test", "the champion did better online"),
        ("rejected", "champion", "no decision (States.HeartbeatTimeout): the champion stays",
         "ended without an online win: no decision (States.HeartbeatTimeout)"),
    ],
)  # fmt: skip
def test_the_notification_says_why_the_test_ended(outcome, decision, reason, says):
    body = format_message(outcome, _state(decision, reason), execution_arn=ARN, region=None).body
    assert says in body
    if "cut short" in says:
        assert "did better online" not in body  # never announced as an online win


@pytest.mark.parametrize(
    "run", [{"promotion_mode": "replace", "exists": True}, {"promotion_mode": "ab", "exists": False}]
)
def test_an_ab_decision_from_the_execution_input_is_not_reported_as_a_test(run):
    """Only PromotionMode ab with a champion runs a test; anything else came with the input."""
    state = _state("candidate", "sequential test")
    state["config"]["promotion_mode"] = run["promotion_mode"]
    state["champion"]["exists"] = run["exists"]
    body = format_message("promoted", state, execution_arn=ARN, region=None).body
    assert "A/B test" not in body and "Online evidence" not in body
