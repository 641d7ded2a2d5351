"""Where the error moved: segment keys, the profile's holdout table, and the ranked, corrected analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drift_retrain import strict_json
from drift_retrain.engine.check import check_frame
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.performance import HoldoutPerformance, prediction_losses
from drift_retrain.engine.profile import BaselineProfile, build_profile
from drift_retrain.engine.schema import ColumnSpec, Schema
from drift_retrain.engine.segment_analysis import MAX_SEGMENTS, MIN_SEGMENT_ROWS, segment_analysis
from drift_retrain.engine.segments import (
    MISSING_SEGMENT,
    HoldoutSegments,
    count_segments,
    segment_keys,
    segment_label,
)
from drift_retrain.exceptions import ProfileError

SCHEMA = Schema(
    columns=(ColumnSpec("region", "categorical"), ColumnSpec("salary", "numeric")),
    label="y",
    task="binary",
    classes=("0", "1"),
)
REGIONS = np.array(["north", "south", "east", "west"], dtype=object)


def draw(rows: int, rng: np.random.Generator, *, flip: str | None = None) -> pd.DataFrame:
    """Salary decides the label; ``flip`` inverts the label in one region (the concept moves there only)."""
    region = rng.choice(REGIONS, rows)
    salary = rng.normal(50.0, 10.0, rows)
    label = (rng.random(rows) < 1 / (1 + np.exp(-(salary - 50.0) / 5.0))).astype(int)
    if flip is not None:
        label = np.where(region == flip, 1 - label, label)
    return pd.DataFrame({"region": region, "salary": salary, "y": label.astype(str)})


def predictor(rows: pd.DataFrame) -> np.ndarray:
    return 1 / (1 + np.exp(-(rows["salary"].to_numpy() - 50.0) / 5.0))


def profile_with_table(seed: int = 1, *, table: bool = True) -> BaselineProfile:
    rng = np.random.default_rng(seed)
    train, holdout = draw(4000, rng), draw(1000, rng)
    losses = prediction_losses("binary", holdout["y"].to_numpy(), predictor(holdout), SCHEMA.classes)
    profile = build_profile(
        train,
        SCHEMA,
        holdout=HoldoutPerformance("binary", len(losses), int(losses.sum())),
        holdout_rows=holdout if table else None,
        holdout_losses=losses if table else None,
    )
    return BaselineProfile.from_json_bytes(profile.to_json_bytes())


def report_of(profile: BaselineProfile, batch: pd.DataFrame) -> dict:
    report = check_frame(
        batch,
        profile,
        DriftConfig(),
        predictor=predictor,
        batch_id="b",
        source_name="b.csv",
        rows=len(batch),
        sampling={},
    )
    return report.to_dict()


def test_counts_per_key_are_the_rows_losses_and_squares_in_first_seen_order():
    rng = np.random.default_rng(3)
    keys = rng.choice(np.array(["b", "a", MISSING_SEGMENT, "c"], dtype=object), 500)
    losses = rng.exponential(2.0, 500)
    counts = count_segments(keys, losses)
    assert list(counts) == list(dict.fromkeys(keys))
    for key, segment in counts.items():
        mine = losses[keys == key]
        assert segment.rows == len(mine)
        assert segment.loss_sum == pytest.approx(mine.sum(), rel=1e-12)
        assert segment.loss_squares == pytest.approx((mine**2).sum(), rel=1e-12)
    assert count_segments(np.array([], dtype=object), np.array([])) == {}


def test_numeric_keys_are_the_baseline_deciles_and_missing_apart():
    profile = profile_with_table()
    column = profile.columns["salary"]
    values = pd.Series([-1e9, column.decile_edges[0], column.decile_edges[-1], 1e9, np.nan, np.inf])
    keys = segment_keys(column, values)
    last = str(len(column.decile_edges))
    assert list(keys) == ["0", "1", last, last, MISSING_SEGMENT, MISSING_SEGMENT]
    assert segment_label(column, "0").startswith("salary < ")
    assert segment_label(column, last).startswith("salary ≥ ")
    assert segment_label(profile.columns["region"], "east") == "region = east"


def test_the_holdout_table_counts_every_holdout_row_per_feature_and_survives_json():
    profile = profile_with_table()
    table = profile.holdout_segments
    assert table is not None and table.rows == 1000
    for name in ("region", "salary"):
        segments = table.features[name]
        assert sum(c.rows for c in segments.values()) == 1000
        assert sum(c.loss_sum for c in segments.values()) == profile.holdout.errors
    assert set(table.features["region"]) == set(REGIONS)
    assert len(table.features["salary"]) == len(profile.columns["salary"].decile_edges) + 1


def test_a_profile_without_the_table_still_loads():
    data = profile_with_table().to_dict()
    del data["holdout_segments"]
    assert BaselineProfile.from_dict(data).holdout_segments is None
    with pytest.raises(ProfileError, match="holdout segments"):
        HoldoutSegments.from_dict({"task": "binary", "rows": 3, "features": {"a": {"b": []}}})


def test_the_region_whose_concept_changed_is_ranked_first_and_flagged():
    profile = profile_with_table()
    report = report_of(profile, draw(1000, np.random.default_rng(7), flip="east"))
    block = report["segments"]
    assert block["tested"] and block["holdout_source"] == "segment" and block["note"] is None
    top = block["top"][0]
    assert (top["feature"], top["segment"], top["flagged"]) == ("region", "east", True)
    assert top["holdout_source"] == "segment"
    assert top["interval"][0] <= top["error"] <= top["interval"][1]
    assert top["holdout_interval"][0] <= top["holdout_error"] <= top["holdout_interval"][1]
    assert top["explained_share"] > 0.5
    excess = [s["excess"] for s in block["top"]]
    assert excess == sorted(excess, reverse=True)
    assert len(block["top"]) <= MAX_SEGMENTS <= block["segments_tested"]
    assert all(s["rows"] >= MIN_SEGMENT_ROWS for s in block["top"])
    assert all(s["p_value_adjusted"] >= s["p_value"] for s in block["top"])
    strict_json.dump_bytes(report)  # no NaN or infinity anywhere in the block


def test_holm_is_applied_over_every_segment_tested():
    profile = profile_with_table()
    batch = draw(1000, np.random.default_rng(7), flip="east")
    losses = prediction_losses("binary", batch["y"].to_numpy(), predictor(batch), SCHEMA.classes)
    block = segment_analysis(profile, batch, losses, alpha=0.05, limit=100)
    raw = np.array([s["p_value"] for s in block["top"]])
    order = np.argsort(raw)
    m = len(raw)
    holm = np.maximum.accumulate(np.minimum(1.0, raw[order] * (m - np.arange(m))))
    adjusted = np.array([s["p_value_adjusted"] for s in block["top"]])[order]
    assert m == block["segments_tested"]
    np.testing.assert_allclose(adjusted, holm)


def test_an_old_profile_compares_every_segment_with_the_overall_holdout_and_says_so():
    profile = profile_with_table(table=False)
    block = report_of(profile, draw(1000, np.random.default_rng(7), flip="east"))["segments"]
    assert block["holdout_source"] == "overall" and "overall holdout error" in block["note"]
    assert {s["holdout_source"] for s in block["top"]} == {"overall"}
    assert all(s["holdout_rows"] == profile.holdout.rows for s in block["top"])
    assert block["top"][0]["segment"] == "east"


def test_a_level_the_holdout_never_saw_falls_back_to_the_overall_error():
    profile = profile_with_table()
    batch = draw(1000, np.random.default_rng(8))
    batch.loc[batch.index[:200], "region"] = "central"
    losses = prediction_losses("binary", batch["y"].to_numpy(), predictor(batch), SCHEMA.classes)
    every = segment_analysis(profile, batch, losses, alpha=0.05, limit=100)["top"]
    central = next(s for s in every if s["segment"] == "central")
    assert central["holdout_source"] == "overall" and central["holdout_rows"] == profile.holdout.rows
    assert {s["holdout_source"] for s in every if s["segment"] != "central"} == {"segment"}


def test_without_a_concept_test_the_block_says_why():
    profile = profile_with_table()
    batch = draw(500, np.random.default_rng(9)).assign(y=None)
    block = report_of(profile, batch)["segments"]
    assert block == {"tested": False, "reason": "the batch has no labelled rows"}


def test_regression_segments_use_squared_errors_and_t_intervals():
    schema = Schema(columns=(ColumnSpec("region", "categorical"),), label="y", task="regression")
    rng = np.random.default_rng(3)
    holdout = pd.DataFrame({"region": rng.choice(REGIONS, 800), "y": rng.normal(0, 1, 800)})
    losses = holdout["y"].to_numpy() ** 2  # the model predicts 0
    profile = build_profile(
        holdout,
        schema,
        holdout=HoldoutPerformance.from_predictions("regression", holdout["y"].to_numpy(), np.zeros(800)),
        holdout_rows=holdout,
        holdout_losses=losses,
    )
    batch = pd.DataFrame({"region": rng.choice(REGIONS, 800), "y": rng.normal(0, 1, 800)})
    batch.loc[batch["region"] == "west", "y"] *= 3
    batch_losses = batch["y"].to_numpy() ** 2
    block = segment_analysis(profile, batch, batch_losses, alpha=0.05)
    top = block["top"][0]
    assert block["metric"] == "mse" and block["test"] == "welch_t_one_sided"
    assert (top["segment"], top["flagged"]) == ("west", True)
    assert top["interval"][0] < top["error"] < top["interval"][1]


def test_without_a_rise_no_share_of_it_is_given():
    from drift_retrain.reports.segments import segments_section

    profile = profile_with_table()
    report = report_of(profile, draw(1000, np.random.default_rng(10)))
    block = report["segments"]
    assert not report["concept_drift"]["detected"]
    assert block["tested"] and block["rise_detected"] is False
    assert {s["explained_share"] for s in block["top"]} == {None}
    assert "did not rise significantly" in segments_section(report)
