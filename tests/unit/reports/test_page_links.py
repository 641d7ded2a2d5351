"""From alert to action: the drift page links the evaluation of the retrain it started, the evaluation page
links back to its trigger's drift page and names each candidate's training files and why it lost, and the
timeline's promotions open their evaluations. Every link is relative and resolves to the other page's key."""

from __future__ import annotations

import json
import posixpath
import re
from urllib.parse import unquote

from drift_retrain.layout import drift_report_key, evaluation_report_key
from drift_retrain.reports import render_drift_html
from drift_retrain.reports.evaluation import render_evaluation_html
from drift_retrain.reports.links import html_key, page_href
from drift_retrain.reports.timeline import render_timeline_html

TRIGGER = "incoming/batch-04.csv"
SINCE_CHANGE = [TRIGGER, "incoming/batch-03.csv"]
RECENT = [*SINCE_CHANGE, "incoming/batch-02.csv", "incoming/batch-01.csv"]


def resolve(from_key: str, href: str) -> str:
    """The bucket key a relative link on the page at ``from_key`` opens."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(html_key(from_key)), unquote(href)))


def link(page: str, element_id: str) -> str:
    """The first ``href`` inside the element with ``element_id``."""
    match = re.search(rf'id="{element_id}".*?href="([^"]*)"', page, re.S)
    assert match, element_id
    return match.group(1)


def evaluation(**changes) -> dict:
    """A rejected retrain: the since-change candidate is best but not significantly better."""
    report = {
        "execution_name": "exec-1",
        "task": "binary",
        "primary_metric": "error_rate",
        "rows": 400,
        "decision": "reject",
        "relative_improvement": 0.12,
        "settings": {"min_improvement": 0.01, "alpha": 0.05, "alpha_per_candidate": 0.025},
        "paired_test": {"name": "mcnemar_exact_one_sided", "p_value": 0.21},
        "trigger": {
            "bootstrap": False,
            "batch_key": TRIGGER,
            "batch_id": "batch-04-1a2b",
            "report_key": "reports/drift/batch-04-1a2b.json",
        },
        "best": {"id": "c-1", "strategy": "since_change"},
        "candidate": {"metrics": {"error_rate": 0.22}},
        "champion": {"model": "m", "metrics": {"error_rate": 0.25}},
        "candidates": [
            {
                "id": "c-1",
                "strategy": "since_change",
                "error_rate": 0.22,
                "batches": 2,
                "training_batches": SINCE_CHANGE,
                "window": "the serving model handled incoming/batch-02.csv: the change came after it",
            },
            {
                "id": "c-2",
                "strategy": "recent",
                "error_rate": 0.3,
                "batches": 4,
                "training_batches": RECENT,
                "previous_rows": 500,
            },
            {"id": "c-3", "strategy": "registry", "error_rate": 0.4, "batches": 0, "training_batches": []},
        ],
        "reasons": ["champion kept: difference not significant on the paired test"],
    }
    return {**report, **changes}


def test_a_drift_page_links_the_evaluation_of_the_retrain_it_started(drifted_report):
    report = {
        **drifted_report,
        "retrain_execution": {"execution_name": "exec-1", "batch": {"batch_id": "b-1"}},
    }
    page = render_drift_html(report)
    href = link(page, "retrain")
    assert href == "../evaluation/exec-1.html"
    assert resolve(drift_report_key("b-1"), href) == html_key(evaluation_report_key("exec-1"))
    assert "started execution <code>exec-1</code>" in page


def test_no_retrain_link_without_a_started_retrain(drifted_report):
    record = {"execution_name": "exec-1", "batch": {"batch_id": "b-1"}}
    deferred = {**drifted_report, "retrain_execution": record, "retrain_deferred": "an A/B test was running"}
    for report in (drifted_report, deferred):
        assert 'id="retrain"' not in render_drift_html(report)


def test_the_retrain_link_escapes_the_execution_name(drifted_report):
    name = 'x"><script>alert(1)</script>'
    page = render_drift_html({**drifted_report, "retrain_execution": {"execution_name": name}})
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert (
        link(page, "retrain") == "../evaluation/x-script-alert-1-script.html"
    )  # the key EvaluateCandidate uses


def test_an_evaluation_page_links_back_to_its_trigger_drift_page():
    page = render_evaluation_html(evaluation())
    href = link(page, "trigger")
    assert href == "../drift/batch-04-1a2b.html"
    assert resolve(evaluation_report_key("exec-1"), href) == "reports/drift/batch-04-1a2b.html"
    assert f"batch <code>{TRIGGER}</code>" in page


def test_a_bootstrap_evaluation_names_its_seed_and_links_nothing():
    trigger = {"bootstrap": True, "batch_key": "seed/train.csv", "report_key": None}
    page = render_evaluation_html(evaluation(trigger=trigger))
    assert "First model: trained from the seed data <code>seed/train.csv</code>" in page
    assert 'href="../drift/' not in page


def test_links_are_relative_and_never_leave_the_reports_folder():
    assert page_href("reports/evaluation/e.json", "reports/drift/a b#1.json") == "../drift/a%20b%231.html"
    assert page_href("reports/evaluation/e.json", "javascript:alert(1)").startswith("../../javascript%3A")


def _training_rows(page: str) -> dict[str, str]:
    body = re.search(r'<table id="training-files".*?</table>', page, re.S).group(0)
    return {
        m.group(1): m.group(2) for m in re.finditer(r"<tr><td>.*?\((c-\d)\)</td><td>(.*?)</td></tr>", body)
    }


def test_each_candidate_lists_its_training_files_with_the_trigger_and_the_pre_change_ones_tagged():
    rows = _training_rows(render_evaluation_html(evaluation()))
    assert re.findall(r"<code[^>]*>(.*?)</code>", rows["c-2"]) == [k.rsplit("/", 1)[1] for k in RECENT]
    assert rows["c-1"].count("from before the change") == 0 and rows["c-1"].count(">trigger<") == 1
    assert rows["c-2"].count(">from before the change<") == 2
    assert "batch-02.csv</code> <span" in rows["c-2"] and "batch-03.csv</code>, " in rows["c-2"]
    assert "it mixes in 500 of the champion&#x27;s training rows" in rows["c-2"]
    assert "none: an earlier model, re-scored" in rows["c-3"]


def _status(page: str, candidate: str) -> str:
    """The status cell (the last) of a candidate's row in the candidates table."""
    body = re.search(r'<table id="candidates".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", body)
    order = [c["id"] for c in evaluation()["candidates"]]
    return re.findall(r"<td[^>]*>([^<]*)</td>$", rows[order.index(candidate)])[0]


def test_why_each_candidate_lost():
    page = render_evaluation_html(evaluation())
    assert _status(page, "c-1") == (
        "best candidate, not promoted: not significantly better than the champion (p 0.21, alpha 0.025)"
    )
    assert _status(page, "c-2") == (
        "lost: 30.0% vs the best&#x27;s 22.0%; it also trains on 2 batches from before the change; "
        "it mixes in 500 of the champion&#x27;s training rows, from before the change"
    )
    small = render_evaluation_html(evaluation(relative_improvement=0.004, paired_test={"p_value": 0.001}))
    assert (
        _status(small, "c-1")
        == "best candidate, not promoted: only 0.4% lower than the champion (minimum 1.0%)"
    )


def test_a_capped_since_change_window_does_not_claim_the_change():
    for ended in (
        "the window holds SINCE_CHANGE_MAX_BATCHES=2 batches",
        "the window holds WINDOW_MAX_ROWS=900 rows",
    ):
        report = evaluation()
        report["candidates"][0]["window"] = ended
        page = render_evaluation_html(report)
        assert (
            "from before the change (" not in page and "2 batches older than the since-change window" in page
        )
        assert _training_rows(page)["c-2"].count(">older than the since-change window<") == 2


def _chart(page: str) -> dict:
    data = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    [spec] = json.loads(data.group(1))["charts"]
    return spec


def test_a_promotion_on_the_timeline_opens_its_evaluation():
    timeline = {
        "batches": [
            {"file": "a.csv", "outcome": "no_drift", "detect": {"report_key": "reports/drift/a.json"}},
            {
                "file": "b.csv",
                "outcome": "promoted",
                "detect": {"report_key": "reports/drift/b.json"},
                "execution": {"name": "run b"},
                "evaluation": {"metric": "error_rate", "candidate": 0.03},
            },
        ]
    }
    page = render_timeline_html(timeline, lambda key: None)
    expected = html_key(evaluation_report_key("run b"))
    assert expected == "reports/evaluation/run-b.html"  # the key EvaluateCandidate writes
    spec = _chart(page)
    datasets = spec["config"]["data"]["datasets"]
    star = next(i for i, d in enumerate(datasets) if d.get("pointStyle") == "star")
    assert spec["datasetLinks"][str(star)] == [None, expected]
    assert spec["links"] == ["reports/drift/a.html", "reports/drift/b.html"]
    promoted = re.search(r'<tr data-outcome="promoted">.*?</tr>', page, re.S).group(0)
    assert f'<a href="{expected}">evaluation</a>' in promoted
