"""Linear Learner beside XGBoost: the candidates are windows x algorithms on the same held-out rows.

On a linearly separable concept (an oblique boundary across 20 features) XGBoost limited to shallow trees
(depth 1, 20 rounds) cannot draw the boundary and Linear Learner can: the tournament must pick Linear
Learner, the endpoint must serve it, and DetectDrift must score batches on it (JSON Lines responses).
The gap is wide (about 0.02 vs 0.2 error on every seed tried), so the outcome does not depend on the
split, which the local S3's random version ids seed.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest
from workflow_support import TIMEOUT, Harness

from drift_retrain_local.cloud.local_cloud import local_cloud
from drift_retrain_local.run.batches import BatchRunner
from drift_retrain_local.run.local_run import LOCAL_SETTINGS

FEATURES = 20


def oblique(rows: int, seed: int, direction: int = 0) -> bytes:
    """Labels on one side of a hyperplane through every feature (``direction`` picks the hyperplane)."""
    rng = np.random.default_rng(seed)
    normal = np.random.default_rng(100 + direction).normal(size=FEATURES)
    x = rng.normal(size=(rows, FEATURES))
    frame = pd.DataFrame(x, columns=[f"f{i:02d}" for i in range(FEATURES)]).round(5)
    frame.insert(0, "label", (x @ normal > 0).astype(int))
    return frame.to_csv(index=False).encode()


@pytest.fixture(scope="module")
def linear() -> Iterator[Harness]:
    parameters = {"LabelColumn": "label", "Algorithms": "xgboost,linear-learner"}
    settings = {
        **LOCAL_SETTINGS,
        "min_labelled_rows": 200,
        "max_depth": 1,
        "num_round": 20,
        "candidate_strategies": "since_change",
    }
    with local_cloud(parameters=parameters, settings=settings, simulated_time=True) as cloud:
        runner = BatchRunner(cloud, echo=lambda line: None, timeout=TIMEOUT)
        cloud.client("s3").put_object(Bucket=runner.bucket, Key="seed/train.csv", Body=oblique(2_000, 1))
        yield Harness(cloud, runner, runner.bootstrap_key("seed/train.csv"))


def _candidates(harness: Harness, execution_name: str) -> dict[str, float]:
    report = harness.read_json(f"reports/evaluation/{execution_name}.json")
    return {f"{c['strategy']}/{c['algorithm']}": c["error_rate"] for c in report["candidates"]}


def test_linear_learner_wins_the_first_tournament_on_a_linear_concept(linear: Harness) -> None:
    entry = linear.bootstrap
    assert entry["outcome"] == "promoted", entry
    errors = _candidates(linear, entry["execution"]["name"])
    print(f"\nfirst model, held-out error per candidate: {errors}")
    windows = ("bootstrap", "bootstrap_newest_half", "bootstrap_newest_quarter")  # the seed data's windows
    assert set(errors) == {f"{w}/{a}" for w in windows for a in ("xgboost", "linear-learner")}
    assert errors["bootstrap/linear-learner"] < 0.05 < 0.12 < errors["bootstrap/xgboost"]
    assert entry["evaluation"]["winner_algorithm"] == "linear-learner"
    profile = linear.read_json("baseline/current/profile.json")
    assert profile["metadata"]["algorithm"] == "linear-learner"
    assert "linear-learner" in profile["metadata"]["training_image"]


def test_a_rotated_boundary_is_learnt_again_by_linear_learner_and_swapped_in(linear: Harness) -> None:
    stable = linear.upload("stable.csv", oblique(600, 2))
    assert stable["outcome"] == "no_drift", stable  # DetectDrift scored it on the Linear Learner endpoint
    entry = linear.upload("rotated.csv", oblique(1_500, 3, direction=1))
    assert entry["concept_drift"] and entry["outcome"] == "promoted", entry
    errors = _candidates(linear, entry["execution"]["name"])
    print(
        f"\nafter the change, held-out error per candidate: {errors}; champion {entry['evaluation']['champion']}"
    )
    assert errors["since_change/linear-learner"] < errors["since_change/xgboost"]
    report = linear.read_json(f"reports/evaluation/{entry['execution']['name']}.json")
    assert report["best"]["algorithm"] == "linear-learner"
    assert report["settings"]["alpha_per_candidate"] == pytest.approx(0.05 / len(report["candidates"]))
