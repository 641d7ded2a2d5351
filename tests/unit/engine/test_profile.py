"""Baseline profiles: small whatever the training size, faithful, versioned, and loud when corrupt."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from drift_retrain.engine.performance import HoldoutPerformance
from drift_retrain.engine.profile import (
    EXACT_MAX_LEVELS,
    FORMAT_VERSION,
    MAX_CATEGORIES,
    BaselineProfile,
    build_profile,
)
from drift_retrain.engine.schema import infer_schema
from drift_retrain.exceptions import ProfileError


@pytest.fixture(scope="module")
def training() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = 1_000_000
    return pd.DataFrame(
        {
            "y": rng.integers(0, 2, rows),
            **{f"x{i}": rng.normal(size=rows) for i in range(20)},
            "small_int": rng.integers(0, 12, rows),
            "city": rng.choice(["a", "b", "c", "d"], rows),
        }
    )


def test_profile_of_a_million_rows_is_a_few_megabytes_and_round_trips(training, tmp_path):
    profile = build_profile(
        training, infer_schema(training), holdout=HoldoutPerformance("binary", 2000, errors=120)
    )
    path = profile.save(tmp_path)
    assert path.stat().st_size < 6_000_000
    loaded = BaselineProfile.load(tmp_path)
    assert loaded.to_dict() == profile.to_dict()
    assert loaded.holdout.value == pytest.approx(0.06)
    x0 = loaded.columns["x0"]
    assert not x0.exact and len(x0.values) == 10_001
    assert loaded.columns["small_int"].exact
    assert x0.decile_shares == pytest.approx(np.full(10, 0.1), abs=1e-6)


def test_sketch_cdf_tracks_the_empirical_cdf(training):
    profile = build_profile(training, infer_schema(training))
    values = np.sort(training["x3"].to_numpy())
    points = np.linspace(-3, 3, 101)
    empirical = np.searchsorted(values, points, side="right") / len(values)
    right, left = profile.columns["x3"].cdf(points)
    assert np.max(np.abs(right - empirical)) < 2e-4
    assert np.all(left <= right)


def test_high_cardinality_columns_keep_the_top_levels_by_name_and_every_level_for_the_tests():
    rng = np.random.default_rng(1)
    users = np.array([f"user{i}" for i in range(5_000)], dtype=object)
    frame = pd.DataFrame({"y": [0, 1] * 50_000, "user": users[rng.integers(0, 5_000, 100_000)]})
    column = build_profile(frame, infer_schema(frame)).columns["user"]
    assert len(column.categories) == MAX_CATEGORIES and column.other == 100_000 - column.counts.sum()
    assert column.levels.exact and len(column.categories) + len(column.levels.tail) == 5_000


def test_a_column_beyond_exact_max_levels_is_hashed_and_the_profile_stays_small(tmp_path):
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {"y": rng.integers(0, 2, 400_000), "sku": [f"sku{i}" for i in rng.integers(0, 300_000, 400_000)]}
    )
    profile = build_profile(frame, infer_schema(frame))
    column = profile.columns["sku"]
    assert not column.levels.exact and column.levels.distinct > EXACT_MAX_LEVELS
    assert profile.save(tmp_path).stat().st_size < 1_200_000
    loaded = BaselineProfile.load(tmp_path).columns["sku"]
    assert loaded.levels.to_dict() == column.levels.to_dict()


def _format_1(profile: BaselineProfile) -> dict:
    """What the format-1 code wrote for the same data: top levels only, no roles, no autocorrelation."""
    data = json.loads(profile.to_json_bytes())
    data["format_version"] = 1
    data["schema"]["columns"] = [{"name": c["name"], "kind": c["kind"]} for c in data["schema"]["columns"]]
    for column in [*data["columns"], data["label"]]:
        for key in ("levels", "time_range", "lag1"):
            column.pop(key, None)
    return data


def test_a_format_1_profile_still_loads_and_its_pooled_columns_say_how_to_fix_them():
    from drift_retrain.engine.config import DriftConfig
    from drift_retrain.engine.drift import feature_drift

    rng = np.random.default_rng(3)
    users = np.array([f"user{i}" for i in range(3_000)], dtype=object)
    frame = pd.DataFrame(
        {
            "y": rng.integers(0, 2, 30_000),
            "plan": rng.choice(["a", "b", "c"], 30_000),
            "user": users[rng.integers(0, 3_000, 30_000)],
        }
    )
    old = BaselineProfile.from_dict(_format_1(build_profile(frame, infer_schema(frame))))
    assert old.format_version == 1 and old.columns["plan"].levels.exact
    assert old.columns["user"].levels is None and old.columns["user"].truncated
    results = {r.name: r for r in feature_drift(old, frame.iloc[:2_000], DriftConfig())}
    assert results["plan"].distribution.tested
    assert (
        not results["user"].distribution.tested
        and "drift-retrain profile" in results["user"].distribution.reason
    )
    assert not results["user"].drifted


def test_autocorrelation_is_profiled_only_for_dependent_schemas():
    rng = np.random.default_rng(4)
    walk = np.cumsum(rng.normal(size=5_000))
    frame = pd.DataFrame({"y": rng.integers(0, 2, 5_000), "level": walk})
    schema = infer_schema(frame)
    assert build_profile(frame, schema).columns["level"].lag1 == 0.0
    dependent = infer_schema(frame, overrides={"dependence": "autocorrelated"})
    assert build_profile(frame, dependent).columns["level"].lag1 > 0.9


def test_missing_and_infinite_values_are_counted_as_missing():
    frame = pd.DataFrame({"y": [0, 1, 0, 1], "x": [1.0, np.nan, np.inf, 2.0]})
    column = build_profile(frame, infer_schema(frame)).columns["x"]
    assert (column.count, column.missing) == (2, 2)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not json", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (json.dumps({"format_version": 999}).encode(), "format 999 is not supported.*rebuild it"),
        (json.dumps({"format_version": FORMAT_VERSION, "schema": {}}).encode(), "corrupt"),
    ],
)
def test_corrupt_or_foreign_profiles_raise_profile_error(raw, message):
    with pytest.raises(ProfileError, match=message):
        BaselineProfile.from_json_bytes(raw)


def test_missing_profile_file_is_a_profile_error(tmp_path):
    with pytest.raises(ProfileError, match="cannot read baseline profile"):
        BaselineProfile.load(tmp_path / "nowhere")
