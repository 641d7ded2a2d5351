"""Captured traffic through the REAL state machine on the local cloud: requests through the endpoint,
Data Capture files, windows closed by MonitorCapture and checked by DetectDrift, labels a day later,
a concept change found on the captured predictions, a retrain from captured rows, and a promotion.
And the path where labels never come: alerts, never a retrain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from capture_paths_support import (
    CAPTURE_SETTINGS,
    follow,
    labelled_key,
    send,
    send_labels,
    traffic,
    window_key,
)
from workflow_support import TIMEOUT, Harness, bootstrapped_cloud

from drift_retrain_local.demos.data import LABEL

PROMOTED_STATE = "Promote candidate"


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with bootstrapped_cloud(train_seed=31, settings=CAPTURE_SETTINGS) as running:
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
    assert concept["detected"] and concept["error"] > 0.3  # on the captured predictions
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


def test_concurrent_and_redelivered_capture_files_fill_each_window_once(harness: Harness) -> None:
    """Eight capture files of one stream land at once, and EventBridge delivers each twice: every row is in
    exactly one window, and every window is written once. (The local Lambda runtime runs one invocation
    at a time; writers racing on the ledger are tests/functional/monitor/test_monitor_store.py's.)"""
    stream = "monitor-test/VariantB"
    frame = traffic("stable", seed=70, rows=8 * 250)
    bodies = []
    for part in range(8):
        rows = frame.iloc[part * 250 : (part + 1) * 250].drop(columns=[LABEL])
        lines = [
            json.dumps(
                {
                    "captureData": {
                        "endpointInput": {
                            "observedContentType": "application/json",
                            "mode": "INPUT",
                            "data": json.dumps(row),
                            "encoding": "JSON",
                        },
                        "endpointOutput": {
                            "observedContentType": "text/csv",
                            "mode": "OUTPUT",
                            "data": "0.2",
                            "encoding": "CSV",
                        },
                    },
                    "eventMetadata": {"eventId": f"c{part}-{i}", "inferenceTime": "2026-12-05T09:00:00Z"},
                    "eventVersion": "0",
                }
            )
            for i, row in enumerate(json.loads(rows.to_json(orient="records")))
        ]
        bodies.append((f"capture/{stream}/2026/12/05/09/f{part}.jsonl", ("\n".join(lines) + "\n").encode()))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(
            pool.map(
                lambda item: harness.s3.put_object(Bucket=harness.bucket, Key=item[0], Body=item[1]), bodies
            )
        )
    harness.cloud.events.wait(timeout=TIMEOUT)
    for key, _ in bodies:
        [delivery] = harness.cloud.events.deliveries_for(key, harness.bucket)
        assert delivery.result(timeout=1).ok
        harness.cloud.events.redeliver(delivery)
    harness.cloud.events.wait(timeout=TIMEOUT)

    ledger = harness.read_json(f"monitor/streams/{stream}.json")
    assert [w["rows"] for w in ledger["windows"]] == [750, 750]  # 2,000 rows: two windows, 500 still open
    taken = [name for w in ledger["windows"] for name in w["parts"]]
    assert len(taken) == len(set(taken)) == 6
    listing = harness.s3.list_objects_v2(Bucket=harness.bucket, Prefix=f"monitor/windows/{stream}/")
    assert [o["Key"].rsplit("/", 1)[1] for o in listing["Contents"]] == ["w000001.csv", "w000002.csv"]
    parts = harness.s3.list_objects_v2(Bucket=harness.bucket, Prefix=f"monitor/parts/{stream}/")
    assert parts["KeyCount"] == 8


def test_local_run_traffic_follows_each_window_to_its_estimate_realised_error_and_outcome(
    harness: Harness, tmp_path
) -> None:
    """``local run --traffic``'s driver on the capture stack (a window is 600 rows): each window it sees
    checked becomes a timeline entry whose realised error is the served error the endpoint's own answers
    gave, once its labels (here at once: --label-delay 0) have joined."""
    from drift_retrain_local.run.summary import render_traffic
    from drift_retrain_local.run.traffic import TrafficDriver

    files = []
    for seed in (81, 82):
        path = tmp_path / f"live-{seed}.csv"
        traffic("concept", seed=seed).to_csv(path, index=False)  # the world the promoted champion learnt
        files.append(path)
    lines: list[str] = []
    driver = TrafficDriver(harness.cloud, lines.append, TIMEOUT, label_delay=0)
    assert (driver.window_rows, driver.capture_rows) == (600, 150)
    sent = [driver.send(path, i, 2) for i, path in enumerate(files, 1)]
    driver.finish()
    windows = driver.window_entries()
    assert len(windows) == 2 and all(w["window"].startswith("AllTraffic/w") for w in windows)
    for window, file in zip(windows, sent, strict=True):
        assert window["rows"] == window["labelled_rows"] == file["rows"] == 600
        assert window["realised_error"] == pytest.approx(file["served_error"])  # the same answers, twice
        assert 0 <= window["estimated_error"] < 0.2 and window["estimate_alert"] is False
        # the champion's own world: no retrain (an alert may come from the small profile's features)
        assert window["outcome"] in ("no_drift", "drift_alert")
        assert [c["execution"] for c in window["checks"]] == [None] * len(window["checks"])
        assert window["checks"][0]["labelled"] is False  # checked unlabelled first
        # The capture file that closes the window is settled before its labels are sent: the first three
        # files' labels (450 rows) make r01 as it closes, the fourth's r02, whichever invocation a loaded
        # machine runs first.
        revisions = [c["key"].rpartition("-")[2] for c in window["checks"] if c["labelled"]]
        assert revisions == ["r01.csv", "r02.csv"]
    assert any("closed: 600 rows, estimated error" in line for line in lines)
    table = render_traffic({"files": sent, "windows": windows})
    assert "live-81.csv" in table and windows[0]["window"] in table and windows[0]["outcome"] in table
