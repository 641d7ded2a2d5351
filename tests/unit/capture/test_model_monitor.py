"""Model Monitor-shaped outputs, against the documented schemas of statistics.json and violations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from capture_support import binary_profile, capture_line, training_frame

from drift_retrain.capture.check import run_capture_check
from drift_retrain.capture.model_monitor import (
    BUCKETS,
    CHECK_TYPES,
    constraint_violations_json,
    metric_names,
    statistics_json,
)
from drift_retrain.capture.records import read_capture


@pytest.fixture(scope="module")
def profile():
    return binary_profile()


def test_statistics_json_has_the_documented_shape(profile):
    frame = training_frame(500, seed=3)
    frame.loc[:9, "y"] = np.nan
    frame.loc[:4, "color"] = None
    stats = statistics_json(profile, frame)
    assert stats["version"] == 0 and stats["dataset"] == {"item_count": 500}
    by_name = {f["name"]: f for f in stats["features"]}
    assert list(by_name) == ["x", "y", "color"]
    y = by_name["y"]
    assert y["inferred_type"] == "Fractional"
    numeric = y["numerical_statistics"]
    assert numeric["common"] == {"num_present": 490, "num_missing": 10}
    assert set(numeric) == {"common", "mean", "sum", "std_dev", "min", "max", "distribution"}
    buckets = numeric["distribution"]["kll"]["buckets"]
    assert len(buckets) == BUCKETS and sum(b["count"] for b in buckets) == 490
    assert buckets[0]["lower_bound"] == numeric["min"] and buckets[-1]["upper_bound"] == numeric["max"]
    assert set(buckets[0]) == {"lower_bound", "upper_bound", "count"}
    assert set(numeric["distribution"]["kll"]["sketch"]) == {"parameters", "data"}
    color = by_name["color"]
    assert color["inferred_type"] == "String"
    strings = color["string_statistics"]
    assert strings["common"] == {"num_present": 495, "num_missing": 5} and strings["distinct_count"] == 3
    values = strings["distribution"]["categorical"]["buckets"]
    assert {b["value"] for b in values} == {"blue", "green", "red"} and sum(b["count"] for b in values) == 495


def test_integral_columns_and_constant_columns(profile):
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [5.0, 5.0, 5.0], "color": ["red", "red", "blue"]})
    stats = {f["name"]: f for f in statistics_json(profile, frame)["features"]}
    assert stats["x"]["inferred_type"] == "Integral"
    buckets = stats["y"]["numerical_statistics"]["distribution"]["kll"]["buckets"]
    assert sum(b["count"] for b in buckets) == 3


def test_violations_name_model_monitors_check_types(profile):
    frame = training_frame(3000, seed=4)
    frame["x"] = frame["x"] + 2.0  # baseline drift
    frame.loc[: len(frame) // 2, "y"] = np.nan  # completeness
    frame.loc[:500, "color"] = "purple"  # never seen
    captured = read_capture(
        [
            capture_line(
                '{"x": 1, "color": "red", "zip": 1}', "0.5", in_type="application/json", in_encoding="JSON"
            ),
            capture_line("abc,1,1", "0.5"),
        ],
        profile,
    )
    frame = pd.concat([captured.frame, frame], ignore_index=True)
    captured.frame = frame
    report = run_capture_check(captured, profile)
    violations = constraint_violations_json(report)["violations"]
    found = {(v["feature_name"], v["constraint_check_type"]) for v in violations}
    assert {
        ("x", "baseline_drift_check"),
        ("y", "completeness_check"),
        ("color", "categorical_values_check"),
        ("y", "missing_column_check"),
        ("zip", "extra_column_check"),
        ("x", "data_type_check"),
    } <= found
    assert all(set(v) == {"feature_name", "constraint_check_type", "description"} for v in violations)
    assert {v["constraint_check_type"] for v in violations} <= set(CHECK_TYPES)
    assert constraint_violations_json(report.to_dict()) == constraint_violations_json(report)


def test_metric_names_and_values(profile):
    frame = training_frame(2000, seed=5)
    frame.loc[:199, "y"] = np.nan
    report = run_capture_check(frame.drop(columns="label"), profile)
    metrics = metric_names(report)
    assert set(metrics) == {
        f"feature_{m}_{f}" for m in ("baseline_drift", "non_null") for f in ("x", "y", "color")
    }
    assert metrics["feature_non_null_y"] == pytest.approx(0.9)
    x = next(f for f in report.to_dict()["features"] if f["name"] == "x")
    assert metrics["feature_baseline_drift_x"] == pytest.approx(x["statistic"])
    assert 0 <= metrics["feature_baseline_drift_color"] <= 1
