"""The stream benchmark's own logic (benchmarks/stream_bench): its means, its oracle, its targets and how
it reads challengers. The benchmark itself (river streams through the local cloud) runs only under
``make bench-stream``; these checks need neither river nor a cloud, so a wrong figure in the committed
table cannot come from this logic unnoticed."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pytest
from support.paths import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

from stream_bench import metrics
from stream_bench.baselines import history, run_baselines, schedule
from stream_bench.scenarios import Scenario
from stream_bench.service import challenger


# --------------------------------------------------------------------------------------------- means
def test_post_change_mean_leaves_out_the_shared_batches_before_the_change_and_the_change_batch():
    errors = [0.1, 0.1, 0.1, 0.1, 0.6, 0.3, 0.2, 0.2]
    fig = metrics.summarise(errors, errors, changes=[4], first_change=4, retrain_after=[], jobs=[])
    assert fig["mean_after_change"] == pytest.approx((0.3 + 0.2 + 0.2) / 3)
    assert fig["mean_all"] == pytest.approx(sum(errors) / len(errors))


def test_incremental_drift_post_change_mean_starts_after_batch_0_and_a_quiet_stream_uses_all():
    assert metrics.after_change(5, changes=[], first_change=0) == [1, 2, 3, 4]
    assert metrics.after_change(3, changes=[], first_change=None) == [0, 1, 2]
    assert metrics.after_change(8, changes=[2, 5], first_change=2) == [3, 4, 6, 7]


def test_scenario_first_change_defaults_to_its_first_change_point():
    assert Scenario("s", "", b"", [], changes=[4, 8]).first_change == 4
    assert Scenario("s", "", b"", []).first_change is None


# --------------------------------------------------------------------------------------------- oracle
def test_change_point_oracle_trains_on_post_change_batches_only():
    scenario = Scenario("abrupt", "", b"", [], changes=[4], segments=[(4, 4)])
    assert schedule("oracle", scenario, 3, w=5, k=4) is None  # before the change: the first model
    assert schedule("oracle", scenario, 4, w=5, k=4) == [4]
    assert schedule("oracle", scenario, 6, w=5, k=4) == [4, 5, 6]
    assert schedule("oracle", scenario, 8, w=5, k=4) == [4, 5, 6, 7, 8]
    assert schedule("oracle", scenario, 9, w=5, k=4) is None  # W settled batches: it stops


def test_history_cuts_the_training_file_from_its_newest_rows():
    train = pd.DataFrame({"t": range(5)})
    chunks = history(train, rows=2, in_time_order=True)
    assert [name for name, _ in chunks] == ["train-00", "train-01", "train-02"]
    assert [list(c["t"]) for _, c in chunks] == [[0], [1, 2], [3, 4]]
    assert history(train, rows=2, in_time_order=False) == []


@dataclass
class FakeModel:
    window: tuple[str, ...]
    best: dict[int, int]  # batch -> the window size that scores 0 on it
    seconds: int = 3

    def error(self, frame: pd.DataFrame, schema: Any) -> float:
        batch = int(frame["b"].iloc[0])
        if self.window == ("bootstrap",):
            return 0.5
        return abs(len(self.window) - self.best[batch]) / 10


@dataclass
class FakeTrainer:
    best: dict[int, int]
    schema: Any = None
    windows: list[tuple[str, ...]] = field(default_factory=list)

    def fit(
        self, frames: list[tuple[str, pd.DataFrame]], algorithm: str = "xgboost", trigger: Any = None
    ) -> FakeModel:
        names = tuple(reversed([name for name, _ in frames]))  # newest first -> oldest first
        self.windows.append((algorithm, *names))
        return FakeModel(names, self.best)


def test_hindsight_oracle_scores_each_batch_with_its_best_window_of_1_to_w_from_the_same_trainer():
    best = {0: 2, 1: 3, 2: 1, 3: 5}
    frames = [pd.DataFrame({"b": [b] * 4}) for b in range(4)]
    train = pd.DataFrame({"b": [-1] * 12})  # 3 batch-sized chunks before batch 0
    scenario = Scenario(
        "drift_in_train", "", b"", [], hindsight=True, first_change=0, train_in_time_order=True
    )
    trainer = FakeTrainer(best)
    runs, _ = run_baselines(trainer, scenario, train, frames, w=4, k=2, log=lambda _: None)
    oracle = runs["oracle"]
    # batch 0: windows of 1..3 training-file chunks; batch 3: 4 is the most allowed, 5 was best
    assert oracle.windows == [2, 3, 1, 4]
    assert oracle.errors == pytest.approx([0.0, 0.0, 0.0, 0.1])
    assert len(oracle.job_seconds) == 3 + 4 + 4 + 4  # charged one job per window tried
    # every window is trained once, by the same (XGBoost) trainer, and shared with the other policies
    xgb = [w for w in trainer.windows if w[0] == "xgboost"]
    assert len(xgb) == len(set(xgb))
    assert ("xgboost", "train-02", "batch-00") in trainer.windows
    assert runs["newest_batch"].errors[1:] == [oracle_error(best, b, 1) for b in range(1, 4)]
    assert {w[0] for w in trainer.windows} == {"xgboost", "linear-learner"}


def oracle_error(best: dict[int, int], batch: int, size: int) -> float:
    return abs(size - best[batch]) / 10


# --------------------------------------------------------------------------------------------- targets
def _scenario(ours: list[float], oracle: list[float], **extra: Any) -> dict[str, Any]:
    changes, first = extra.pop("changes", [1]), extra.pop("first_change", 1)
    jobs = extra.pop("jobs", {})
    policies = {}
    for name in metrics.POLICIES:
        errors = oracle if name == "oracle" else ours if name == "ours" else [0.5] * len(ours)
        run = [{"kind": "training", "seconds": 1, "instance_type": None, "instance_count": 1}] * jobs.get(
            name, 0
        )
        policies[name] = metrics.summarise(errors, oracle, changes, first, [], run)
    policies["ours"] = metrics.summarise(
        ours, oracle, changes, first, [], [], extra.pop("promotions", 0), extra.pop("challengers", None)
    )
    policies["ours"]["cost"]["training_jobs"] = jobs.get("ours", 0)
    return {"changes": changes, "first_change": first, "policies": policies, **extra}


def _result(checks: list[dict[str, Any]], prefix: str) -> dict[str, Any]:
    return next(c for c in checks if c["target"].startswith(prefix))


def test_ratio_target_uses_the_post_change_mean_of_every_drifting_scenario():
    shared = [0.05] * 6
    scenarios = {
        "abrupt": _scenario([*shared, 0.5, 0.13], [*shared, 0.5, 0.1], changes=[6], first_change=6),
        "drift_in_train": _scenario(
            [0.3, 0.25, 0.25], [0.3, 0.1, 0.1], changes=[], first_change=0, hindsight=True
        ),
    }
    checks = metrics.targets(scenarios)
    # over all batches abrupt would be 1.04x; after the change it is 1.3x
    assert _result(checks, "abrupt:")["result"] == "FAIL"
    assert "1.30x" in _result(checks, "abrupt:")["measured"]
    assert _result(checks, "drift_in_train:")["result"] == "FAIL"


def test_quiet_scenarios_allow_one_challenger_per_8_batches_and_no_promotion():
    quiet = {"changes": [], "first_change": None}
    ok = {"no_drift": _scenario([0.05] * 16, [0.05] * 16, challengers=2, **quiet)}
    too_many = {"no_drift": _scenario([0.05] * 16, [0.05] * 16, challengers=3, **quiet)}
    absent = {"no_drift": _scenario([0.05] * 16, [0.05] * 16, challengers=None, **quiet)}
    promoted = {"no_drift": _scenario([0.05] * 16, [0.05] * 16, promotions=1, **quiet)}
    name = "quiet scenarios"
    assert _result(metrics.targets(ok), name)["result"] == "PASS"
    assert _result(metrics.targets(too_many), name)["result"] == "FAIL"
    assert _result(metrics.targets(absent), name)["result"] == "PASS"
    assert "no challenger field" in _result(metrics.targets(absent), name)["measured"]
    assert _result(metrics.targets(promoted), name)["result"] == "FAIL"


def test_job_target_compares_with_retrain_every_batch_and_reference_target_needs_a_reference():
    scenario = _scenario([0.1, 0.5, 0.1], [0.1, 0.5, 0.1], jobs={"ours": 4, "every_batch": 12})
    checks = metrics.targets({"abrupt": scenario})
    assert _result(checks, "ours' training jobs")["result"] == "PASS"
    assert _result(checks, "abrupt, recurring")["result"] == "SKIPPED"
    reference = {"service": "commit x", "mean_after_change": {"abrupt": 0.09}}
    assert _result(metrics.targets({"abrupt": scenario}, reference), "abrupt, recurring")["result"] == "FAIL"
    reference["mean_after_change"]["abrupt"] = 0.096
    assert _result(metrics.targets({"abrupt": scenario}, reference), "abrupt, recurring")["result"] == "PASS"
    more = _scenario([0.1, 0.5, 0.1], [0.1, 0.5, 0.1], jobs={"ours": 5, "every_batch": 12})
    assert _result(metrics.targets({"abrupt": more}), "ours' training jobs")["result"] == "FAIL"


def test_best_baseline_is_a_deployable_policy_never_the_oracle():
    policies = {p: {"mean_after_change": 0.3} for p in metrics.POLICIES}
    policies["oracle"]["mean_after_change"] = 0.01
    policies["linear_newest"]["mean_after_change"] = 0.1
    assert metrics.best_baseline(policies) == "linear_newest"


# --------------------------------------------------------------------------------------------- challengers
def test_challenger_is_read_from_the_report_and_is_none_when_the_service_has_no_such_field():
    assert challenger({}, {}, retrained=False) == {"ran": None, "reason": None}
    report = {"challenger": {"ran": False, "reason": "budget spent"}}
    assert challenger(report, {}, retrained=False) == {"ran": False, "reason": "budget spent"}
    assert challenger({"challenger": {"started": True}}, {}, retrained=True)["ran"] is True
    # the service's own block (drift report version 2): the decision says a challenger started
    block = {"enabled": True, "decision": "challenge", "why": "challenger started: the error rose"}
    assert challenger({"challenger": block}, {}, retrained=True) == {"ran": True, "reason": block["why"]}
    assert (
        challenger({"challenger": {**block, "decision": "no challenge"}}, {}, retrained=False)["ran"] is False
    )
    named = {"retrain_reasons": ["challenger: the newest batch disagrees with the champion"]}
    assert challenger(named, {}, retrained=True)["ran"] is True
    assert challenger(named, {}, retrained=False)["ran"] is None
