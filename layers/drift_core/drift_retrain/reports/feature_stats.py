"""Summary statistics beside each feature's chart, baseline against batch: mean, standard deviation, min,
max, missing %, distinct values (numeric); levels, missing %, never-seen share and the top levels with their
shares (categorical). Read from the report's own ``baseline`` and ``batch`` summaries, so the numbers are
the ones the tests used. Written as a small ARIA table of ``div``s, so the feature table's rows stay the
only ``tr`` elements under ``#features``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drift_retrain.reports.formatting import DASH, fmt_count, fmt_num, fmt_rate
from drift_retrain.reports.page import esc

__all__ = ["TOP_LEVELS", "feature_stats", "stats_rows"]

#: Categorical levels listed (the largest share on either side first).
TOP_LEVELS = 5
#: A level's name is cut to this many characters beside the chart (the full name is its tooltip).
NAME_CHARS = 14


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return DASH if value is None else str(value)
    return fmt_num(value)


def _distinct(side: Mapping[str, Any]) -> str:
    if side.get("distinct") is not None:
        return fmt_count(side["distinct"])
    if side.get("distinct_over") is not None:
        return f"> {fmt_count(side['distinct_over'])}"
    return DASH


def stats_rows(feature: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``(statistic, baseline, batch)`` rows for one feature, as the page shows them."""
    base = feature.get("baseline") or {}
    batch = feature.get("batch") or {}
    rows: list[tuple[str, str, str]] = []
    if feature.get("kind") == "numeric" or "mean" in base:
        for key, name in (("mean", "mean"), ("std", "std"), ("min", "min"), ("max", "max")):
            rows.append((name, _number(base.get(key)), _number(batch.get(key))))
        rows.append(("missing", fmt_rate(base.get("missing_rate")), fmt_rate(batch.get("missing_rate"))))
        rows.append(("distinct", _distinct(base), _distinct(batch)))
        return rows
    if "min" in base or "min" in batch:  # a timestamp column: its time range
        rows.append(("first", _number(base.get("min")), _number(batch.get("min"))))
        rows.append(("last", _number(base.get("max")), _number(batch.get("max"))))
    rows.append(("levels", fmt_count(base.get("levels")), fmt_count(batch.get("levels"))))
    rows.append(("missing", fmt_rate(base.get("missing_rate")), fmt_rate(batch.get("missing_rate"))))
    if batch.get("unseen_share") is not None:
        rows.append(("never seen", "-", fmt_rate(batch.get("unseen_share"))))
    base_top, batch_top = base.get("top") or {}, batch.get("top") or {}
    levels = sorted(
        dict.fromkeys([*base_top, *batch_top]),
        key=lambda level: -max(base_top.get(level, 0.0), batch_top.get(level, 0.0)),
    )
    for level in levels[:TOP_LEVELS]:
        rows.append((f"= {level}", fmt_rate(base_top.get(level, 0.0)), fmt_rate(batch_top.get(level, 0.0))))
    return rows


def feature_stats(feature: Mapping[str, Any]) -> str:
    """The summary next to one feature's chart (an ARIA table: header row, one row per statistic)."""
    rows = stats_rows(feature)
    if not rows:
        return ""
    cells = [
        '<div role="row"><span role="columnheader"></span><span role="columnheader">baseline</span>'
        '<span role="columnheader">batch</span></div>'
    ]
    for name, base, batch in rows:
        shown = name if len(name) <= NAME_CHARS else name[: NAME_CHARS - 1] + "…"
        cells.append(
            f'<div role="row"><span role="rowheader" title="{esc(name)}">{esc(shown)}</span>'
            f'<span role="cell">{esc(base)}</span><span role="cell">{esc(batch)}</span></div>'
        )
    label = f"{feature.get('name')}: summary statistics, baseline vs batch"
    return f'<div class="stats" role="table" aria-label="{esc(label)}">{"".join(cells)}</div>'
