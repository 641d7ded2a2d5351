"""The evaluation page (every candidate next to the champion, the decision, where each model errs) and
the timeline page (serving error per batch, outcomes, links to each drift report)."""

from __future__ import annotations

import re

import numpy as np

from drift_retrain.reports.evaluation import render_evaluation_html
from drift_retrain.reports.model_errors import confusion_matrix, error_views
from drift_retrain.reports.timeline import render_timeline_html, timeline_points

EVALUATION = {
    "execution_name": "run-1",
    "task": "binary",
    "primary_metric": "error_rate",
    "rows": 200,
    "decision": "promote",
    "relative_improvement": 0.92,
    "settings": {"min_improvement": 0.01, "alpha": 0.05, "alpha_per_candidate": 0.025},
    "paired_test": {"name": "mcnemar_exact_one_sided", "p_value": 1e-20},
    "best": {"id": "candidate-1", "strategy": "since_change"},
    "candidate": {"metrics": {"error_rate": 0.035}},
    "champion": {"model": "old", "metrics": {"error_rate": 0.445}},
    "candidates": [
        {
            "id": "candidate-1",
            "strategy": "since_change",
            "error_rate": 0.035,
            "rows": {"train": 720},
            "batches": 1,
            "training_job": "job-1",
            "paired_test": {"p_value": 1e-20},
        },
        {
            "id": "candidate-2",
            "strategy": "recent",
            "error_rate": 0.285,
            "rows": {"train": 1620},
            "batches": 2,
            "training_job": "job-2",
            "paired_test": {"p_value": 0.001},
        },
    ],
    "failed_candidates": [{"id": "candidate-3", "strategy": "registry", "error": "X", "cause": "no model"}],
    "reasons": ["candidate wins"],
    "error_views": error_views(
        "binary",
        ["0", "1"],
        {
            "candidate-1": (np.array([0, 1, 1, 0]), np.array([0.1, 0.9, 0.8, 0.2])),
            "candidate-2": (np.array([0, 1, 1, 0]), np.array([0.6, 0.9, 0.8, 0.2])),
            "champion": (np.array([0, 1, 1, 0]), np.array([0.6, 0.1, 0.8, 0.7])),
        },
    ),
}


def test_confusion_matrix_counts_true_by_predicted():
    assert confusion_matrix("binary", np.array([0, 1, 1, 0]), np.array([0.6, 0.1, 0.8, 0.7]), 2) == [
        [0, 2],
        [1, 1],
    ]
    assert confusion_matrix("multiclass", np.array([0, 2, 1]), np.array([0, 2, 2]), 3) == [
        [1, 0, 0],
        [0, 0, 1],
        [0, 0, 1],
    ]


def test_residual_histograms_share_their_bins():
    views = error_views(
        "regression", [], {"a": (np.zeros(50), np.linspace(-1, 1, 50)), "b": (np.zeros(50), np.zeros(50))}
    )
    assert views["kind"] == "residuals" and len(views["edges"]) == len(views["counts"]["a"]) + 1
    assert sum(views["counts"]["a"]) == sum(views["counts"]["b"]) == 50


def test_evaluation_page_lists_every_candidate_next_to_the_champion():
    page = render_evaluation_html(EVALUATION)
    assert 'class="verdict promote"' in page
    assert re.search(r"3\.5% \(95% interval [0-9.]+% to [0-9.]+%\) vs the champion&#x27;s 44\.5% \(", page)
    assert "92.0% lower (minimum 1.0%)" in page and "paired test p &lt; 0.0001" in page
    for text in (
        "rows since the change",
        "newest batches",
        "earlier model (re-scored)",
        "failed: no model",
        "champion (serving)",
        "job-1",
        "job-2",
    ):
        assert text in page, text
    assert page.count('class="panel confusion"') == 3
    assert '<table id="candidates" class="sortable">' in page


