"""Run summaries (pure) and the Notify handler against moto SNS."""

from __future__ import annotations

import json

import pytest

from drift_retrain.workflow.notify.notification import format_message

ARN = "arn:aws:states:us-east-1:123456789012:execution:drift-retrain-retrain:run-1"
TRIGGER = {
    "bootstrap": False,
    "batch": {"bucket": "b", "key": "incoming/x.csv", "batch_id": "x-1a2b3c4d"},
    "report": {"bucket": "b", "key": "reports/drift/x-1a2b3c4d.json"},
    "reasons": ["concept drift: error rate 0.31 vs baseline 0.05"],
    "drifted_features": ["f1", "f2"],
    "concept_drift": True,
    "labelled_rows": 1234,
}
EVALUATION = {
    "decision": "promote",
    "promote": True,
    "primary_metric": "error_rate",
    "reasons": ["candidate wins", "error_rate: candidate 0.05 vs champion 0.31"],
    "candidate": {"error_rate": 0.05, "accuracy": 0.95, "auc": 0.98},
    "champion": {"error_rate": 0.31, "accuracy": 0.69, "auc": 0.7},
    "paired_test": {"name": "mcnemar_exact_one_sided", "p_value": 1e-12},
    "report": {"bucket": "b", "key": "reports/evaluation/run-1.json"},
}


def state(**extra) -> dict:
    return {"config": {"endpoint_name": "churn"}, "trigger": TRIGGER, **extra}


def test_promotion_summary_names_the_change_metrics_and_links():
    promotion = {
        "promotion": {
            "model_package_arn": "arn:pkg/1",
            "lineage": "s3://b/reports/lineage/run-1.json",
            "cleanup": {"deleted_configs": ["a"], "deleted_models": ["a"], "errors": []},
        }
    }
    message = format_message(
        "promoted",
        state(
            evaluation=EVALUATION,
            data={
                "names": {"model": "m", "endpoint_config": "m"},
                "rows": {"train": 1, "validation": 1, "test": 1},
            },
            promotion_result=promotion,
        ),
        execution_arn=ARN,
        region="us-east-1",
    )
    assert message.subject == "[drift-retrain] New model serving: churn (error rate 31.0% -> 5.0%)"
    body = message.body
    assert "Drifted features: f1, f2" in body and "concept drift: error rate 0.31" in body
    assert "  error rate        5.0%      31.0%" in body.splitlines()
    assert "paired test (one-sided McNemar exact test): p < 0.0001" in body
    assert "error_rate" not in body and "mcnemar_exact_one_sided" not in body
    assert "Registry: arn:pkg/1" in body and "Cleaned up 1 endpoint configs and 1 models" in body
    assert f"#/v2/executions/details/{ARN}" in body
    assert "prefix=reports/drift/x-1a2b3c4d.html" in body and "prefix=reports/evaluation/run-1.html" in body


def test_an_incomplete_promotion_says_the_candidate_serves_and_how_to_repair():
    names = {"data": {"names": {"model": "drift-xgb-4", "endpoint_config": "drift-xgb-4"}}}
    error = {"error": {"Error": "RegistryError", "Cause": "CreateModelPackage failed: throttled"}}
    message = format_message(
        "promoted_incomplete",
        state(evaluation=EVALUATION, **names, **error),
        execution_arn=ARN,
        region="us-east-1",
    )
    assert (
        message.subject
        == "[drift-retrain] New model serving, bookkeeping incomplete: churn (run drift-retrain repair)"
    )
    assert (
        "Serving model drift-xgb-4 with endpoint config drift-xgb-4 (the update completed)." in message.body
    )
    assert "CreateModelPackage failed: throttled" in message.body and "RegistryError" not in message.body
    assert f"drift-retrain repair --execution-arn {ARN}" in message.body
    assert "champion keeps serving" not in message.body.lower()


def test_rejection_and_skip_summaries():
    rejected = format_message(
        "rejected",
        state(evaluation={**EVALUATION, "decision": "reject"}),
        execution_arn=ARN,
        region="eu-west-1",
    )
    assert rejected.subject == "[drift-retrain] Candidate rejected: churn (champion keeps serving)"
    skipped = format_message(
        "skipped",
        state(lock_holder={"Item": {"ExecutionArn": {"S": "arn:other"}}}),
        execution_arn=ARN,
        region="eu-west-1",
    )
    assert skipped.subject == "[drift-retrain] Retrain skipped: churn (another retrain is running)"
    assert "busy with another retrain: https://" in skipped.body and "details/arn:other" in skipped.body


def test_failure_summary_unwraps_lambda_causes_and_names_rollbacks():
    cause = json.dumps(
        {"errorMessage": "no .out file under s3://b/transforms/", "errorType": "TransformOutputMissingError"}
    )
    failed = format_message(
        "failed",
        state(failure={"error": {"Error": "TransformOutputMissingError", "Cause": cause}}),
        execution_arn=ARN,
        region=None,
    )
    assert (
        failed.subject
        == "[drift-retrain] Retrain failed: churn (champion keeps serving: a workflow step failed)"
    )
    assert "TransformOutputMissingError" not in failed.subject + failed.body
    assert "Cause: no .out file under s3://b/transforms/" in failed.body
    rolled = format_message(
        "failed",
        state(
            failure={"error": {"Error": "DeploymentRolledBackError", "Cause": "back on old"}},
            endpoint={"status": "InService", "config_name": "old"},
        ),
        execution_arn=ARN,
        region="us-east-1",
    )
    assert rolled.subject.endswith("(champion keeps serving: deployment rolled back)")
    assert "Endpoint status: InService on old" in rolled.body


