"""Real-browser tests of the HTML reports: Debian's chromium, driven by Playwright (never a downloaded
browser). ``make setup-browser`` installs chromium when it is missing and we are root; elsewhere these
tests skip and say how to get it, except in CI as root, where a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from drift_retrain.reports import render_drift_html
from drift_retrain.reports.evaluation import render_evaluation_html
from drift_retrain.reports.links import html_key
from drift_retrain_local.run.pages import write_timeline_page

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
#: The data bucket a refused batch's report names (the local stack's).
BUCKET = "drift-retrain-local-databucket"


def _must_run() -> bool:
    """CI as root can install chromium (make setup-browser does): skipping there would hide a gap."""
    return (
        bool(os.environ.get("CI"))
        and hasattr(os, "geteuid")
        and os.geteuid() == 0
        and bool(shutil.which("apt-get"))
    )


def _unavailable() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found: run `make setup-browser` as root (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed: run `make setup` (it is in the dev extras)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    why = _unavailable()
    if why:
        if _must_run():
            pytest.fail(f"browser tests must run in CI as root: {why}")
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder laid out like a local run's output: drift pages for the example batches (from the real
    drift checks of ``drift-retrain demo``), an evaluation page, a bootstrap (first deployment)
    evaluation page and ``timeline.html`` linking them; a retraining batch's page and the evaluation link
    each other, as DetectDrift and EvaluateCandidate do. A refused batch names its object in the bucket,
    as DetectDrift's report does (the check demo reads local files), so its page shows the quarantine
    copy and record."""
    from drift_retrain_local.demos.check_demo import run_demo

    out = tmp_path_factory.mktemp("site")
    run_demo(out / "demo", echo=lambda *_: None)
    drift = out / "reports" / "drift"
    drift.mkdir(parents=True)
    batches = []
    trigger = None
    for source in sorted((out / "demo" / "reports").glob("*.json")):
        report = json.loads(source.read_text())
        key = f"reports/drift/{source.name}"
        if report["status"] != "ok":
            report["source"] = f"s3://{BUCKET}/incoming/{source.stem}.csv"
        if report.get("retrain"):
            report["retrain_execution"] = {"execution_name": "run-1", "batch": {"batch_id": source.stem}}
            trigger = {"bootstrap": False, "batch_key": f"incoming/{source.stem}.csv", "report_key": key}
        (out / key).write_text(json.dumps(report))
        (out / html_key(key)).write_text(render_drift_html(report))
        batches.append(_timeline_entry(source.stem, key, report))
    evaluation = out / "reports" / "evaluation"
    evaluation.mkdir(parents=True)
    (evaluation / "run-1.html").write_text(render_evaluation_html({**EVALUATION, "trigger": trigger}))
    (evaluation / "bootstrap-1.html").write_text(render_evaluation_html(BOOTSTRAP_EVALUATION))
    write_timeline_page(out, {"train": "train.csv", "label": "default", "batches": batches, "seconds": 1.0})
    return out


def _timeline_entry(name: str, key: str, report: dict) -> dict:
    retrain = bool(report.get("retrain"))
    outcome = (
        "quarantined"
        if report["status"] != "ok"
        else "promoted"
        if retrain
        else "drift_alert"
        if report["alert"]
        else "no_drift"
    )
    return {
        "file": f"{name}.csv",
        "key": f"incoming/{name}.csv",
        "outcome": outcome,
        "detect": {"report_key": key},
        "drifted_features": report.get("drifted_features") or [],
        "concept_drift": bool((report.get("concept_drift") or {}).get("detected")),
        "execution": {"name": "run-1"} if retrain else None,
        "evaluation": {"metric": "error_rate", "candidate": 0.035} if retrain else None,
    }


EVALUATION = {
    "execution_name": "run-1",
    "task": "binary",
    "primary_metric": "error_rate",
    "created_at": "2026-12-06T02:59:08+00:00",
    "rows": 200,
    "decision": "promote",
    "relative_improvement": 0.921,
    "settings": {"min_improvement": 0.01, "alpha": 0.05, "alpha_per_candidate": 0.025},
    "paired_test": {"name": "mcnemar_exact_one_sided", "p_value": 1.05e-20},
    "best": {"id": "candidate-1", "strategy": "since_change"},
    "candidate": {"metrics": {"error_rate": 0.035}},
    "champion": {"model": "champion-model", "metrics": {"error_rate": 0.445}},
    "candidates": [
        {
            "id": "candidate-1",
            "strategy": "since_change",
            "error_rate": 0.035,
            "rows": {"train": 720},
            "batches": 1,
            "training_batches": ["incoming/batch-03-concept-change.csv"],
            "training_job": "job-t1-1",
            "window": "the change came after batch-01",
            "paired_test": {"p_value": 1.05e-20},
        },
        {
            "id": "candidate-2",
            "strategy": "recent",
            "error_rate": 0.285,
            "rows": {"train": 1620},
            "batches": 2,
            "training_batches": ["incoming/batch-03-concept-change.csv", "incoming/batch-01-stable.csv"],
            "training_job": "job-t2-1",
            "window": "the newest 5 batches",
            "paired_test": {"p_value": 3e-5},
        },
    ],
    "failed_candidates": [],
    "reasons": ["best of 2 candidates", "candidate wins"],
    "manifest": {"bucket": BUCKET, "key": "training/run-1/manifest.json"},
    "error_views": {
        "kind": "confusion",
        "classes": ["0", "1"],
        "matrices": {
            "candidate-1": [[122, 3], [4, 71]],
            "candidate-2": [[111, 14], [43, 32]],
            "champion": [[96, 29], [60, 15]],
        },
    },
}

#: The first model's evaluation (no champion yet): one candidate on the seed data, deployed as it is.
BOOTSTRAP_EVALUATION = {
    "execution_name": "bootstrap-1",
    "task": "binary",
    "primary_metric": "error_rate",
    "created_at": "2026-12-06T02:58:07+00:00",
    "rows": 600,
    "decision": "first_deployment",
    "relative_improvement": None,
    "settings": {"min_improvement": 0.01, "alpha": 0.05, "alpha_per_candidate": 0.05},
    "paired_test": None,
    "best": {"id": "candidate-1", "strategy": "bootstrap"},
    "candidate": {"metrics": {"error_rate": 0.058}},
    "champion": None,
    "candidates": [
        {
            "id": "candidate-1",
            "strategy": "bootstrap",
            "error_rate": 0.058,
            "rows": {"train": 2400},
            "batches": 1,
            "training_batches": ["seed/train.csv"],
            "training_job": "job-b1-1",
            "window": "the seed data",
        }
    ],
    "failed_candidates": [],
    "reasons": [
        "best of 1 candidate: candidate-1 (bootstrap)",
        "no champion endpoint yet: first deployment (candidate error_rate 0.058)",
    ],
    "manifest": {"bucket": BUCKET, "key": "training/bootstrap-1/manifest.json"},
    "error_views": {
        "kind": "confusion",
        "classes": ["0", "1"],
        "matrices": {"candidate-1": [[418, 17], [18, 147]]},
    },
}
