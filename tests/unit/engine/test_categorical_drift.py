"""Per-column verdicts for categorical, ID, timestamp and ignored columns, and what the report says."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.drift import feature_drift
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.report import DriftReport, render_text
from drift_retrain.engine.schema import infer_schema

USERS = np.array([f"u{i:04d}" for i in range(5_000)], dtype=object)
DAYS = pd.date_range("2023-01-01", periods=365, freq="D").strftime("%Y-%m-%d").to_numpy()


def _rows(rows: int, rng: np.random.Generator) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "y": rng.integers(0, 2, rows),
            "amount": rng.normal(size=rows),
            "user": USERS[rng.integers(0, len(USERS), rows)],
            "day": DAYS[rng.integers(0, len(DAYS), rows)],
            "order": [f"o{k}" for k in rng.integers(0, 10**12, rows)],
            "note": rng.choice(["x", "y"], rows),
        }
    )


@pytest.fixture(scope="module")
def profile():
    frame = _rows(100_000, np.random.default_rng(0))
    schema = infer_schema(frame, overrides={"columns": {"note": "ignore"}})
    return build_profile(frame, schema)


def _check(profile, frame: pd.DataFrame) -> dict:
    return {r.name: r for r in feature_drift(profile, frame, DriftConfig())}


def test_roles_as_inferred(profile):
    roles = {c.name: c.role for c in profile.schema.columns}
    assert roles == {
        "amount": "feature",
        "user": "feature",
        "day": "timestamp",
        "order": "id",
        "note": "ignore",
    }


def test_no_drift_batch_flags_nothing(profile):
    results = _check(profile, _rows(1_000, np.random.default_rng(1)))
    assert not [name for name, r in results.items() if r.drifted]


def test_new_users_at_five_percent_are_caught_by_the_never_seen_test(profile):
    rng = np.random.default_rng(2)
    frame = _rows(1_000, rng)
    new = rng.random(1_000) < 0.05
    frame.loc[new, "user"] = [f"new{k}" for k in range(int(new.sum()))]
    user = _check(profile, frame)["user"]
    assert user.drifted and "unseen" in user.to_dict()["drift_reasons"]
    assert user.unseen.effect_size > 0.5 and len(user.unseen_categories) == 20


def test_rows_moving_onto_fifty_hot_users_are_caught_by_the_concentration_test(profile):
    rng = np.random.default_rng(3)
    frame = _rows(1_000, rng)
    hot = rng.random(1_000) < 0.10
    frame.loc[hot, "user"] = USERS[rng.integers(0, 50, int(hot.sum()))]
    user = _check(profile, frame)["user"]
    assert user.drifted and "concentration" in user.to_dict()["drift_reasons"]


def test_an_id_column_is_checked_for_uniqueness_not_for_its_new_values(profile):
    rng = np.random.default_rng(4)
    fresh = _rows(2_000, rng)
    order = _check(profile, fresh)["order"]
    assert not order.drifted and order.distribution is None  # every id is new: expected for IDs
    assert order.headline.test == "unseen_share" and order.headline.tested
    duplicated = fresh.copy()
    duplicated.loc[1_000:1_019, "order"] = duplicated.loc[0:19, "order"].to_numpy()  # 20 repeated ids
    order = _check(profile, duplicated)["order"]
    assert order.drifted and order.to_dict()["drift_reasons"] == ["concentration"]


def test_new_dates_are_expected_but_older_or_unparseable_ones_are_drift(profile):
    rng = np.random.default_rng(5)
    later = _rows(1_000, rng)
    later["day"] = pd.date_range("2024-06-01", periods=1_000, freq="h").strftime("%Y-%m-%dT%H:%M:%S")
    day = _check(profile, later)["day"]
    assert not day.drifted and day.distribution.test == "time_range" and day.distribution.p_value == 1.0
    assert day.batch["after_baseline"] == 1_000 and day.batch["before_baseline"] == 0
    assert day.baseline["min"].startswith("2023-01-01") and day.batch["max"].startswith("2024-07-12")
    broken = _rows(1_000, rng)
    broken.loc[:99, "day"] = "31/12/2023"
    day = _check(profile, broken)["day"]
    assert day.drifted and day.to_dict()["drift_reasons"] == ["missing_rate"]
    backfill = _rows(1_000, rng)
    backfill.loc[:29, "day"] = "2019-05-01"  # 3% of rows older than anything the model saw
    day = _check(profile, backfill)["day"]
    assert day.drifted and day.to_dict()["drift_reasons"] == ["before_range"]
    assert day.batch["before_baseline"] == 30


def test_ignored_columns_are_listed_untested_and_outside_the_correction(profile):
    frame = _rows(1_000, np.random.default_rng(6))
    frame["note"] = "z"  # would be a glaring change if it were checked
    results = _check(profile, frame)
    note = results["note"].to_dict()
    assert note["role"] == "ignore" and note["tested"] is False and "schema file" in note["reason"]
    assert not results["note"].drifted and results["note"].tests == []


def test_a_test_that_cannot_be_computed_says_why_and_never_claims_p_one(profile):
    frame = _rows(6, np.random.default_rng(7))
    user = _check(profile, frame)["user"].to_dict()
    assert user["tested"] is False and user["p_value"] is None and user["p_value_adjusted"] is None
    assert "too few rows" in user["reason"]
    assert user["unseen"]["tested"] and user["concentration"]["tested"]  # these work at any size


def test_report_fields_and_text_for_the_new_tests(profile):
    rng = np.random.default_rng(8)
    frame = _rows(1_000, rng)
    frame.loc[:49, "user"] = [f"new{k}" for k in range(50)]
    features = feature_drift(profile, frame.iloc[:1_000], DriftConfig())
    report = DriftReport(status="ok", batch_id="b", source="s", config=DriftConfig(), features=features)
    data = report.to_dict()
    user = next(f for f in data["features"] if f["name"] == "user")
    assert user["test"] == "chi2" and user["effect_size_metric"] == "cohen_w"
    assert {"role", "role_reason", "unseen", "concentration", "drift_reasons", "details"} <= set(user)
    assert user["unseen"]["details"]["unseen_rows"] == 50 and "user" in data["drifted_features"]
    assert data["config"]["category_effect_floor"] == 0.07
    small = DriftReport(
        status="ok",
        batch_id="s",
        source="s",
        config=DriftConfig(),
        features=feature_drift(profile, frame.iloc[:5], DriftConfig()),
    )
    text = render_text(small.to_dict())
    assert "not tested: too few rows" in text and "role timestamp" in text


def test_autocorrelated_rows_count_as_fewer_independent_ones():
    rng = np.random.default_rng(9)

    def walk(rows: int) -> np.ndarray:
        out = np.empty(rows)
        out[0] = rng.normal()
        for i in range(1, rows):
            out[i] = 0.95 * out[i - 1] + rng.normal() * np.sqrt(1 - 0.95**2)
        return out

    frame = pd.DataFrame({"y": rng.integers(0, 2, 50_000), "temperature": walk(50_000)})
    batch = pd.DataFrame({"y": rng.integers(0, 2, 1_000), "temperature": walk(1_000)})
    independent = build_profile(frame, infer_schema(frame))
    dependent = build_profile(frame, infer_schema(frame, overrides={"dependence": "autocorrelated"}))
    naive = _check(independent, batch)["temperature"].distribution
    corrected = _check(dependent, batch)["temperature"].distribution
    assert corrected.statistic == naive.statistic and corrected.p_value > naive.p_value
    assert corrected.details["effective_rows"] < 60 and "effective_rows" not in naive.details