def test_timeline_points_link_each_batch_to_its_drift_report():
    timeline = {
        "bootstrap": {
            "file": "train.csv",
            "key": "bootstrap",
            "outcome": "promoted",
            "execution": {"name": "bootstrap-1"},
            "evaluation": {"metric": "error_rate", "candidate": 0.04},
        },
        "batches": [
            {"file": "a.csv", "outcome": "no_drift", "detect": {"report_key": "reports/drift/a-1.json"}},
            {
                "file": "b.csv",
                "outcome": "promoted",
                "detect": {"report_key": "reports/drift/b-1.json"},
                "concept_drift": True,
                "execution": {"name": "run-b"},
                "evaluation": {"metric": "error_rate", "candidate": 0.03},
            },
            {"file": "c.csv", "outcome": "quarantined", "detect": {"report_key": "reports/drift/c-1.json"}},
        ],
    }
    reports = {
        "reports/drift/a-1.json": {
            "concept_drift": {
                "tested": True,
                "metric": "error_rate",
                "error": 0.05,
                "baseline_error": 0.04,
            }
        },
        "reports/drift/b-1.json": {
            "concept_drift": {
                "tested": True,
                "metric": "error_rate",
                "error": 0.41,
                "baseline_error": 0.04,
            }
        },
    }
    points = timeline_points(timeline, reports.get)
    assert [p["serving_error"] for p in points] == [None, 0.05, 0.41, None]
    assert [p["report_href"] for p in points] == [
        None,
        "reports/drift/a-1.html",
        "reports/drift/b-1.html",
        "reports/drift/c-1.html",
    ]
    assert (
        points[2]["evaluation_href"] == "reports/evaluation/run-b.html"
        and points[2]["new_model_error"] == 0.03
    )
    page = render_timeline_html(timeline, reports.get)
    assert page.count('<a href="reports/drift/') == 3 and "40.0%" not in page and "41.0%" in page
    assert page.count("<tr data-outcome=") == 4


def _run_with_a_gap():
    """Labelled, unlabelled (drift alert), labelled and promoted, quarantined."""
    timeline = {
        "batches": [
            {"file": "a.csv", "outcome": "no_drift", "detect": {"report_key": "reports/drift/a.json"}},
            {"file": "u.csv", "outcome": "drift_alert", "detect": {"report_key": "reports/drift/u.json"}},
            {
                "file": "b.csv",
                "outcome": "promoted",
                "detect": {"report_key": "reports/drift/b.json"},
                "concept_drift": True,
                "execution": {"name": "run-b"},
                "evaluation": {"metric": "error_rate", "candidate": 0.005},
            },
            {
                "file": "q.csv",
                "outcome": "quarantined",
                "detect": {
                    "report_key": "reports/drift/q.json",
                    "quarantine_key": "quarantine/incoming/q.csv",
                },
            },
        ]
    }
    tested = {"tested": True, "metric": "error_rate", "baseline_error": 0.031}
    profile = {"model_name": "champion-1"}
    reports = {
        "reports/drift/a.json": {
            "status": "ok",
            "checked_at": "2026-12-05T09:00:00Z",
            "profile": profile,
            "features": [{}] * 5,
            "concept_drift": {**tested, "error": 0.048},
        },
        "reports/drift/u.json": {
            "status": "ok",
            "checked_at": "2026-12-05T09:01:00Z",
            "profile": profile,
            "features": [{}] * 5,
            "concept_drift": {"tested": False, "reason": "no labels"},
        },
        "reports/drift/b.json": {
            "status": "ok",
            "checked_at": "2026-12-05T09:02:00Z",
            "profile": profile,
            "features": [{}] * 5,
            "concept_drift": {**tested, "error": 0.404},
        },
        "reports/drift/q.json": {"status": "invalid", "checked_at": "2026-12-05T09:03:00Z"},
    }
    return timeline, reports


def _timeline_chart(page: str) -> dict:
    import json
    import re

    data = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    [spec] = json.loads(data.group(1).replace("<\\/", "</"))["charts"]
    return spec


