"""PromotionMode ab through the REAL definition on the local cloud: the candidate serves ab_traffic_percent
beside the champion until DetectDrift's sequential test on the next labelled batches decides, then the
weights shift and one variant is left. Every way out clears the A/B record and releases the lock.

The tests share one bootstrapped cloud and run in order (each leaves the champion the next one starts
from): rule A serves first; the candidate wins (rule B serves); a candidate trained on rule A loses to it
online; the champion variant fails during a test (the candidate takes over); a test with no labelled
batch runs out of time (heartbeat) and the champion stays.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from workflow_support import TIMEOUT, Harness, batch_csv, bootstrapped_cloud, history

from drift_retrain.aws.ab_record import complete_task
from drift_retrain_local.run.observe import wait_for_execution

CHAMPION_VARIANT, CANDIDATE_VARIANT = "AllTraffic", "Candidate"
HEARTBEAT_SECONDS = 30


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with bootstrapped_cloud(
        PromotionMode="ab", settings={"ab_heartbeat_seconds": HEARTBEAT_SECONDS}
    ) as running:
        yield running


@pytest.fixture(autouse=True)
def disarm(harness: Harness):
    yield
    harness.cloud.failures.clear()


def variants(harness: Harness) -> dict[str, float]:
    described = harness.cloud.client("sagemaker").describe_endpoint(EndpointName=harness.endpoint)
    return {v["VariantName"]: v["CurrentWeight"] for v in described["ProductionVariants"]}


def serving_models(harness: Harness) -> dict[str, str]:
    sagemaker = harness.cloud.client("sagemaker")
    config = sagemaker.describe_endpoint(EndpointName=harness.endpoint)["EndpointConfigName"]
    described = sagemaker.describe_endpoint_config(EndpointConfigName=config)
    return {v["VariantName"]: v["ModelName"] for v in described["ProductionVariants"]}


def start_test(harness: Harness, kind: str, seed: int) -> dict:
    """Upload a batch the champion gets wrong: the retrain's winner goes live at 10% beside it."""
    before = serving_models(harness)
    entry = harness.upload(f"{kind}-ab-start-{seed}.csv", batch_csv(kind, seed=seed))
    assert entry["outcome"] == "ab_testing", entry
    assert entry["ab_test"]["event"] == "started" and entry["ab_test"]["traffic_share"] == 0.1
    assert variants(harness) == {CHAMPION_VARIANT: 90.0, CANDIDATE_VARIANT: 10.0}
    assert serving_models(harness)[CHAMPION_VARIANT] == before[CHAMPION_VARIANT]
    assert not harness.lock_released()  # no competing retrain during the test
    return harness.read_json("ab/current.json")


def test_the_candidate_wins_online_then_serves_alone(harness: Harness) -> None:
    record = start_test(harness, "concept", seed=101)
    entries = [
        harness.upload(f"concept-ab-evidence-{i}.csv", batch_csv("concept", seed=110 + i)) for i in range(3)
    ]
    decided = next(e for e in entries if e["outcome"] != "ab_evidence")
    assert decided["outcome"] == "promoted", decided
    assert decided["ab_test"]["decision"]["winner"] == "candidate"
    evidence = decided["ab_test"]["evidence"]
    assert evidence["candidate_error"] < evidence["champion_error"] and evidence["p_value"] < 0.05
    assert evidence["statistic"] >= evidence["boundary"]
    path = decided["execution"]["path"]
    assert path.index("Shift all traffic to the candidate variant") < path.index(
        "Remove the champion variant"
    )
    assert path.index("Remove the champion variant") < path.index("Promote candidate")
    assert variants(harness) == {CHAMPION_VARIANT: 1.0}
    assert serving_models(harness) == {CHAMPION_VARIANT: record["variants"]["candidate"]["model_name"]}
    profile = harness.read_json("baseline/current/profile.json")
    assert profile["metadata"]["model_name"] == record["variants"]["candidate"]["model_name"]
    assert not harness.exists("ab/current.json") and harness.lock_released()
    body = harness.runner.notifications.messages[-1]["message"]
    assert "A/B test" in body and "candidate" in body

    # A second completion of the same token (a redelivered batch, a crash retry) changes nothing.
    sfn = harness.cloud.client("stepfunctions")
    assert (
        complete_task(sfn, record["task_token"], {"decision": "champion", "reason": "late duplicate"})
        is False
    )
    completions = [
        e
        for e in history(sfn, decided["execution"]["arn"])
        if e["type"] == "TaskSucceeded"
        and "waitForTaskToken" in (e.get("taskSucceededEventDetails") or {}).get("resource", "")
    ]
    assert len(completions) == 1
    assert json.loads(completions[0]["taskSucceededEventDetails"]["output"])["decision"] == "candidate"
    assert sfn.describe_execution(executionArn=decided["execution"]["arn"])["status"] == "SUCCEEDED"


