"""Where the error moved finds the injected segment and stays quiet otherwise.

A stream of 1,000-row batches, every other one labelled; from batch 3 the concept changes only in one
region (the label flips there). The champion is the rule of the world before the change, profiled with
its per-segment holdout errors. On the first labelled batch after the change, that region must be ranked
first (and flagged) in every seed; on batches of the unchanged world, Holm's correction over every
segment tested must keep the share of batches with any flagged segment at or below alpha.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from runs import binomial_upper

from drift_retrain.engine.check import check_frame
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.performance import HoldoutPerformance, prediction_losses
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.schema import ColumnSpec, Schema
from drift_retrain.engine.segment_analysis import segment_analysis

pytestmark = pytest.mark.statistical

ALPHA = 0.05
SCHEMA = Schema(
    columns=(
        ColumnSpec("region", "categorical"),
        ColumnSpec("plan", "categorical"),
        ColumnSpec("salary", "numeric"),
        ColumnSpec("age", "numeric"),
        ColumnSpec("tenure", "numeric"),
    ),
    label="y",
    task="binary",
    classes=("0", "1"),
)
REGIONS = np.array(["north", "south", "east", "west", "central"], dtype=object)
REGION_SHARES = np.array([0.3, 0.2, 0.2, 0.2, 0.1])
PLANS = np.array(["basic", "plus", "premium"], dtype=object)
CHANGED_REGION = "south"
CHANGE_AT, BATCHES, BATCH_ROWS = 3, 8, 1_000


def world(rows: int, rng: np.random.Generator, *, changed: bool) -> pd.DataFrame:
    region = rng.choice(REGIONS, rows, p=REGION_SHARES)
    salary = rng.normal(50.0, 10.0, rows)
    tenure = rng.exponential(4.0, rows)
    tenure[rng.random(rows) < 0.05] = np.nan
    label = (rng.random(rows) < 1 / (1 + np.exp(-(salary - 50.0) / 4.0))).astype(int)
    if changed:
        label = np.where(region == CHANGED_REGION, 1 - label, label)
    return pd.DataFrame(
        {
            "region": region,
            "plan": rng.choice(PLANS, rows),
            "salary": salary,
            "age": rng.normal(40.0, 12.0, rows),
            "tenure": tenure,
            "y": label.astype(str),
        }
    )


def champion(rows: pd.DataFrame) -> np.ndarray:
    """The Bayes rule of the world before the change."""
    return 1 / (1 + np.exp(-(rows["salary"].to_numpy() - 50.0) / 4.0))


def profile_of(rng: np.random.Generator):
    train, holdout = world(5_000, rng, changed=False), world(2_000, rng, changed=False)
    losses = prediction_losses("binary", holdout["y"].to_numpy(), champion(holdout), SCHEMA.classes)
    return build_profile(
        train,
        SCHEMA,
        holdout=HoldoutPerformance("binary", len(losses), int(losses.sum())),
        holdout_rows=holdout,
        holdout_losses=losses,
    )


def stream(seed: int):
    """``(index, frame)`` per batch; odd batches carry labels, even ones none."""
    rng = np.random.default_rng(seed)
    for index in range(BATCHES):
        frame = world(BATCH_ROWS, rng, changed=index >= CHANGE_AT)
        if index % 2 == 0:
            frame["y"] = None
        yield index, frame


def first_labelled_after_change(profile, seed: int) -> dict:
    for index, frame in stream(seed):
        if index < CHANGE_AT or frame["y"].isna().all():
            continue
        report = check_frame(
            frame,
            profile,
            DriftConfig(alpha=ALPHA),
            predictor=champion,
            batch_id=f"batch-{index}",
            source_name=None,
            rows=len(frame),
            sampling={},
        ).to_dict()
        return report["segments"]
    raise AssertionError("the stream has no labelled batch after the change")


@pytest.mark.parametrize("seed", range(20))
def test_the_region_whose_concept_changed_is_ranked_first(seed):
    profile = profile_of(np.random.default_rng(1_000 + seed))
    block = first_labelled_after_change(profile, seed)
    top = block["top"][0]
    print(f"seed {seed}: {top['label']} explains {top['explained_share']:.2f}, {block['flagged']} flagged")
    assert (top["feature"], top["segment"]) == ("region", CHANGED_REGION)
    assert top["flagged"] and top["holdout_source"] == "segment"


def test_no_segment_is_flagged_on_unchanged_batches_in_most_seeds():
    trials, alarms, tested = 200, 0, []
    for seed in range(trials):
        rng = np.random.default_rng(5_000 + seed)
        profile = profile_of(rng)
        batch = world(BATCH_ROWS, rng, changed=False)
        losses = prediction_losses("binary", batch["y"].to_numpy(), champion(batch), SCHEMA.classes)
        block = segment_analysis(profile, batch, losses, alpha=ALPHA)
        alarms += block["flagged"] > 0
        tested.append(block["segments_tested"])
    print(f"batches with a flagged segment: {alarms / trials:.3f} (segments tested {np.mean(tested):.0f})")
    assert alarms / trials <= binomial_upper(ALPHA, trials)
