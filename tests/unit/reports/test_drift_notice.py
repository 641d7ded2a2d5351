"""The drift notice names what changed and the next step, and a retrain's subject carries its numbers."""

from __future__ import annotations

import io

from reports_support import check, make_frame

from drift_retrain.aws.executions import ExecutionStart
from drift_retrain.aws.objects import ObjectRef
from drift_retrain.detect.context import Outcome, Status
from drift_retrain.detect.messages import drift_message
from drift_retrain.engine.check import run_check
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.schema import infer_schema
from drift_retrain.reports.changes import next_step, what_changed
from drift_retrain.reports.formatting import fmt_rate
from drift_retrain.reports.links import ReportLinks

BATCH = ObjectRef("data", "incoming/b.csv", "v1")
LINKS = ReportLinks("https://x")


def _notice(report: dict):
    retrain = report.get("retrain")
    outcome = Outcome(
        Status.CHECKED,
        "retrain" if retrain else "alert",
        BATCH,
        "b-1",
        execution=ExecutionStart("run", "arn:x", False) if retrain else None,
    )
    return drift_message(BATCH, report, outcome, LINKS)


def test_a_retrain_subject_gives_the_error_before_and_after(drifted_report):
    concept = drifted_report["concept_drift"]
    assert drifted_report["retrain"] and concept["detected"]
    notice = _notice(drifted_report)
    before, after = fmt_rate(concept["baseline_error"]), fmt_rate(concept["error"])
    assert notice.subject == f"[drift-retrain] Retrain started: b-1 (error rate {before} -> {after})"
    assert "Next step: nothing yet: the retraining workflow" in notice.body


def test_an_unlabelled_alert_names_the_new_level_and_asks_for_labels(baseline):
    frame = make_frame(2000, seed=4, shift=0.6, new_region=0.1).assign(label="")
    profile = build_profile(baseline, infer_schema(baseline, label="label"))
    body = io.BytesIO(frame.to_csv(index=False).encode())
    report = run_check(body, profile, DriftConfig(), batch_id="b-1").to_dict()
    assert report["alert"] and not report["retrain"]
    body = _notice(report).body
    lines = body.splitlines()
    changed = lines[lines.index("What changed:") + 1 :]
    region = next(line for line in changed if line.startswith("  - region: "))
    assert "new level 'central' (" in region and "of rows)" in region
    x0 = next(line for line in changed if line.startswith("  - x0: "))
    assert "distribution moved (KS D " in x0 and "mean " in x0 and " → " in x0
    assert "Next step: send labels for this batch" in body
    assert "(3 of 4 features drifted)" not in body


def test_a_labelled_alert_whose_error_held_says_nothing_is_needed(baseline):
    report = check(make_frame(2000, seed=5, shift=0.6), baseline, wrong=0.05)
    assert report["alert"] and not report["concept_drift"]["detected"] and report["labelled_rows"]
    assert next_step(report).startswith("none needed now: the champion's error held")


def test_the_changes_are_bounded_and_the_label_is_named():
    features = [
        {
            "name": f"f{i}",
            "drift_reasons": ["missing_rate"],
            "baseline": {"missing_rate": 0.0},
            "batch": {"missing_rate": 0.2},
        }
        for i in range(8)
    ]
    label = {
        "name": "y",
        "drifted": True,
        "baseline": {"top": {"0": 0.745, "1": 0.255}},
        "batch": {"top": {"0": 0.675, "1": 0.325}},
    }
    report = {"features": features, "drifted_features": [f["name"] for f in features], "label_drift": label}
    lines = what_changed(report)
    assert lines[0] == "f0: missing rate 0.0% → 20.0%"
    assert lines[5] == "and 3 more drifted features (see the report)"
    assert lines[6] == "label y: class shares moved (0: 74.5% → 67.5%, 1: 25.5% → 32.5%)"


def test_the_page_says_the_next_step_under_its_verdict(drifted_report):
    from drift_retrain.reports import render_drift_html

    page = render_drift_html(drifted_report)
    assert '<p class="meta" id="next-step"><b>Next step:</b> nothing yet: the retraining workflow' in page
    assert page.index('id="verdict"') < page.index('id="next-step"')
