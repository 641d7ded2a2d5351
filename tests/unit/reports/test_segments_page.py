"""Where the error moved on the drift page and in the drift notice: a bounded, ranked table with
intervals and the correction stated, and the top flagged segment in the notice's body."""

from __future__ import annotations

import re

from drift_retrain.aws.objects import ObjectRef
from drift_retrain.detect.context import Outcome, Status
from drift_retrain.detect.messages import drift_message
from drift_retrain.reports import render_drift_html
from drift_retrain.reports.links import ReportLinks
from drift_retrain.reports.segments import segment_headline

BATCH = ObjectRef("data", "incoming/b.csv", "v1")


def _segment(label: str, *, flagged: bool, excess: float) -> dict:
    return {
        "feature": label.split(" ")[0],
        "kind": "categorical",
        "segment": label.split(" = ")[-1],
        "label": label,
        "rows": 250,
        "share": 0.25,
        "error": 0.786,
        "interval": [0.731, 0.832],
        "holdout_rows": 240,
        "holdout_error": 0.05,
        "holdout_interval": [0.029, 0.085],
        "holdout_source": "segment",
        "excess": excess,
        "explained_share": 0.5,
        "p_value": 1e-30,
        "p_value_adjusted": 3e-29 if flagged else 0.4,
        "flagged": flagged,
    }


def _block(*segments: dict, note: str | None = None) -> dict:
    return {
        "tested": True,
        "metric": "error_rate",
        "rows": 1000,
        "error": 0.40,
        "holdout_error": 0.05,
        "rise": 0.35,
        "holdout_source": "segment" if note is None else "overall",
        "note": note,
        "test": "fisher_exact_one_sided",
        "correction": "holm",
        "alpha": 0.05,
        "min_rows": 20,
        "segments_tested": 37,
        "flagged": sum(s["flagged"] for s in segments),
        "top": list(segments),
    }


def test_the_page_lists_the_segments_with_intervals_and_the_correction(drifted_report):
    report = {
        **drifted_report,
        "segments": _block(
            _segment("region = central", flagged=True, excess=0.18),
            _segment("region = north", flagged=False, excess=0.01),
        ),
    }
    page = render_drift_html(report)
    section = page[page.index("<h2>Where the error moved</h2>") : page.index("<h2>Features</h2>")]
    rows = re.findall(r'<tr class="([^"]*)" data-segment="([^"]+)"', section)
    assert rows == [("drifted", "region:central"), ("", "region:north")]
    assert "78.6%" in section and "73.1% to 83.2%" in section and "2.9% to 8.5%" in section
    assert "holm-corrected over all of them" in section and "37 segments" in section
    assert "error rose" in section and "Wilson" in section


def test_an_old_profile_is_named_on_the_page(drifted_report):
    note = "the baseline profile keeps no per-segment holdout errors"
    segment = {**_segment("region = central", flagged=True, excess=0.2), "holdout_source": "overall"}
    page = render_drift_html({**drifted_report, "segments": _block(segment, note=note)})
    assert note in page and "5.0% (overall)" in page


def test_an_untested_block_says_why(stable_report):
    block = {"tested": False, "reason": "the batch has no labelled rows"}
    page = render_drift_html({**stable_report, "segments": block})
    assert "Not analysed: the batch has no labelled rows." in page
    assert segment_headline(block) is None


def test_a_real_report_renders_its_own_segments(drifted_report):
    assert drifted_report["segments"]["tested"]
    page = render_drift_html(drifted_report)
    shown = re.findall(r'data-segment="([^"]+)"', page)
    assert 0 < len(shown) == len(drifted_report["segments"]["top"]) <= 10


def test_the_notice_names_where_the_error_moved(drifted_report):
    report = {
        **drifted_report,
        "segments": _block(
            _segment("region = central", flagged=True, excess=0.18),
            _segment("x0 ≥ 1.28", flagged=True, excess=0.05),
            _segment("region = north", flagged=False, excess=0.01),
        ),
    }
    outcome = Outcome(Status.CHECKED, "alert", BATCH, "b-1")
    body = drift_message(BATCH, report, outcome, ReportLinks("https://x")).body
    line = next(ln for ln in body.splitlines() if ln.startswith("Where the error moved: "))
    assert line == (
        "Where the error moved: region = central (error rate 78.6% vs 5.0% on the holdout, 25.0% of rows, "
        "50.0% of the rise); x0 ≥ 1.28 (error rate 78.6% vs 5.0% on the holdout, 25.0% of rows, 50.0% of the rise)"
    )


def test_the_notice_says_when_no_segment_stands_out(stable_report):
    block = _block(_segment("region = north", flagged=False, excess=0.0))
    assert (
        segment_headline(block)
        == "no segment's error rose significantly (37 segments tested, holm correction)"
    )
