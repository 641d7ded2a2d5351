"""When a refresh is due: a model trained after a change, on a sample the labelled rows now dwarf, that
serves without a significant loss (with a loss, the concept or gap test retrains it anyway)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drift_retrain.engine.champion import REFRESH_FACTOR, ConceptDrift, refresh_due
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.schema import infer_schema


def _profile(strategy: str | None, train: int = 360, validation: int = 40):
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"label": rng.integers(0, 2, 400), "x": rng.normal(size=400)})
    profile = build_profile(frame, infer_schema(frame, label="label"))
    profile.metadata["rows"] = {"train": train, "validation": validation, "test": 100}
    if strategy:
        profile.metadata["window_strategy"] = strategy
    return profile


FINE = ConceptDrift(tested=True, detected=False, gap_detected=False, rows=1000)


@pytest.mark.parametrize("strategy", ["since_change", "newest"])
def test_due_once_a_batch_holds_the_factor_times_the_rows_the_model_learnt_from(strategy):
    profile = _profile(strategy)
    assert refresh_due(profile, FINE, REFRESH_FACTOR * 400 - 1) == ""
    why = refresh_due(profile, FINE, REFRESH_FACTOR * 400)
    assert "from 400 rows" in why and "800 labelled rows" in why


@pytest.mark.parametrize(
    "strategy, concept",
    [
        (None, FINE),  # the bootstrap model, or one trained on recent rows: no change it learnt
        ("recent", FINE),
        ("since_change", ConceptDrift(tested=False, reason="no labelled rows")),
        ("since_change", ConceptDrift(tested=True, detected=True)),  # a loss retrains anyway
        ("since_change", ConceptDrift(tested=True, gap_detected=True)),
    ],
)
def test_not_due_without_a_change_learnt_or_with_a_loss_or_no_test(strategy, concept):
    assert refresh_due(_profile(strategy), concept, 100_000) == ""


def test_a_refresh_walk_without_the_models_own_window_listed_stops_at_the_old_concept():
    """The serving model's training batches may be gone (deleted, expired): the walk then ends at the first
    batch an earlier model handled fine, never mixing the old concept in."""
    from datetime import UTC, datetime

    from drift_retrain.workflow.prepare_training_data.change_window import BatchVerdict, since_change
    from drift_retrain.workflow.prepare_training_data.window import ListedBatch

    at = datetime(2026, 1, 1, tzinfo=UTC)
    ordered = [ListedBatch(f"incoming/b{i}.csv", at) for i in (4, 3, 2, 1)]
    verdicts = {
        "incoming/b4.csv": BatchVerdict("incoming/b4.csv", False, "m2"),  # the serving model, fine
        "incoming/b3.csv": BatchVerdict("incoming/b3.csv", True, "m1"),  # the change
        "incoming/b2.csv": BatchVerdict("incoming/b2.csv", False, "m1", why="serving error rate 5.0%"),
        "incoming/b1.csv": BatchVerdict("incoming/b1.csv", True, "m0"),
    }
    chosen, _, ended = since_change(
        ordered,
        verdicts,
        serving_model="m2",
        serving_recovered=True,
        max_batches=20,
        serving_window=["incoming/gone.csv"],
        refresh=True,
    )
    assert [b.key for b in chosen] == ["incoming/b4.csv", "incoming/b3.csv"]
    assert ended == "m1 handled incoming/b2.csv (serving error rate 5.0%): the old concept"