def test_bootstrap_failure_before_anything_ran_still_formats():
    message = format_message(
        "failed",
        {"batch": {"bucket": "b", "key": "seed/initial.csv"}, "error": {"Error": "States.Runtime"}},
        execution_arn=None,
        region=None,
    )
    assert "seed/initial.csv" in message.body and message.subject.startswith(
        "[drift-retrain] Retrain failed: endpoint"
    )


@pytest.mark.parametrize("outcome", ["promoted", "rejected", "failed", "skipped"])
def test_handler_publishes_every_outcome(clients, load_handler, lambda_context, monkeypatch, outcome):
    topic = clients.sns.create_topic(Name="drift-retrain")["TopicArn"]
    monkeypatch.setenv("TOPIC_ARN", topic)
    result = load_handler("notify").lambda_handler(
        {"outcome": outcome, "execution_arn": ARN, "state": state(evaluation=EVALUATION)}, lambda_context
    )
    assert result["outcome"] == outcome and result["message_id"]
    assert len(result["subject"]) <= 100 or outcome == "promoted"


def test_handler_adds_a_presigned_report_link_only_when_asked(
    clients, load_handler, lambda_context, monkeypatch
):
    topic = clients.sns.create_topic(Name="drift-retrain")["TopicArn"]
    queue = clients.sqs.create_queue(QueueName="notify-probe")["QueueUrl"]
    queue_arn = clients.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    clients.sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"}
    )
    monkeypatch.setenv("TOPIC_ARN", topic)
    event = {"outcome": "promoted", "execution_arn": ARN, "state": state(evaluation=EVALUATION)}
    bodies = []
    for expiry in ("0", "3600"):
        monkeypatch.setenv("REPORT_LINK_EXPIRY_SECONDS", expiry)
        load_handler("notify").lambda_handler(event, lambda_context)
        [received] = clients.sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1)["Messages"]
        clients.sqs.delete_message(QueueUrl=queue, ReceiptHandle=received["ReceiptHandle"])
        bodies.append(received["Body"])
    console_only, signed = bodies
    assert "s3.console.aws.amazon.com" in console_only and "X-Amz-Signature" not in console_only
    assert (
        "direct link (valid 1 h)" in signed
        and "X-Amz-Expires=3600" in signed
        and "X-Amz-Signature=" in signed
    )
    assert "reports/evaluation/run-1.html" in signed


@pytest.mark.parametrize(
    ("recovery", "expected"),
    [
        (
            {"reference": 0.03, "holdout": 0.29, "recovered": False, "metric": "error_rate"},
            "PARTIAL RECOVERY: holdout error rate 29.0% vs reference 3.0%",
        ),
        (
            {"reference": 0.03, "holdout": 0.035, "recovered": True, "metric": "error_rate"},
            "Recovery: holdout error rate 3.5% is back at",
        ),
        # an MSE below 1 is no rate (it once read "50.0%")
        (
            {"reference": 0.4, "holdout": 0.5, "recovered": False, "metric": "mse"},
            "PARTIAL RECOVERY: holdout MSE 0.5 vs reference 0.4",
        ),
    ],
)
def test_promotion_says_in_numbers_whether_accuracy_came_back(recovery, expected):
    data = {
        "names": {"model": "m", "endpoint_config": "m"},
        "window_strategy": "since_change",
        "batches": 2,
        "window_ended": "the serving model handled incoming/a.csv",
    }
    message = format_message(
        "promoted",
        state(evaluation=EVALUATION, data=data, promotion_result={"promotion": {"recovery": recovery}}),
        execution_arn=ARN,
        region="us-east-1",
    )
    assert expected in message.body
    assert (
        "Training window: the rows since the change (only batches the serving model got wrong" in message.body
    )
    assert "2 batches; it ends because the serving model handled incoming/a.csv" in message.body


def test_reasons_read_in_percentages_with_the_win_spelled_out_and_singular_counts():
    evaluation = {
        **EVALUATION,
        "rows": 200,
        "reasons": [
            "candidate wins",
            "error_rate: candidate 0.005 vs champion 0.41 (+98.8% relative, minimum 1.0%)",
        ],
        "candidates": [
            {
                "id": "c1",
                "strategy": "since_change",
                "error_rate": 0.005,
                "batches": 1,
                "rows": {"train": 10},
            },
            {"id": "c2", "strategy": "recent", "error_rate": 0.03, "batches": 3, "rows": {"train": 30}},
        ],
        "winner": {"id": "c1"},
    }
    data = {"names": {"model": "m", "endpoint_config": "m"}, "window_strategy": "since_change", "batches": 1}
    body = format_message(
        "promoted", state(evaluation=evaluation, data=data), execution_arn=ARN, region="us-east-1"
    ).body
    lines = body.splitlines()
    assert "  - candidate wins" not in lines
    assert (
        "  - the candidate wins: lower by at least the minimum, and significant on the paired test" in lines
    )
    assert "  - error rate: candidate 0.5% vs champion 41.0% (98.8% lower, minimum 1.0%)" in lines
    assert (
        "Training window: the rows since the change (only batches the serving model got wrong), 1 batch"
        in lines
    )
    assert any("1 batch, 10 training rows" in line for line in lines)
    assert any("3 batches, 30 training rows" in line for line in lines)
    assert "batch(es)" not in body and "0.005" not in body
    assert "  (both on the same 200 held-out rows, the newest labelled data; " in body