def test_the_serving_line_breaks_at_an_unlabelled_batch_and_events_have_markers():
    timeline, reports = _run_with_a_gap()
    spec = _timeline_chart(render_timeline_html(timeline, reports.get))
    serving, _, new_model, events = spec["config"]["data"]["datasets"]
    assert serving["data"] == [4.8, None, 40.4, None] and serving["spanGaps"] is False
    assert serving["pointStyle"] == "circle"  # one triangle per promotion at most: the new model's star
    assert new_model["pointStyle"] == "star" and new_model["data"] == [None, None, 0.5, None]
    assert events["data"] == [None, 0, 0, 0]
    assert events["pointStyle"][1:] == ["triangle", "star", "rect"]
    assert spec["config"]["options"]["plugins"]["legend"]["labels"]["usePointStyle"] is True
    assert spec["percent"] == "y"
    assert spec["config"]["data"]["labels"][1] == ["u.csv", "drift alert"]


def test_the_table_says_not_tested_and_shows_time_model_and_words():
    import re

    timeline, reports = _run_with_a_gap()
    page = render_timeline_html(timeline, reports.get)
    rows = re.findall(r"<tr data-outcome=\"(\w+)\">(.*?)</tr>", page, re.S)
    cells = {outcome: re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for outcome, row in rows}
    assert cells["drift_alert"][8] == "not tested" and cells["drift_alert"][7] == "0 of 5"
    assert cells["quarantined"][7] == "not tested" and cells["quarantined"][8] == "not tested"
    assert cells["no_drift"][8] == "no" and cells["promoted"][8] == "yes"
    assert cells["no_drift"][2] == "2026-12-05T09:00:00Z" and cells["no_drift"][3] == "champion-1"
    assert ">drift alert</span>" in page and ">drift_alert<" not in page
    assert "quarantine/incoming/q.csv" in cells["quarantined"][1]
    assert "The serving line breaks where a batch had no labels" in page


def _evaluation(**changes):
    report = {
        "execution_name": "run-1",
        "task": "binary",
        "primary_metric": "error_rate",
        "rows": 200,
        "decision": "promote",
        "relative_improvement": 0.988,
        "settings": {"min_improvement": 0.01, "alpha": 0.05, "alpha_per_candidate": 0.025},
        "paired_test": {"name": "mcnemar_exact_one_sided", "p_value": 1e-20},
        "best": {"id": "c-1", "strategy": "since_change"},
        "candidate": {"metrics": {"error_rate": 0.005}},
        "champion": {
            "model": "m",
            "metrics": {"error_rate": 0.41, "accuracy": 0.59, "auc": 0.61, "log_loss": 0.9},
        },
        "candidates": [
            {
                "id": "c-1",
                "strategy": "since_change",
                "error_rate": 0.005,
                "batches": 1,
                "window": "the change",
                "metrics": {"error_rate": 0.005, "accuracy": 0.995, "auc": 0.999, "log_loss": 0.03},
            },
            {
                "id": "c-2",
                "strategy": "recent",
                "error_rate": 0.285,
                "batches": 2,
                "window": "newest WINDOW_MAX_BATCHES=5",
                "metrics": {"error_rate": 0.285, "accuracy": 0.715, "auc": 0.8, "log_loss": 0.5},
            },
        ],
        "reasons": [
            "best of 2 candidates: c-1 (since_change)",
            "candidate wins",
            "error_rate: candidate 0.005 vs champion 0.41 (+98.8% relative, minimum 1.0%)",
        ],
    }
    return {**report, **changes}


def _text(page: str) -> str:
    import re

    return re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", page, flags=re.S))


def test_evaluation_rates_are_percentages_with_wilson_intervals():
    page = render_evaluation_html(_evaluation())
    text = _text(page)
    assert "candidate 0.5% vs champion 41.0% (98.8% lower" in text and "relative" not in text
    assert "0.005" not in text and "0.41 " not in text
    assert "0.1% to 2.8%" in text  # 1 error in 200 rows
    assert "95% interval (200 rows)" in page


def test_a_worse_candidate_reads_higher_and_a_single_candidate_is_singular():
    text = _text(
        render_evaluation_html(
            _evaluation(
                decision="reject",
                relative_improvement=-0.05,
                candidates=_evaluation()["candidates"][:1],
                paired_test={"name": "mcnemar_exact_one_sided", "p_value": 0.9},
            )
        )
    )
    assert "5.0% higher (minimum 1.0%)" in text and "-5.0%" not in text and "lower (minimum" not in text
    assert "for 1 candidate)" in text and "1 candidates" not in text
    assert "no lower (minimum" in _text(render_evaluation_html(_evaluation(relative_improvement=0.0)))
    assert "for 2 candidates)" in _text(render_evaluation_html(_evaluation()))


