"""Summary statistics beside each chart (baseline against batch) and the dataset-level cards."""

from __future__ import annotations

import re

import numpy as np

from drift_retrain.reports import render_drift_html
from drift_retrain.reports.feature_stats import TOP_LEVELS, stats_rows
from drift_retrain.reports.formatting import fmt_num


def _feature(report: dict, name: str) -> dict:
    return next(f for f in report["features"] if f["name"] == name)


def test_a_numeric_feature_shows_mean_std_min_max_missing_and_distinct(drifted_report):
    x0 = _feature(drifted_report, "x0")
    rows = {name: (base, batch) for name, base, batch in stats_rows(x0)}
    assert list(rows) == ["mean", "std", "min", "max", "missing", "distinct"]
    assert rows["missing"] == ("0.0%", "0.0%")
    assert rows["distinct"] == ("5,000", "2,000")  # every value distinct, counted exactly on both sides
    for key in ("mean", "std", "min", "max"):  # the numbers the tests used, formatted by the one rule
        assert rows[key] == (fmt_num(x0["baseline"][key]), fmt_num(x0["batch"][key]))


def test_the_report_counts_a_numeric_batchs_distinct_values_and_an_exact_baselines():
    import numpy as np

    from drift_retrain.engine.config import DriftConfig
    from drift_retrain.engine.drift import numeric_drift
    from drift_retrain.engine.profile import profile_numeric

    column = profile_numeric("n", np.array([1.0, 2.0, 2.0, 3.0, np.nan]))
    result = numeric_drift(column, np.array([2.0, 2.0, 5.0, np.nan]), DriftConfig()).to_dict()
    assert result["baseline"]["distinct"] == 3 and result["batch"]["distinct"] == 2


def test_a_categorical_feature_shows_levels_missing_never_seen_and_top_shares(drifted_report):
    region = _feature(drifted_report, "region")
    rows = stats_rows(region)
    names = [name for name, _, _ in rows]
    assert names[:3] == ["levels", "missing", "never seen"]
    levels = [row for row in rows if row[0].startswith("= ")]
    assert 0 < len(levels) <= TOP_LEVELS
    central = next(row for row in levels if row[0] == "= central")
    assert central[1] == "0.0%" and central[2] != "0.0%"


def test_every_feature_row_carries_its_summary_beside_the_chart(drifted_report):
    page = render_drift_html(drifted_report)
    grids = re.findall(r'<div class="stats" role="table" aria-label="([^"]+): summary statistics', page)
    assert sorted(grids) == sorted(f["name"] for f in drifted_report["features"])


def test_the_cards_give_the_share_of_drifted_features_and_prediction_drift_when_measured(drifted_report):
    page = render_drift_html(drifted_report)
    drifted, total = len(drifted_report["drifted_features"]), len(drifted_report["features"])
    assert f"<b>{drifted} of {total} ({100 * drifted / total:.1f}%)</b><span>features drifted" in page
    assert "prediction drift" not in page  # a batch file has no served predictions to compare
    captured = {**drifted_report, "prediction_drift": {"tested": True, "drifted": True, "alert": True}}
    assert "<b>yes</b><span>prediction drift</span>" in render_drift_html(captured)


def test_a_sketched_baseline_gives_a_bound_on_its_distinct_values():
    from drift_retrain.engine.config import DriftConfig
    from drift_retrain.engine.drift import numeric_drift
    from drift_retrain.engine.profile import EXACT_MAX_VALUES, profile_numeric

    column = profile_numeric("n", np.random.default_rng(0).normal(size=20_000))
    result = numeric_drift(column, np.arange(50.0), DriftConfig()).to_dict()
    assert result["baseline"]["distinct"] is None and result["baseline"]["distinct_over"] == EXACT_MAX_VALUES
    assert dict((n, b) for n, b, _ in stats_rows(result))["distinct"] == f"> {EXACT_MAX_VALUES:,}"
