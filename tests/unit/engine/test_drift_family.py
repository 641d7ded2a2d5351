"""What a numeric column's tests report, and the one Holm family of a batch (features and label)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from drift_retrain.engine.check import run_check
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.distributions import numeric_distributions
from drift_retrain.engine.drift import batch_drift, feature_drift
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.schema import ColumnSpec, Schema
from drift_retrain.engine.stats import adjust_pvalues
from drift_retrain.exceptions import ConfigError

SCHEMA = Schema(
    columns=(ColumnSpec("amount", "numeric"), ColumnSpec("plan", "categorical")),
    label="y",
    task="binary",
    classes=("0", "1"),
)


def _rows(n: int, rng: np.random.Generator, *, ones: float = 0.3) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "y": (rng.random(n) < ones).astype(int),
            "amount": rng.lognormal(3.0, 1.0, n),
            "plan": rng.choice(["basic", "plus", "premium"], n, p=[0.6, 0.3, 0.1]),
        }
    )


@pytest.fixture(scope="module")
def profile():
    return build_profile(_rows(50_000, np.random.default_rng(0)), SCHEMA)


def test_the_label_is_corrected_with_the_features_as_one_family(profile):
    frame = _rows(2_000, np.random.default_rng(1), ones=0.33)
    features, label = batch_drift(profile, frame, DriftConfig())
    tests = [t for r in [*features, label] for t in r.tests]
    assert label.distribution in tests and len(tests) > 1
    expected = adjust_pvalues([t.p_value for t in tests], "holm")
    assert [t.p_value_adjusted for t in tests] == pytest.approx(list(expected))
    assert label.distribution.p_value_adjusted > label.distribution.p_value


def test_a_check_reports_the_label_in_the_family_and_no_label_without_labelled_rows(profile):
    frame = _rows(2_000, np.random.default_rng(2), ones=0.6)  # a clear prior shift
    report = run_check(frame.to_csv(index=False).encode(), profile).to_dict()
    assert report["label_drift"]["drifted"] and report["alert"]
    unlabelled = frame.assign(y="").to_csv(index=False).encode()
    assert run_check(unlabelled, profile).to_dict()["label_drift"] is None


def test_numeric_effect_is_the_ks_distance_with_psi_kept_in_the_details(profile):
    frame = _rows(5_000, np.random.default_rng(3))
    top = frame["amount"] >= frame["amount"].quantile(0.9)
    frame.loc[top, "amount"] *= 1_000  # inside the top decile bin: PSI stays near 0
    amount = {r.name: r for r in feature_drift(profile, frame, DriftConfig())}["amount"].to_dict()
    assert amount["effect_size_metric"] == "ks_d" and amount["effect_size"] == amount["statistic"]
    assert amount["effect_size"] == pytest.approx(0.1, abs=0.02) and amount["details"]["psi"] < 0.005
    assert amount["drifted"] and set(amount["drift_reasons"]) == {"distribution", "beyond_range"}
    beyond = amount["beyond_range"]
    assert beyond["test"] == "beyond_range" and beyond["effect_size_metric"] == "cohen_w"
    assert beyond["details"]["rows_beyond"] == amount["batch"]["above_max"] + amount["batch"]["below_min"] > 0
    assert amount["baseline"]["max"] < amount["batch"]["max"]


def test_a_batch_inside_the_baseline_range_has_no_range_test(profile):
    frame = _rows(50, np.random.default_rng(4))
    amount = {r.name: r for r in feature_drift(profile, frame, DriftConfig())}["amount"]
    assert amount.beyond_range is None and amount.to_dict()["beyond_range"] is None
    assert amount.distribution.effect == "measured"  # D is exact at any size


def test_the_ks_floor_is_a_setting():
    assert DriftConfig.from_env({"KS_EFFECT_FLOOR": "0.05"}).ks_effect_floor == 0.05
    with pytest.raises(ConfigError, match="ks_effect_floor"):
        DriftConfig(ks_effect_floor=-0.1)


def test_distributions_reuse_the_drift_tests_bins_and_match_binning_afresh(profile):
    frame = _rows(3_000, np.random.default_rng(5))
    frame.loc[::7, "amount"] = np.nan
    features = feature_drift(profile, frame, DriftConfig())
    reused = numeric_distributions(profile, frame, features)
    assert reused == numeric_distributions(profile, frame)  # identical to sorting the column again
    amount = next(f for f in features if f.name == "amount")
    amount.bin_shares = np.full(len(amount.bin_shares), -1.0)  # taken from the test, not recomputed
    assert set(numeric_distributions(profile, frame, features)["amount"]["batch"]) == {-1.0}
