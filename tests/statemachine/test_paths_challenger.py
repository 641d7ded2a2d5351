"""The challenger on the real state machine: a first model whose holdout is poor (30% of its training
labels flipped, as when the training file spans a drift) serves batches whose error rises but never
significantly above that holdout, so the concept test never fires. Every 4 labelled batches, when the
rise is worth a job and the day's budget allows, DetectDrift starts one ``newest`` candidate; the paired
test alone decides whether it serves."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from workflow_support import Harness, bootstrapped_cloud

from drift_retrain.reports.subjects import PREFIX, PROMOTED, REJECTED
from drift_retrain_local.demos.data import LABEL, features, rule_a, rule_b

ROWS = 1_000
CHALLENGER = {"challenger_every_batches": 4}


def mixed_csv(seed: int, share_b: float, noise: float = 0.0) -> bytes:
    """Labels from rule B on ``share_b`` of the rows (rule A on the rest), ``noise`` of them flipped."""
    rng = np.random.default_rng(seed)
    frame = features(ROWS, rng)
    label = np.where(rng.random(ROWS) < share_b, rule_b(frame), rule_a(frame)) ^ (rng.random(ROWS) < noise)
    frame.insert(0, LABEL, label.astype(int))
    return frame.to_csv(index=False).encode()


def report(harness: Harness, entry: dict) -> dict:
    return harness.read_json(entry["detect"]["report_key"])


def workflow_notices(harness: Harness, entry: dict) -> list[dict]:
    """The retrain workflow's notification of the entry's execution (not DetectDrift's)."""
    outcomes = (PROMOTED, REJECTED)
    return [
        m
        for m in harness.runner.notifications.messages
        if m["subject"] in entry["notifications"]
        and m["subject"].startswith(tuple(f"{PREFIX} {o}" for o in outcomes))
    ]


@pytest.fixture  # one embedded AWS per process: this cloud goes before the next one starts
def winning() -> Iterator[Harness]:
    with bootstrapped_cloud(train_seed=31, settings=CHALLENGER, train_noise=0.3) as running:
        yield running


def test_a_challenger_that_wins_is_promoted(winning: Harness) -> None:
    """Rule B takes over the rows: the champion's error climbs from its best towards its poor holdout;
    a model of the newest batch (mostly rule B) serves it far better, and the paired test says so."""
    entries = [
        winning.upload(f"drift-{i}.csv", mixed_csv(70 + i, share))
        for i, share in enumerate((0, 0.3, 0.6, 0.85))
    ]
    reports = [report(winning, e) for e in entries]
    assert [r["concept_drift"]["detected"] for r in reports] == [False] * 4, [
        r["concept_drift"] for r in reports
    ]
    assert [e["execution"] for e in entries[:3]] == [None] * 3
    assert [r["challenger"]["decision"] for r in reports] == ["no challenge"] * 3 + ["challenge"]

    challenged = entries[3]
    assert challenged["retrain_trigger"] == "challenger" and challenged["outcome"] == "promoted", challenged
    assert [s for s, _ in challenged["evaluation"]["candidates"]] == ["newest"]
    assert challenged["evaluation"]["candidate"] < challenged["evaluation"]["champion"]
    manifest = winning.manifest(challenged["execution"]["name"])
    assert [b["key"] for b in manifest["batches"]] == ["incoming/drift-3.csv"]
    [notice] = workflow_notices(winning, challenged)
    assert "challenger won" in notice["subject"] and "CHALLENGER run" in notice["message"]
    assert winning.lock_released()


def linear_rule_csv(seed: int, rule=None) -> bytes:
    """Labels from a linear rule (card utilisation above one half): rule A agrees on about 3 rows in
    4, so a champion of noisy rule A serves it at about its own poor holdout and no concept test fires;
    ``rule`` replaces it."""
    rng = np.random.default_rng(seed)
    frame = features(ROWS, rng)
    label = rule(frame) if rule is not None else frame["utilization"] > 0.5
    frame.insert(0, LABEL, np.asarray(label, dtype=int))
    return frame.to_csv(index=False).encode()


@pytest.fixture  # one embedded AWS per process: this cloud goes before the next one starts
def probed() -> Iterator[Harness]:
    with bootstrapped_cloud(
        train_seed=33, settings={"challenger_every_batches": 1}, train_noise=0.3
    ) as running:
        yield running


def test_a_probes_challenger_is_a_linear_learner_and_its_family_is_refreshed_after(probed: Harness) -> None:
    """The champion's error is flat at its holdout, but the probe (a linear model) fitted on the batch
    beats it by far: the challenger is that model at full size, a Linear Learner on the newest batch, and
    it wins. When the world changes again, the retrain trains the serving family (Linear Learner) on its
    first window beside the configured XGBoost, and the paired test picks between them."""
    entry = probed.upload("linear-0.csv", linear_rule_csv(60))
    block = report(probed, entry)["challenger"]
    assert not report(probed, entry)["concept_drift"]["detected"]
    assert block["decision"] == "challenge" and block["gain"]["signal"] == "probe", block
    assert entry["retrain_trigger"] == "challenger" and entry["outcome"] == "promoted", entry
    assert entry["evaluation"]["candidate_algorithms"] == ["linear-learner"]
    assert entry["evaluation"]["candidate"] < entry["evaluation"]["champion"] - 0.1, entry["evaluation"]
    profile = probed.read_json("baseline/current/profile.json")
    assert profile["metadata"]["algorithm"] == "linear-learner"
    manifest = probed.manifest(entry["execution"]["name"])
    assert manifest["trigger"]["challenger_signal"] == "probe"
    assert [c["algorithm"] for c in manifest["candidates"]] == ["linear-learner"]
    [notice] = workflow_notices(probed, entry)
    assert "challenger won" in notice["subject"]
    assert "a Linear Learner of the newest batch was tried against it" in notice["message"]

    changed = probed.upload("rule-b-0.csv", linear_rule_csv(61, rule_b))
    assert report(probed, changed)["concept_drift"]["detected"], report(probed, changed)["concept_drift"]
    assert changed["retrain_trigger"] == "performance", changed
    manifest = probed.manifest(changed["execution"]["name"])
    first_window = manifest["candidates"][0]["strategy"]
    trained = [(c["strategy"], c["algorithm"]) for c in manifest["candidates"] if c["strategy"] != "registry"]
    assert trained[:2] == [(first_window, "xgboost"), (first_window, "linear-learner")], trained
    assert all(a == "xgboost" for _, a in trained[2:]), trained
    # the budget counts the family's job: the challenger's 1, then since_change and newest x XGBoost + 1
    retrained = report(probed, changed)["challenger"]
    assert retrained["why"] == "a retrain on loss evidence starts instead"
    if retrained["day"] == block["day"]:  # else the UTC day turned during the test: counted afresh
        assert probed.read_json("reports/challenger/state.json")["jobs_today"] == 1 + 3
    assert probed.lock_released()


@pytest.fixture(scope="module")
def losing() -> Iterator[Harness]:
    settings = {**CHALLENGER, "challenger_max_jobs_per_day": 1}
    with bootstrapped_cloud(train_seed=32, settings=settings, train_noise=0.3) as running:
        yield running


def test_a_challenger_that_loses_leaves_the_champion_and_says_so(losing: Harness) -> None:
    """The error rises with label noise no model can learn: the challenger is no better, the champion
    keeps serving, and the notice says it was a challenge that lost."""
    before = losing.read_json("baseline/current/profile.json")["metadata"]["model_name"]
    entries = [
        losing.upload(f"noisy-{i}.csv", mixed_csv(80 + i, 0, noise))
        for i, noise in enumerate((0.0, 0.08, 0.16, 0.24))
    ]
    reports = [report(losing, e) for e in entries]
    assert [r["concept_drift"]["detected"] for r in reports] == [False] * 4
    challenged = entries[3]
    assert challenged["retrain_trigger"] == "challenger" and challenged["outcome"] == "rejected", challenged
    assert losing.read_json("baseline/current/profile.json")["metadata"]["model_name"] == before
    [notice] = workflow_notices(losing, challenged)
    assert "challenger lost, champion keeps serving" in notice["subject"]
    assert "CHALLENGER run" in notice["message"] and "the champion keeps serving" in notice["message"]
    assert losing.lock_released()


def test_past_the_days_budget_no_job_starts_and_the_report_says_why(losing: Harness) -> None:
    """The same champion, its error still high: due again after 4 batches and worth a job, but the day's
    one job went to the challenger that lost."""
    entries = [losing.upload(f"still-{i}.csv", mixed_csv(90 + i, 0, 0.24)) for i in range(4)]
    assert [e["execution"] for e in entries] == [None] * 4
    block = report(losing, entries[3])["challenger"]
    spent = losing.read_json("reports/challenger/state.json")
    if spent["day"] != block.get("day", spent["day"]):
        pytest.skip("the UTC day turned during the test: the budget started again")
    assert block["due"] and block["gain"]["worth"] and block["budget_left"] == 0
    assert block["decision"] == "no challenge" and "budget is spent" in block["why"]
