"""Notifications: one subject format for every event, numbers for people, a link to the HTML report."""

from __future__ import annotations

import re

import pytest

from drift_retrain.aws.executions import ExecutionStart
from drift_retrain.aws.objects import ObjectRef
from drift_retrain.detect.context import Outcome, Status
from drift_retrain.detect.messages import drift_message, no_profile_message, quarantine_message
from drift_retrain.reports.links import ReportLinks, html_key, report_links
from drift_retrain.workflow.notify.notification import format_message

SUBJECT = re.compile(r"^\[drift-retrain\] [A-Z][a-z]+( [a-z]+)*: \S+( \(.+\))?$")
RAW_FLOAT = re.compile(r"\d\.\d{5,}|\de-\d")
BATCH = ObjectRef("data", "incoming/b.csv", "v1")
LINKS = ReportLinks("https://s3.console.aws.amazon.com/s3/object/data?prefix=reports/drift/b-1.html")


def _detect_notices(drifted_report, stable_report):
    outcome = Outcome(
        Status.CHECKED, "retrain", BATCH, "b-1", execution=ExecutionStart("run", "arn:x", False)
    )
    yield drift_message(BATCH, drifted_report, outcome, LINKS, "eu-west-1")
    alert = {**stable_report, "alert": True, "drifted_features": ["x1"], "retrain_blocked_by": "too few rows"}
    yield drift_message(BATCH, alert, Outcome(Status.CHECKED, "alert", BATCH, "b-1"), LINKS)
    yield quarantine_message(BATCH, "ragged_row", "line 8: expected 8 fields", "s3://q/c", "s3://q/e", LINKS)
    yield no_profile_message(BATCH, "no baseline profile yet")


def _workflow_notices():
    evaluation = {
        "decision": "promote",
        "primary_metric": "error_rate",
        "candidate": {"error_rate": 0.0351234567},
        "champion": {"error_rate": 0.4451234567},
        "paired_test": {"name": "mcnemar_exact_one_sided", "p_value": 2.1566794387366062e-91},
        "reasons": [
            "error_rate: candidate 0.0351 vs champion 0.445",
            "mcnemar_exact_one_sided: p = 2.16e-91",
        ],
        "report": {"bucket": "data", "key": "reports/evaluation/run.json"},
    }
    trigger = {
        "report": {"bucket": "data", "key": "reports/drift/b-1.json"},
        "reasons": ["concept drift (p=5.19e-86)"],
    }
    state = {"config": {"endpoint_name": "churn"}, "trigger": trigger, "evaluation": evaluation}
    for outcome in ("promoted", "rejected", "skipped"):
        yield format_message(outcome, state, execution_arn="arn:x", region="eu-west-1")
    failure = {"error": {"Error": "DeploymentRolledBackError", "Cause": "rolled back"}}
    yield format_message("failed", {**state, "failure": failure}, execution_arn="arn:x", region="eu-west-1")


@pytest.mark.parametrize(
    ("error", "summary"),
    [
        (
            "SageMaker.SageMakerException",
            "a SageMaker request was refused",
        ),  # e.g. DescribeEndpoint throttled
        ("SageMaker.AmazonSageMakerException", "a SageMaker request was refused"),
        ("States.TaskFailed", "a workflow step failed"),
    ],
)
def test_a_failure_subject_names_what_failed(error, summary):
    state = {
        "config": {"endpoint_name": "churn"},
        "failure": {"error": {"Error": error, "Cause": "Rate exceeded"}},
    }
    subject = format_message("failed", state, execution_arn="arn:x", region="eu-west-1").subject
    assert subject.endswith(f"(champion keeps serving: {summary})"), subject


def test_every_subject_has_one_format(drifted_report, stable_report):
    subjects = [n.subject for n in _detect_notices(drifted_report, stable_report)]
    subjects += [m.subject for m in _workflow_notices()]
    assert len(subjects) == 8
    for subject in subjects:
        assert SUBJECT.match(subject), subject
        assert len(subject) <= 100 or "New model serving" in subject


def test_no_raw_float_and_a_link_to_the_page(drifted_report, stable_report):
    for notice in [*_detect_notices(drifted_report, stable_report), *_workflow_notices()]:
        text = notice.subject + "\n" + notice.body
        assert not RAW_FLOAT.search(text), text
        assert "Error" not in notice.subject and "_" not in notice.subject.split(":", 1)[0]
    for message in _workflow_notices():
        assert "prefix=reports/drift/b-1.html" in message.body
    detect = list(_detect_notices(drifted_report, stable_report))
    assert all(LINKS.console in n.body for n in detect[:3])


