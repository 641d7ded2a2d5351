"""Batch paths: first deployment, no drift, unlabelled drift, malformed file, concept drift with a
winning candidate (swapped under load), duplicate delivery, and a losing candidate."""

from __future__ import annotations

import json
import posixpath
import re
from urllib.parse import unquote

import numpy as np
from workflow_support import Harness, InvokingClient, batch_csv, history

from drift_retrain_local.demos.data import features

FIRST_DEPLOYMENT = [
    "Verify the trigger",
    "Acquire endpoint lock",
    "Prepare training data",
    "Find champion endpoint",
    "Is there no endpoint yet",
    "Score candidates and champion on held-out rows",
    "Train candidate model",
    "Create candidate model",
    "Score candidate on held-out rows",
    "Candidate scored",
    "Evaluate candidate against champion",
    "Create endpoint config for candidate",
    "Create endpoint for first model",
    "Wait for endpoint to settle",
    "Promote candidate",
    "Notify promotion",
    "Release lock after promotion",
    "Candidate is serving",
]


def _assigned(harness: Harness, execution_arn: str, state: str) -> dict[str, str]:
    """The variables ``state`` assigned when it exited (the last time), as the history reports them (the
    execution's, or a child execution's it started for a phase)."""
    events = history(harness.cloud.client("stepfunctions"), execution_arn)
    exits = [e["stateExitedEventDetails"] for e in events if "stateExitedEventDetails" in e]
    return [d.get("assignedVariables") for d in exits if d["name"] == state][-1]


def in_order(path: list[str], expected: list[str]) -> bool:
    """``expected`` appears in ``path`` in this order (other states may come between)."""
    states = iter(path)
    return all(name in states for name in expected)


def test_first_deployment_creates_the_endpoint_and_the_baseline(harness: Harness) -> None:
    entry = harness.bootstrap
    execution = entry["execution"]
    assert execution["status"] == "SUCCEEDED"
    assert in_order(execution["path"], FIRST_DEPLOYMENT), execution["path"]
    assert "Score champion on held-out rows" not in execution["path"]
    assert "No champion to score" in execution["path"]
    assert "Shift traffic to candidate with blue/green update" not in execution["path"]
    assert entry["endpoint_config_before"] is None
    assert entry["endpoint_config_after"]
    assert entry["evaluation"]["decision"] == "first_deployment"
    assert entry["evaluation"]["champion"] is None
    assert harness.exists("baseline/current/profile.json")
    assert harness.exists(f"reports/evaluation/{execution['name']}.json")
    assert harness.exists(f"reports/lineage/{execution['name']}.json")
    assert any("New model serving" in s and "(first deployment" in s for s in entry["notifications"])


def test_a_stable_batch_changes_nothing(harness: Harness) -> None:
    entry = harness.upload("stable-1.csv", batch_csv("stable", seed=11))
    assert entry["outcome"] == "no_drift"
    assert entry["execution"] is None
    assert entry["drifted_features"] == [] and entry["concept_drift"] is False
    assert entry["endpoint_config_after"] == entry["endpoint_config_before"]
    report = harness.read_json(entry["detect"]["report_key"])
    assert report["retrain"] is False and report["drifted_features"] == []
    assert entry["notifications"] == []


def test_unlabelled_feature_drift_alerts_without_retraining(harness: Harness) -> None:
    entry = harness.upload("covariate-1.csv", batch_csv("covariate", seed=12))
    assert entry["outcome"] == "drift_alert"
    assert entry["execution"] is None
    assert {"age", "region"} <= set(entry["drifted_features"])
    assert entry["concept_drift"] is False
    assert entry["endpoint_config_after"] == entry["endpoint_config_before"]
    report = harness.read_json(entry["detect"]["report_key"])
    assert report["alert"] is True and report["retrain"] is False
    assert [s for s in entry["notifications"] if s.startswith("[drift-retrain] Drift alert")], entry[
        "notifications"
    ]
    listed = harness.cloud.client("stepfunctions").list_executions(
        stateMachineArn=harness.cloud.stack.state_machine_arn
    )["executions"]
    assert [e["name"] for e in listed] == ["bootstrap-1"]


def test_a_malformed_file_is_quarantined_and_kept(harness: Harness) -> None:
    body = batch_csv("malformed", seed=13)
    entry = harness.upload("malformed-1.csv", body)
    assert entry["outcome"] == "quarantined"
    assert entry["execution"] is None
    assert entry["endpoint_config_after"] == entry["endpoint_config_before"]
    quarantine_key = entry["detect"]["quarantine_key"]
    assert quarantine_key == "quarantine/files/incoming/malformed-1.csv"
    assert harness.s3.get_object(Bucket=harness.bucket, Key=quarantine_key)["Body"].read() == body
    original = harness.s3.get_object(Bucket=harness.bucket, Key="incoming/malformed-1.csv")["Body"].read()
    assert original == body
    error = harness.read_json(entry["detect"]["quarantine_record_key"])
    assert "expected 8 fields" in str(error)
    assert harness.read_json(entry["detect"]["report_key"])["status"] == "invalid"
    assert any(s.startswith("[drift-retrain] Batch quarantined") for s in entry["notifications"])


