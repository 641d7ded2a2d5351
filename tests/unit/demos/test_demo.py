"""The README's check demo (`drift-retrain demo`): it ends with the outcome each example batch was made to show."""

from __future__ import annotations

import json

from drift_retrain.reports.formatting import fmt_metric
from drift_retrain_local.demos.check_demo import run_demo


def test_demo_outcomes(tmp_path):
    lines: list[str] = []
    summary = {row["file"]: row for row in run_demo(tmp_path, echo=lines.append)}
    stable = summary["batch-01-stable.csv"]
    assert stable["outcome"] == "no drift" and not stable["concept_drift"]
    shifted = summary["batch-02-covariate-shift-unlabelled.csv"]
    assert shifted["outcome"] == "alert" and {"age", "salary", "region"} <= set(shifted["drifted_features"])
    concept = summary["batch-03-concept-change.csv"]
    assert concept["outcome"] == "retrain" and concept["concept_drift"] and concept["drifted_features"] == []
    assert summary["batch-04-malformed.csv"]["outcome"] == "quarantine"
    report = json.loads((tmp_path / "reports" / "batch-04-malformed.json").read_text())
    assert report["error_code"] == "ragged_row" and "line 8" in report["error"]
    assert any("finished in" in line for line in lines)
    # the end table names the metric once and shows the error rate as a percentage, as the reports do
    table = next(line for line in lines if line.startswith("batch ")).splitlines()
    assert table[0].split()[-2:] == ["error", "rate"]
    row = next(line for line in table if line.startswith("batch-03-concept-change.csv"))
    assert row.split()[-1] == fmt_metric(concept["error"], "error_rate") and row.endswith("%")