class _FakeS3:
    class meta:
        region_name = "eu-west-1"

    def generate_presigned_url(self, operation, Params, ExpiresIn):
        return f"https://data.s3.amazonaws.com/{Params['Key']}?X-Amz-Expires={ExpiresIn}"


@pytest.mark.parametrize(("expiry", "presigned"), [(0, False), (3600, True)])
def test_report_links_add_a_presigned_url_only_when_enabled(expiry, presigned):
    links = report_links(_FakeS3(), "data", html_key("reports/drift/b-1.json"), expiry=expiry)
    assert links.console.endswith("region=eu-west-1&prefix=reports/drift/b-1.html")
    assert (links.presigned is not None) == presigned
    lines = links.lines("Drift report")
    assert len(lines) == (2 if presigned else 1)
    if presigned:
        assert "valid 1 h" in lines[1] and "X-Amz-Expires=3600" in lines[1]


def _failed_after(serving: dict | None, champion_config: str | None = "churn-cfg-1") -> tuple[str, str]:
    state = {
        "config": {"endpoint_name": "churn"},
        "failure": {"error": {"Error": "States.Timeout", "Cause": "the weight shift did not settle"}},
    }
    if champion_config:
        state["champion"] = {"endpoint_config_name": champion_config}
    if serving is not None:
        state["serving_after_failure"] = serving
    message = format_message("failed", state, execution_arn="arn:x", region="eu-west-1")
    return message.subject, message.body


def test_a_failure_that_left_two_variants_serving_never_says_the_champion_keeps_serving():
    subject, body = _failed_after(
        {
            "config_name": "churn-cfg-2-ab",
            "status": "InService",
            "variants": [
                {"VariantName": "AllTraffic", "CurrentWeight": 90.0},
                {"VariantName": "Candidate", "CurrentWeight": 10.0},
            ],
        }
    )
    assert "champion keeps serving" not in subject and "champion keeps serving" not in body
    assert "endpoint left on churn-cfg-2-ab" in subject
    assert "traffic AllTraffic 90%, Candidate 10%" in body
    assert "churn-cfg-1 no longer serves alone" in body


def test_a_failure_with_the_champion_config_serving_says_so():
    subject, body = _failed_after(
        {
            "config_name": "churn-cfg-1",
            "status": "InService",
            "variants": [{"VariantName": "AllTraffic", "CurrentWeight": 1.0}],
        }
    )
    assert "champion keeps serving" in subject
    assert "Serving now: endpoint config churn-cfg-1 (InService), traffic AllTraffic 100%" in body
    # the endpoint could not be read (a first deployment has none): the old wording, nothing invented
    subject, body = _failed_after(None, champion_config=None)
    assert "champion keeps serving" in subject and "Serving now" not in body


def test_a_failed_first_deployment_says_no_model_serves_yet():
    state = {
        "config": {"endpoint_name": "churn"},
        "champion": {"exists": False, "endpoint_config_name": None},
        "failure": {"error": {"Error": "States.TaskFailed", "Cause": "training failed"}},
    }
    message = format_message("failed", state, execution_arn="arn:x", region="eu-west-1")
    assert "no model serves yet" in message.subject and "champion keeps serving" not in message.subject


_NO_ENDPOINT_ERROR = {"Error": "SageMaker.SageMakerException", "Cause": "Could not find endpoint churn."}
_CHAMPION_SERVING = {
    "config_name": "churn-cfg-1",
    "status": "InService",
    "variants": [{"VariantName": "AllTraffic", "CurrentWeight": 1.0}],
}


@pytest.mark.parametrize(
    ("trigger", "after", "expected"),
    [
        # PrepareTrainingData failed on a drift retrain: no champion lookup yet, the endpoint untouched
        ({"bootstrap": False}, {"serving_after_failure": _CHAMPION_SERVING}, "champion keeps serving"),
        # a first deployment failed before the champion lookup: there is no endpoint at all
        ({"bootstrap": True}, {"serving_lookup_error": _NO_ENDPOINT_ERROR}, "no model serves yet"),
        # the endpoint could not be read for another reason: say so, invent nothing
        (
            {"bootstrap": False},
            {"serving_lookup_error": {"Error": "SageMaker.SageMakerException", "Cause": "Rate exceeded"}},
            "what serves could not be read",
        ),
    ],
    ids=["prepare-fails-on-drift", "prepare-fails-on-bootstrap", "endpoint-unreadable"],
)
def test_a_failure_before_the_champion_lookup_says_exactly_what_serves(trigger, after, expected):
    state = {
        "config": {"endpoint_name": "churn"},
        "trigger": trigger,
        "failure": {"error": {"Error": "States.TaskFailed", "Cause": "PrepareTrainingData crashed"}},
        **after,
    }
    message = format_message("failed", state, execution_arn="arn:x", region="eu-west-1")
    assert message.subject == f"[drift-retrain] Retrain failed: churn ({expected}: a workflow step failed)"
    assert "left on" not in message.subject