def test_concept_drift_promotes_the_candidate_with_no_failed_request(harness: Harness) -> None:
    rows = features(20, np.random.default_rng(3))
    with InvokingClient(harness, rows) as client:
        entry = harness.upload("concept-1.csv", batch_csv("concept", seed=14))
    assert entry["concept_drift"] is True
    execution = entry["execution"]
    assert execution["status"] == "SUCCEEDED", execution
    assert entry["outcome"] == "promoted"
    assert in_order(
        execution["path"],
        [
            "Verify the trigger",
            "Acquire endpoint lock",
            "Find champion model",
            "Train and score each candidate",
            "Train candidate model",
            "Candidate scored",
            "Evaluate candidate against champion",
            "Does the candidate win",
            "Create endpoint config for candidate",
            "Is this the first deployment",
            "Shift traffic to candidate with blue/green update",
            "Has the endpoint settled",
            "Promote candidate",
            "Release lock after promotion",
        ],
    ), execution["path"]
    routing = _assigned(harness, execution["arn"], "Is this the first deployment")["traffic_routing"]
    assert json.loads(routing)["Type"] == "ALL_AT_ONCE"
    assert entry["endpoint_config_after"] != entry["endpoint_config_before"]
    assert "Score champion on held-out rows" in execution["path"]
    evaluation = entry["evaluation"]
    assert evaluation["decision"] == "promote"
    assert evaluation["candidate"] < evaluation["champion"]
    # newest equals since_change right after an abrupt change (dropped); no earlier model to re-score yet
    assert [s for s, _ in evaluation["candidates"]] == ["since_change"]
    assert evaluation["winner"] == "since_change"
    assert harness.exists(f"reports/lineage/{execution['name']}.json")
    assert any("New model serving" in s for s in entry["notifications"])
    assert any(s.startswith("[drift-retrain] Retrain started") for s in entry["notifications"])
    assert client.ok > 0
    assert client.failures == []


def test_a_duplicate_delivery_starts_no_second_execution(harness: Harness) -> None:
    entry = harness.upload("noise-1.csv", batch_csv("noise", seed=15))
    first_name = entry["execution"]["name"]
    (delivery,) = harness.cloud.events.deliveries_for("incoming/noise-1.csv")
    again = harness.cloud.events.redeliver(delivery)
    harness.cloud.events.wait(timeout=60)
    response = again.result(timeout=1).json()
    assert response["execution"] == {
        "name": first_name,
        "execution_arn": entry["execution"]["arn"],
        "duplicate": True,
    }
    names = [
        e["name"]
        for e in harness.cloud.client("stepfunctions").list_executions(
            stateMachineArn=harness.cloud.stack.state_machine_arn
        )["executions"]
    ]
    assert names.count(first_name) == 1
    assert not [
        s
        for s in harness.runner.notifications.drain()
        if s["subject"].startswith(("[drift-retrain] Retrain started", "[drift-retrain] Drift alert"))
    ]


def test_a_losing_candidate_leaves_the_endpoint_untouched(harness: Harness) -> None:
    entry = harness.upload("noise-2.csv", batch_csv("noise", seed=16))
    assert entry["concept_drift"] is True
    execution = entry["execution"]
    assert execution["status"] == "SUCCEEDED", execution
    assert entry["outcome"] == "rejected"
    assert in_order(
        execution["path"],
        [
            "Does the candidate win",
            "Record rejection",
            "Notify rejection",
            "Release lock after rejection",
            "Champion keeps serving",
        ],
    )
    assert "Shift traffic to candidate with blue/green update" not in execution["path"]
    assert entry["endpoint_config_after"] == entry["endpoint_config_before"]
    assert entry["evaluation"]["decision"] == "reject"
    assert harness.exists(f"reports/evaluation/{execution['name']}.json")
    assert not harness.exists(f"reports/lineage/{execution['name']}.json")
    assert any("Candidate rejected" in s and "champion keeps serving" in s for s in entry["notifications"])
    drift_page = entry["detect"]["report_key"].replace(".json", ".html")
    evaluation_page = _followed(harness, drift_page, "retrain")
    assert evaluation_page == f"reports/evaluation/{execution['name']}.html"
    assert _followed(harness, evaluation_page, "trigger") == drift_page
    assert "best candidate, not promoted: " in _page(harness, evaluation_page)


def _page(harness: Harness, key: str) -> str:
    return harness.s3.get_object(Bucket=harness.bucket, Key=key)["Body"].read().decode()


def _followed(harness: Harness, key: str, element_id: str) -> str:
    """The key the link inside ``element_id`` of the page at ``key`` opens; that page exists."""
    href = re.search(rf'id="{element_id}".*?href="([^"]*)"', _page(harness, key), re.S).group(1)
    target = posixpath.normpath(posixpath.join(posixpath.dirname(key), unquote(href)))
    assert harness.exists(target), target
    return target
