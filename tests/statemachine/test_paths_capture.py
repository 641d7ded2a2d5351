"""Captured traffic through the REAL state machine on the local cloud: requests through the endpoint,
Data Capture files, windows closed by MonitorCapture and checked by DetectDrift, labels a day later,
a concept change found on the captured predictions, a retrain from captured rows, and a promotion.
And the path where labels never come: alerts, never a retrain."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from capture_support import CAPTURE_PARAMETERS, follow, labelled_key, send, send_labels, traffic, window_key
from workflow_support import Harness, bootstrapped_cloud

PROMOTED_STATE = "Promote candidate"


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with bootstrapped_cloud(train_seed=31, **CAPTURE_PARAMETERS) as running:
        yield running


def executions(harness: Harness) -> list[dict]:
    sfn = harness.cloud.client("stepfunctions")
    return sfn.list_executions(stateMachineArn=harness.cloud.stack.state_machine_arn)["executions"]


def test_labels_that_never_come_give_alerts_and_no_retrain(harness: Harness) -> None:
    send(harness, "shifted-1", traffic("covariate", seed=60))
    checked = follow(harness, window_key(harness, 1))
    report = checked["report"]
    assert report["drifted_features"] and report["alert"] is True  # the covariate shift, seen unlabelled
    assert report["retrain"] is False and checked["execution"] is None
    assert report["monitor"]["window"] == "unlabelled"
    assert report["estimated_performance"]["tested"] is True
    assert report["capture"]["rows"] == 600
    assert not harness.exists("monitor/labelled/")
    assert len(executions(harness)) == 1  # the bootstrap only


def test_captured_traffic_with_late_labels_retrains_on_captured_rows_and_promotes(harness: Harness) -> None:
    stable = send(harness, "stable-1", traffic("stable", seed=61))
    assert follow(harness, window_key(harness, 2))["execution"] is None
    send_labels(harness, stable)
    before = follow(harness, labelled_key(harness, 2))
    assert before["report"]["concept_drift"]["tested"] and not before["report"]["concept_drift"]["detected"]
    assert before["execution"] is None

    changed = send(harness, "changed-1", traffic("concept", seed=62), hour="2026/12/05/10")
    unlabelled = follow(harness, window_key(harness, 3))
    assert unlabelled["execution"] is None  # no labels yet: nothing says the model is wrong
    send_labels(harness, changed, hour="2026/12/06/11")
    after = follow(harness, labelled_key(harness, 3))
    concept = after["report"]["concept_drift"]
    assert concept["detected"] and concept["error_rate"] > 0.3  # on the captured predictions
    assert after["execution"] is not None and PROMOTED_STATE in after["execution"]["path"]
    manifest = harness.manifest(after["execution"]["name"])
    assert manifest["window_strategy"] == "since_change"
    assert [b["key"] for b in manifest["batches"]] == [labelled_key(harness, 3)]  # post-change rows only
    assert harness.lock_released()

    healed = send(harness, "changed-2", traffic("concept", seed=63), hour="2026/12/05/12")
    follow(harness, window_key(harness, 4))
    send_labels(harness, healed, hour="2026/12/06/13")
    judged = follow(harness, labelled_key(harness, 4))
    champion = harness.read_json("baseline/current/profile.json")["metadata"]["model_name"]
    assert judged["report"]["monitor"]["served_by"] == {champion: 600}  # the promoted model answered
    served_before = after["report"]["monitor"]["served_by"]
    assert list(served_before) != [champion] and sum(served_before.values()) == 600
    assert not judged["report"]["concept_drift"]["detected"] and judged["execution"] is None
