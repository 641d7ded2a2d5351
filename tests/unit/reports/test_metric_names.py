"""The metric a report measures is named, and named the same way everywhere: the report's ``error`` and
``metric`` fields, the terminal text, the page and the notification (one ``fmt_metric``); a report
written as version 1 (figures under ``error_rate`` names whatever the metric) still reads the same."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from drift_retrain.aws.objects import ObjectRef
from drift_retrain.detect.context import Outcome, Status
from drift_retrain.detect.messages import drift_message
from drift_retrain.engine.check import run_check
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.metric_names import RENAMED_FIELDS, on_scale, read_evidence, read_report
from drift_retrain.engine.performance import HoldoutPerformance
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.report import REPORT_VERSION, render_text
from drift_retrain.engine.schema import infer_schema
from drift_retrain.reports import render_drift_html
from drift_retrain.reports.formatting import fmt_metric, metric_label
from drift_retrain.reports.links import ReportLinks
from drift_retrain.reports.timeline import timeline_points
from drift_retrain.workflow.notify.ab_notice import _evidence_line
from drift_retrain.workflow.prepare_training_data.change_window import verdict_from_report

BATCH = ObjectRef("data", "incoming/b.csv", "v1")


def _as_version_1(report: dict) -> dict:
    """``report`` as report version 1 stored it (the fields under their old names, MSE by its old name)."""
    old_names = {new: old for old, new in RENAMED_FIELDS.items()}
    concept = {old_names.get(k, k): v for k, v in report["concept_drift"].items()}
    if concept.get("metric") == "mse":
        concept["metric"] = "mean_squared_error"
    segments = dict(report["segments"])
    if segments.get("metric") == "mse":
        segments["metric"] = "squared_error"
    return {**report, "report_version": 1, "concept_drift": concept, "segments": segments}


def _notice(report: dict):
    return drift_message(
        BATCH, report, Outcome(Status.CHECKED, "retrain", BATCH, "b-1"), ReportLinks("https://x")
    )


@pytest.fixture(scope="module")
def regression_report() -> dict:
    """A regression champion twice as wrong on the batch as on its holdout (MSE 4 against 1)."""
    rng = np.random.default_rng(5)
    baseline = pd.DataFrame({"x": rng.normal(size=3000), "label": rng.normal(size=3000)})
    batch = pd.DataFrame({"x": rng.normal(size=1500), "label": rng.normal(size=1500)})
    holdout = HoldoutPerformance("regression", 1000, loss_mean=1.0, loss_var=2.0)
    profile = build_profile(baseline, infer_schema(baseline, label="label"), holdout=holdout)
    noise = rng.normal(scale=2.0, size=len(batch))

    def predictor(rows: pd.DataFrame) -> np.ndarray:
        return batch["label"].to_numpy()[rows.index.to_numpy()] + noise[rows.index.to_numpy()]

    body = io.BytesIO(batch.to_csv(index=False).encode())
    return run_check(body, profile, DriftConfig(seed=0), predictor=predictor, batch_id="b-1").to_dict()


def test_a_regression_report_names_its_mse_and_every_view_shows_it_one_way(regression_report):
    concept = regression_report["concept_drift"]
    assert regression_report["report_version"] == REPORT_VERSION == 2
    assert concept["metric"] == "mse" and regression_report["segments"]["metric"] == "mse"
    assert not {"error_rate", "baseline_error_rate", "reference_error_rate"} & set(concept)
    assert concept["error"] == pytest.approx(4.0, rel=0.15) and concept["baseline_error"] == 1.0
    assert concept["detected"]
    shown = fmt_metric(concept["error"], "mse", named=True)
    assert shown.startswith("MSE ") and "%" not in shown
    notice = _notice(regression_report)
    assert f"(MSE 1 -> {fmt_metric(concept['error'], 'mse')})" in notice.subject
    assert shown in render_text(regression_report)
    page = render_drift_html(regression_report)
    assert fmt_metric(concept["error"], "mse") in page and "error rate" not in page
    assert "MSE" in notice.body and "error rate" not in notice.body


def test_a_classification_report_shows_its_error_rate_as_a_percentage(drifted_report):
    concept = drifted_report["concept_drift"]
    assert concept["metric"] == "error_rate" and 0.3 < concept["error"] < 0.5
    shown = fmt_metric(concept["error"], "error_rate", named=True)
    assert shown == f"error rate {concept['error'] * 100:.1f}%"
    assert shown in render_text(drifted_report)
    assert (
        f"(error rate 5.0% -> {fmt_metric(concept['error'], 'error_rate')})"
        in _notice(drifted_report).subject
    )


@pytest.mark.parametrize("fixture", ["drifted_report", "regression_report"])
def test_a_version_1_report_reads_and_renders_as_the_current_one(fixture, request):
    current = request.getfixturevalue(fixture)
    old = _as_version_1(current)
    assert "error_rate" in old["concept_drift"] and "error" not in old["concept_drift"]
    assert read_report(old)["concept_drift"] == current["concept_drift"]
    assert read_report(old)["segments"] == current["segments"]
    assert read_report(current) == current
    assert render_text(old) == render_text(current)
    old_notice, notice = _notice(old), _notice(current)
    assert (old_notice.subject, old_notice.body) == (notice.subject, notice.body)
    footer = "drift-retrain report version {}."
    assert render_drift_html(old).replace(footer.format(1), footer.format(2)) == render_drift_html(current)


def test_the_training_window_reads_an_earlier_batch_s_version_1_report():
    old = {
        "report_version": 1,
        "status": "ok",
        "concept_drift": {
            "tested": True,
            "metric": "mean_squared_error",
            "error_rate": 1.5,
            "detected": True,
        },
    }
    verdict = verdict_from_report("incoming/a.csv", read_report(old))
    assert verdict.wrong and verdict.why == "serving MSE 1.5"


def test_fmt_metric_is_the_one_rule_for_rates_and_other_metrics():
    assert fmt_metric(0.029, "error_rate") == "2.9%" and fmt_metric(0.951, "accuracy") == "95.1%"
    assert fmt_metric(1.2345, "mse") == "1.23" and fmt_metric(1.2345, "mse", named=True) == "MSE 1.23"
    assert fmt_metric(0.5, "rmse", named=True) == "RMSE 0.5" and fmt_metric(None, "mse") == "-"
    assert fmt_metric(0.012, "error_rate", signed=True) == "+1.2 pts"
    assert (
        fmt_metric(0.25, "mse", signed=True) == "+0.25" and fmt_metric(-0.25, "mse", signed=True) == "-0.25"
    )
    # the regression metric's earlier names read as MSE, never as a percentage
    assert metric_label("squared_error") == metric_label("mean_squared_error") == metric_label("mse") == "MSE"
    assert fmt_metric(0.5, "squared_error") == "0.5"


def test_a_promoted_model_s_rmse_is_plotted_on_the_reports_mse_scale():
    assert on_scale(2.0, "rmse", "mse") == 4.0 and on_scale(4.0, "mse", "rmse") == 2.0
    assert on_scale(0.1, "error_rate", "error_rate") == 0.1 and on_scale(0.1, "auc", "mse") is None
    reports = {
        "r/1": {
            "status": "ok",
            "concept_drift": {"tested": True, "metric": "mse", "error": 9.0, "baseline_error": 1.0},
        }
    }
    timeline = {
        "batches": [
            {
                "file": "b1.csv",
                "outcome": "promoted",
                "detect": {"report_key": "r/1"},
                "evaluation": {"metric": "rmse", "candidate": 1.5},
            }
        ]
    }
    (point,) = timeline_points(timeline, reports.get)
    assert point["metric"] == "mse" and point["serving_error"] == 9.0 and point["new_model_error"] == 2.25


def test_a_b_evidence_written_under_the_earlier_names_still_reads():
    old = {"rows": 600, "batches": 2, "metric": "squared_error", "champion_rate": 2.5, "candidate_rate": 1.25}
    assert read_evidence(old)["champion_error"] == 2.5 and read_evidence(old)["metric"] == "mse"
    line = _evidence_line(old)
    assert "MSE champion 2.5 vs candidate 1.25" in line and "%" not in line
    assert "error rate champion 31.0% vs candidate 5.0%" in _evidence_line(
        {"rows": 600, "batches": 2, "metric": "error_rate", "champion_error": 0.31, "candidate_error": 0.05}
    )