def test_a_failed_first_deployment_endpoint_is_not_called_serving():
    state = {
        "config": {"endpoint_name": "churn"},
        "champion": {"exists": False, "endpoint_config_name": None},
        "serving_after_failure": {"config_name": "churn-cfg-1", "status": "Failed", "variants": []},
        "failure": {"error": {"Error": "EndpointDeploymentFailedError", "Cause": "image pull failed"}},
    }
    message = format_message("failed", state, execution_arn="arn:x", region="eu-west-1")
    assert (
        message.subject
        == "[drift-retrain] Retrain failed: churn (no model serves yet: endpoint deployment failed)"
    )
    assert "Serving now: endpoint config churn-cfg-1 (Failed)" in message.body


def test_an_unverified_trigger_is_reported_as_what_the_input_named():
    state = {
        "config": {"endpoint_name": "churn"},
        "batch": {"bucket": "data", "key": "seed/train.csv"},
        "serving_after_failure": _CHAMPION_SERVING,
        "failure": {"error": {"Error": "TriggerNotVerifiedError", "Cause": "no drift report"}},
    }
    message = format_message("failed", state, execution_arn="arn:x", region="eu-west-1")
    assert (
        message.subject
        == "[drift-retrain] Retrain failed: churn (champion keeps serving: unverified trigger)"
    )
    assert "Batch named in the input (not verified): s3://data/seed/train.csv" in message.body
    assert "\nBatch: " not in message.body


def test_a_challenger_run_is_named_as_such_in_every_notice(stable_report):
    """A challenge is no loss: the drift notice, and the workflow's notice whether it won or lost, say it
    was a challenger, and a lost one says the champion keeps serving."""
    challenge = {
        **stable_report,
        "retrain": True,
        "retrain_trigger": "challenger",
        "retrain_reasons": ["challenger: the serving error rose by 0.06 over 4 batches"],
        "challenger": {
            "decision": "challenge",
            "why": "challenger started: the serving error rose by 0.06 over 4 batches",
            "gain": {"estimate": 0.0612345},
        },
    }
    outcome = Outcome(
        Status.CHECKED, "challenger", BATCH, "b-1", execution=ExecutionStart("run", "arn:x", False)
    )
    drift = drift_message(BATCH, challenge, outcome, LINKS)
    assert (
        SUBJECT.match(drift.subject) and "challenger" in drift.subject and not RAW_FLOAT.search(drift.subject)
    )
    assert drift.body.startswith("No loss against the holdout") and "a challenger started" in drift.body
    assert "trains the challenger" in drift.body

    state = {
        "config": {"endpoint_name": "churn"},
        "trigger": {"kind": "challenger", "reasons": challenge["retrain_reasons"]},
        "evaluation": {
            "decision": "reject",
            "primary_metric": "error_rate",
            "candidate": {"error_rate": 0.21},
            "champion": {"error_rate": 0.2},
        },
    }
    lost = format_message("rejected", state, execution_arn="arn:x", region="eu-west-1")
    assert SUBJECT.match(lost.subject) and "challenger lost, champion keeps serving" in lost.subject
    assert "CHALLENGER run" in lost.body and "the champion keeps serving" in lost.body
    won = format_message(
        "promoted",
        {
            **state,
            "evaluation": {**state["evaluation"], "decision": "promote", "candidate": {"error_rate": 0.1}},
        },
        execution_arn="arn:x",
        region="eu-west-1",
    )
    assert SUBJECT.match(won.subject) and "challenger won" in won.subject and "CHALLENGER run" in won.body
    assert "serving error rose" in won.body and "Linear Learner" not in won.body
    probed = {**state, "trigger": {**state["trigger"], "challenger_signal": "probe"}}
    probe_won = format_message("rejected", probed, execution_arn="arn:x", region=None).body
    assert (
        "a linear probe fitted on the batch beat it" in probe_won
        and "a Linear Learner of the newest" in probe_won
    )
    ordinary = format_message(
        "rejected", {**state, "trigger": {"kind": "performance"}}, execution_arn="arn:x", region=None
    )
    assert "challenger" not in (ordinary.subject + ordinary.body).lower()
