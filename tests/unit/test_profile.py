"""Baseline profiles: small whatever the training size, faithful, versioned, and loud when corrupt."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from drift_retrain.engine.performance import HoldoutPerformance
from drift_retrain.engine.profile import FORMAT_VERSION, MAX_CATEGORIES, BaselineProfile, build_profile
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


def test_high_cardinality_categories_are_capped():
    frame = pd.DataFrame({"y": [0, 1] * 5000, "id": [f"user{i}" for i in range(10_000)]})
    column = build_profile(frame, infer_schema(frame)).columns["id"]
    assert len(column.categories) == MAX_CATEGORIES
    assert column.other == 10_000 - MAX_CATEGORIES and column.truncated


def test_missing_and_infinite_values_are_counted_as_missing():
    frame = pd.DataFrame({"y": [0, 1, 0, 1], "x": [1.0, np.nan, np.inf, 2.0]})
    column = build_profile(frame, infer_schema(frame)).columns["x"]
    assert (column.count, column.missing) == (2, 2)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not json", "not valid JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (json.dumps({"format_version": 999}).encode(), "format 999 is not supported"),
        (json.dumps({"format_version": FORMAT_VERSION, "schema": {}}).encode(), "corrupt"),
    ],
)
def test_corrupt_or_foreign_profiles_raise_profile_error(raw, message):
    with pytest.raises(ProfileError, match=message):
        BaselineProfile.from_json_bytes(raw)


def test_missing_profile_file_is_a_profile_error(tmp_path):
    with pytest.raises(ProfileError, match="cannot read baseline profile"):
        BaselineProfile.load(tmp_path / "nowhere")
