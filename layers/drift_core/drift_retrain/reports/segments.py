"""Where the error moved, for people: the drift page's segment table and the notification's top line,
both from the report's ``segments`` block (``engine.segment_analysis``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drift_retrain.engine.metric_names import is_rate
from drift_retrain.reports.formatting import fmt_count, fmt_metric, fmt_num, fmt_p, fmt_rate, metric_label
from drift_retrain.reports.page import esc, table

__all__ = ["segment_headline", "segments_section"]

TESTS = {
    "fisher_exact_one_sided": "one-sided Fisher exact test of the segment's errors against its holdout errors",
    "welch_t_one_sided": "one-sided Welch t-test of the segment's squared errors against its holdout's",
}


def _value(block: Mapping[str, Any], value: Any) -> str:
    return fmt_metric(value, block.get("metric"))


def _interval(block: Mapping[str, Any], interval: Any) -> str:
    if not interval:
        return "-"
    return f"{_value(block, interval[0])} to {_value(block, interval[1])}"


def _phrase(block: Mapping[str, Any], segment: Mapping[str, Any]) -> str:
    """``region = central (error rate 78.6% vs 27.7% on the holdout, 25.2% of rows, 109% of the rise)``."""
    reference = "on the holdout" if segment.get("holdout_source") == "segment" else "overall on the holdout"
    explained = segment.get("explained_share")
    tail = "" if explained is None else f", {fmt_rate(explained)} of the rise"
    return (
        f"{segment.get('label')} ({fmt_metric(segment.get('error'), block.get('metric'), named=True)} vs "
        f"{_value(block, segment.get('holdout_error'))} {reference}, {fmt_rate(segment.get('share'))} of rows{tail})"
    )


def segment_headline(block: Mapping[str, Any] | None, limit: int = 2) -> str | None:
    """The notification's line: the top flagged segments, or that none stands out; None when untested."""
    if not block or not block.get("tested"):
        return None
    flagged = [s for s in block.get("top") or [] if s.get("flagged")]
    if not flagged:
        return (
            f"no segment's error rose significantly ({fmt_count(block.get('segments_tested'))} segments "
            f"tested, {block.get('correction')} correction)"
        )
    return "; ".join(_phrase(block, s) for s in flagged[:limit])


def segments_section(report: Mapping[str, Any]) -> str:
    """The drift page's "Where the error moved" section: a ranked, bounded table with intervals."""
    block = report.get("segments") or {}
    head = "<h2>Where the error moved</h2>"
    if not block.get("tested"):
        reason = block.get("reason") or "the concept test did not run"
        return f'{head}<div class="panel" id="segments">Not analysed: {esc(reason)}.</div>'
    top = list(block.get("top") or [])
    note = block.get("note")
    legend = (
        f'<p class="legend">The champion\'s {esc(metric_label(block.get("metric")))} '
        f"on this batch by segment (each categorical feature's levels, each numeric feature's baseline deciles), "
        f"next to the same segment on its holdout, with 95% intervals "
        f"({'Wilson' if is_rate(block.get('metric')) else 't'}). Ranked by the excess error a segment "
        f"carries (its share of rows × (batch − holdout)); {_rise_text(block)} "
        f"{fmt_count(block.get('segments_tested'))} segments with at least {fmt_count(block.get('min_rows'))} "
        f"labelled rows were tested ({esc(TESTS.get(block.get('test'), block.get('test')))}); p-values are "
        f"{esc(block.get('correction'))}-corrected over all of them, and a segment is flagged at alpha "
        f"{fmt_num(block.get('alpha'))}. The top {len(top)} are shown; {fmt_count(block.get('flagged'))} flagged."
        + (f" Note: {esc(note)}." if note else "")
        + "</p>"
    )
    rows = [_row(block, s) for s in top]
    headers = [
        "segment",
        "rows",
        "batch error",
        "95% interval",
        "holdout error",
        "holdout 95% interval",
        "of the rise",
        "p (corrected)",
        "flagged",
    ]
    return head + legend + table(headers, rows, table_id="segments")


def _rise_text(block: Mapping[str, Any]) -> str:
    whole = f"{_value(block, block.get('error'))} vs {_value(block, block.get('holdout_error'))}"
    if block.get("rise_detected", True):
        return f'"of the rise" divides that by the whole rise ({whole}).'
    return f"the batch's error did not rise significantly ({whole}), so no share of a rise is given."


def _row(block: Mapping[str, Any], segment: Mapping[str, Any]) -> str:
    flagged = bool(segment.get("flagged"))
    holdout = _value(block, segment.get("holdout_error"))
    if segment.get("holdout_source") != "segment":
        holdout += " (overall)"
    explained = segment.get("explained_share")
    cells = [
        f'<td data-v="{esc(segment.get("label"))}">{esc(segment.get("label"))}</td>',
        f'<td class="num" data-v="{segment.get("rows")}">{fmt_count(segment.get("rows"))} '
        f'<span class="why">({fmt_rate(segment.get("share"))})</span></td>',
        f'<td class="num" data-v="{segment.get("error")}"><b>{_value(block, segment.get("error"))}</b></td>',
        f'<td class="num">{_interval(block, segment.get("interval"))}</td>',
        f'<td class="num" data-v="{segment.get("holdout_error")}">{esc(holdout)} '
        f'<span class="why">on {fmt_count(segment.get("holdout_rows"))}</span></td>',
        f'<td class="num">{_interval(block, segment.get("holdout_interval"))}</td>',
        f'<td class="num" data-v="{-1 if explained is None else explained}">'
        f"{'-' if explained is None else fmt_rate(explained)}</td>",
        f'<td class="num" data-v="{segment.get("p_value_adjusted")}">{fmt_p(segment.get("p_value_adjusted"))}</td>',
        f'<td data-v="{0 if flagged else 1}">'
        + ('<span class="tag yes">error rose</span>' if flagged else '<span class="tag">no</span>')
        + "</td>",
    ]
    return (
        f'<tr class="{"drifted" if flagged else ""}" data-segment="{esc(segment.get("feature"))}:'
        f'{esc(segment.get("segment"))}">{"".join(cells)}</tr>'
    )