def test_evaluation_shows_secondary_metrics_the_window_and_why_a_candidate_lost():
    page = render_evaluation_html(_evaluation())
    for header in ("accuracy", "AUC", "log loss", "batches used", "window rule"):
        assert f">{header}</th>" in page.replace(' class="nosort"', ""), header
    assert "99.5%" in page and "0.999" in page
    assert "newest (at most 5)" in page and "WINDOW_MAX_BATCHES" not in page
    assert "lost: 28.5% vs the best&#x27;s 0.5%; it also trains on 1 batch from before the change" in page
    assert "the candidate wins: lower by at least the minimum" in page


def test_evaluation_chart_labels_values_and_avoids_the_promoted_blue():
    import json
    import re

    from drift_retrain.reports.timeline import OUTCOME_COLOURS

    page = render_evaluation_html(_evaluation())
    data = re.search(r'id="report-data">(.*?)</script>', page, re.S).group(1)
    [spec] = json.loads(data.replace("<\\/", "</"))["charts"]
    assert spec["config"]["data"]["labels"][0].endswith(": 0.5%")
    assert OUTCOME_COLOURS["promoted"] not in spec["config"]["data"]["datasets"][0]["backgroundColor"]


def test_a_bootstrap_evaluation_says_there_is_no_champion_and_counts_in_the_singular():
    report = _evaluation(
        champion=None,
        decision="first_deployment",
        candidates=_evaluation()["candidates"][:1],
        reasons=["best of 1 candidates: c-1 (bootstrap)"],
    )
    page = render_evaluation_html(report)
    assert "Candidates (no champion yet)" in page and "Candidates and champion" not in page
    assert "best of 1 candidate:" in page


def test_the_console_summary_says_not_tested_where_the_timeline_does():
    from drift_retrain_local.run.summary import render_summary

    timeline, reports = _run_with_a_gap()
    timeline["bootstrap"] = {"file": "train.csv", "key": "bootstrap", "outcome": "promoted"}
    lines = render_summary(timeline, reports.get).splitlines()
    cells = {line.split()[0]: re.split(r"\s{2,}", line) for line in lines[1:]}
    assert cells["train.csv"][2:4] == ["not tested", "not tested"]  # the bootstrap is not checked
    assert cells["u.csv"][2:4] == ["0", "not tested"]  # features checked, no labels for concept
    assert cells["q.csv"][2:4] == ["not tested", "not tested"]  # quarantined
    assert cells["a.csv"][2:4] == ["0", "no"] and cells["b.csv"][2:4] == ["0", "yes"]


def _meta_and_footer(page: str) -> tuple[str, str]:
    import re

    meta = re.search(r'<p class="meta">(.*?)</p>', page, re.S).group(1)
    footer = re.search(r"<footer>(.*?)</footer>", page, re.S).group(1)
    return meta, footer


def test_the_meta_line_and_footer_name_the_training_manifest_and_link_it():
    manifest = {"bucket": "data-bucket", "key": "training/run-1/manifest.json"}
    page = render_evaluation_html(_evaluation(manifest=manifest, created_at="2026-12-06T02:59:08+00:00"))
    meta, footer = _meta_and_footer(page)
    assert "training manifest <code>training/run-1/manifest.json</code>" in meta
    assert "evaluated 2026-12-06T02:59:08+00:00" in meta
    assert '<a href="../../training/run-1/manifest.json">' in footer
    assert "s3://data-bucket/training/run-1/manifest.json" in footer
    assert not _text(meta).rstrip().endswith("-") and not _text(footer).rstrip().endswith("-")


def test_an_older_report_without_manifest_or_time_says_so_in_words():
    meta, footer = _meta_and_footer(render_evaluation_html(_evaluation()))
    assert "training manifest not recorded in this report" in meta
    assert "training manifest not recorded in this report" in footer
    assert "time not recorded" in meta
    assert "&middot; -" not in meta and "manifest -" not in footer