def partition(folder: Path, kind: str, seed: int, parts: int = 3) -> Path:
    """A labelled batch written as ``parts`` CSV part files: checked on the Distributed Map."""
    header, *rows = batch_csv(kind, seed=seed).decode().splitlines()
    folder.mkdir(parents=True)
    for i in range(parts):
        (folder / f"part-{i:05d}.csv").write_text("\n".join([header, *rows[i::parts]]) + "\n")
    return folder


def test_a_partition_checked_on_the_distributed_map_is_evidence_too(harness: Harness, tmp_path: Path) -> None:
    """The map's children keep their parts' labelled rows, and the reduce step scores both variants on
    them: a candidate that loses online on partitions is rejected as on single objects."""
    champion = serving_models(harness)[CHAMPION_VARIANT]
    start_test(harness, "stable", seed=151)  # a rule-A candidate beside the rule-B champion
    entries = []
    for i in range(3):
        entry = harness.runner.partition(partition(tmp_path / f"ab-map-{i}", "concept", seed=160 + i), i, 3)
        report = harness.read_json(entry["detect"]["report_key"])
        assert len(report["sampling"]["parts"]) == 3, report["sampling"]  # merged from the map's children
        entries.append(entry)
        if entry["outcome"] != "ab_evidence":
            break
    looked = entries[0]["ab_test"]
    rows = len(batch_csv("concept", seed=160).decode().splitlines()) - 1
    assert looked["counted"] and looked["skipped"] is None, looked
    assert looked["batch_rows"] == rows  # every part's labelled rows, scored by both variants once
    decided = entries[-1]
    assert decided["outcome"] == "rejected", decided
    assert decided["ab_test"]["decision"]["winner"] == "champion"
    assert serving_models(harness) == {CHAMPION_VARIANT: champion}
    assert not harness.exists("ab/current.json") and harness.lock_released()


def test_a_candidate_that_loses_online_leaves_the_champion_alone(harness: Harness) -> None:
    champion = serving_models(harness)[CHAMPION_VARIANT]
    start_test(
        harness, "stable", seed=201
    )  # rule A again: the rule-B champion is wrong, a rule-A candidate wins offline
    entries = [
        harness.upload(f"back-ab-evidence-{i}.csv", batch_csv("concept", seed=210 + i)) for i in range(3)
    ]
    decided = next(e for e in entries if e["outcome"] != "ab_evidence")
    assert decided["outcome"] == "rejected", decided
    assert decided["ab_test"]["decision"]["winner"] == "champion"
    path = decided["execution"]["path"]
    assert path.index("Shift all traffic back to the champion variant") < path.index(
        "Remove the candidate variant"
    )
    assert "Promote candidate" not in path and "Record A/B rejection" in path
    assert variants(harness) == {CHAMPION_VARIANT: 1.0}
    assert serving_models(harness) == {CHAMPION_VARIANT: champion}
    assert harness.read_json("baseline/current/profile.json")["metadata"]["model_name"] == champion
    assert not harness.exists("ab/current.json") and harness.lock_released()
    body = harness.runner.notifications.messages[-1]["message"]
    assert "A/B test" in body and "champion" in body


def test_a_failing_champion_variant_hands_the_traffic_to_the_candidate(harness: Harness) -> None:
    record = start_test(harness, "stable", seed=301)
    harness.cloud.failures.fail_variant(harness.endpoint, CHAMPION_VARIANT)
    entry = harness.upload("stable-ab-champion-down.csv", batch_csv("stable", seed=302))
    harness.cloud.failures.clear()
    assert entry["outcome"] == "promoted", entry
    assert entry["ab_test"]["decision"]["reason"].startswith("champion variant failed")
    assert serving_models(harness) == {CHAMPION_VARIANT: record["variants"]["candidate"]["model_name"]}
    body = harness.runner.notifications.messages[-1]["message"]
    assert "champion variant failed" in body  # the notice says why, not "won the A/B test"
    assert not harness.exists("ab/current.json") and harness.lock_released()


def test_without_labelled_batches_the_test_runs_out_of_time_and_the_champion_stays(harness: Harness) -> None:
    champion = serving_models(harness)[CHAMPION_VARIANT]
    record = start_test(harness, "concept", seed=401)
    harness.cloud.clock.pass_heartbeat(HEARTBEAT_SECONDS, timeout=TIMEOUT)  # no labelled batch comes
    sfn = harness.cloud.client("stepfunctions")
    ended = wait_for_execution(sfn, record["execution_arn"], timeout=TIMEOUT)
    assert ended.status == "SUCCEEDED", ended
    assert "The A/B test ended without a decision" in ended.path and "Record A/B rejection" in ended.path
    assert serving_models(harness) == {CHAMPION_VARIANT: champion}
    assert variants(harness) == {CHAMPION_VARIANT: 1.0}
    assert not harness.exists("ab/current.json") and harness.lock_released()
    harness.runner.waiting = None
