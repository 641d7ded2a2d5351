"""Chart.js configurations of one feature, baseline vs batch, and of the concept test's error rates.

Numeric columns: the shares of baseline and batch on the baseline's deciles (the bins PSI is measured
on: ten equal grey bars, and the batch's bars where it moved). Categorical columns: the share of each
top category, with categories the baseline never saw in red and labelled "new".
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from drift_retrain.engine.metric_names import is_rate
from drift_retrain.reports.formatting import fmt_num, wilson_interval

__all__ = [
    "BASELINE_COLOUR",
    "BATCH_COLOUR",
    "NEW_COLOUR",
    "categorical_chart",
    "concept_chart",
    "concept_threshold",
    "decile_labels",
    "numeric_chart",
]

BASELINE_COLOUR, BATCH_COLOUR, NEW_COLOUR = "#adb5bd", "#e8590c", "#c92a2a"
#: Interval colours of the concept chart: the batch's is alarm pink only when concept drift was detected.
ALARM_INTERVAL, QUIET_INTERVAL, HOLDOUT_INTERVAL, REFERENCE_INTERVAL = (
    "#ffc9c9",
    "#dee2e6",
    "#a5d8ff",
    "#ffec99",
)
THRESHOLD_COLOUR = "#212529"
#: Levels the drift engine uses for pooled values; shown with a plain name.
_LEVEL_NAMES = {"<missing>": "missing", "<unseen>": "new (pooled)", "<other>": "other"}
_MAX_LEVELS = 8


def decile_labels(edges: list[float]) -> list[str]:
    """Bin labels for inner edges ``e1..ek``: "< e1", "e1 to e2", ..., ">= ek"."""
    if not edges:
        return ["all"]
    labels = [f"< {fmt_num(edges[0])}"]
    labels += [f"{fmt_num(a)} to {fmt_num(b)}" for a, b in pairwise(edges)]
    return [*labels, f">= {fmt_num(edges[-1])}"]


def _percent(values: list[float] | None) -> list[float | None]:
    return [None if v is None else round(100 * float(v), 2) for v in (values or [])]


def _mini_options(title: str) -> dict[str, Any]:
    return {
        "plugins": {"legend": {"display": False}, "title": {"display": False, "text": title}},
        "scales": {
            "x": {
                "ticks": {"font": {"size": 8}, "maxRotation": 60, "autoSkip": False},
                "grid": {"display": False},
            },
            "y": {"beginAtZero": True, "ticks": {"font": {"size": 9}, "maxTicksLimit": 4}},
        },
    }


def numeric_chart(name: str, distribution: Mapping[str, Any]) -> dict[str, Any]:
    """Baseline and batch shares (percent) per baseline decile bin; the batch is absent when not recorded."""
    datasets = [
        {
            "label": "baseline",
            "data": _percent(distribution.get("baseline")),
            "backgroundColor": BASELINE_COLOUR,
        }
    ]
    if distribution.get("batch") is not None:
        datasets.append(
            {"label": "batch", "data": _percent(distribution.get("batch")), "backgroundColor": BATCH_COLOUR}
        )
    return {
        "type": "bar",
        "data": {"labels": decile_labels(list(distribution.get("edges") or [])), "datasets": datasets},
        "options": _mini_options(name),
    }


def _levels(feature: Mapping[str, Any]) -> tuple[list[str], set[str]]:
    """Categories to show (baseline's top first, then the batch's, then named new ones) and the new ones."""
    baseline = (feature.get("baseline") or {}).get("top") or {}
    batch = (feature.get("batch") or {}).get("top") or {}
    new = [str(u.get("value")) for u in feature.get("unseen_categories") or []]
    levels: list[str] = []
    for level in [*baseline, *batch, *new]:
        if level not in levels and not (level == "<unseen>" and new):
            levels.append(level)
    return levels[:_MAX_LEVELS], set(new)


def categorical_chart(feature: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Shares per category (percent), new categories in red; returns the config and the new categories
    shown."""
    levels, new = _levels(feature)
    baseline = (feature.get("baseline") or {}).get("top") or {}
    batch = dict((feature.get("batch") or {}).get("top") or {})
    batch.update({str(u.get("value")): u.get("share") for u in feature.get("unseen_categories") or []})
    labels = [("new: " + level) if level in new else _LEVEL_NAMES.get(level, level) for level in levels]
    config = {
        "type": "bar",
        "data": {
            "labels": labels,
            "datasets": [
                {
                    "label": "baseline",
                    "data": _percent([baseline.get(level, 0.0) for level in levels]),
                    "backgroundColor": BASELINE_COLOUR,
                },
                {
                    "label": "batch",
                    "data": _percent([batch.get(level, 0.0) for level in levels]),
                    "backgroundColor": [NEW_COLOUR if level in new else BATCH_COLOUR for level in levels],
                },
            ],
        },
        "options": _mini_options(str(feature.get("name"))),
    }
    return config, [level for level in levels if level in new]


def concept_chart(concept: Mapping[str, Any]) -> dict[str, Any] | None:
    """Error rates with their 95% intervals: the batch, the champion's holdout and the reference.

    ``None`` when the test did not run or the metric is not a rate (regression: no interval is kept).
    """
    if not concept.get("tested") or not is_rate(concept.get("metric")):
        return None
    bars = [("this batch", concept.get("error"), concept.get("rows"))]
    bars.append(("champion's holdout", concept.get("baseline_error"), concept.get("baseline_rows")))
    if concept.get("reference_error") not in (None, concept.get("baseline_error")):
        bars.append(("reference", concept.get("reference_error"), concept.get("reference_rows")))
    intervals = [wilson_interval(rate, rows) for _, rate, rows in bars]
    batch_colour = ALARM_INTERVAL if concept.get("detected") else QUIET_INTERVAL
    threshold = concept_threshold(concept)
    threshold_line = (
        []
        if threshold is None
        else [
            {
                "type": "line",
                "label": "decision threshold",
                "data": [round(100 * threshold, 2)] * len(bars),
                "borderColor": THRESHOLD_COLOUR,
                "borderDash": [6, 4],
                "borderWidth": 1.5,
                "pointRadius": 0,
                "fill": False,
            }
        ]
    )
    return {
        "type": "bar",
        "data": {
            "labels": [label for label, _, _ in bars],
            "datasets": [
                {
                    "type": "line",
                    "label": "error rate",
                    "data": [round(100 * float(rate), 2) for _, rate, _ in bars],
                    "showLine": False,
                    "pointRadius": 6,
                    "pointStyle": "rectRot",
                    "backgroundColor": "#212529",
                    "borderColor": "#212529",
                },
                {
                    "label": "95% interval",
                    "data": [
                        None if i is None else [round(100 * i[0], 2), round(100 * i[1], 2)] for i in intervals
                    ],
                    "backgroundColor": [batch_colour, HOLDOUT_INTERVAL, REFERENCE_INTERVAL][: len(bars)],
                    "barPercentage": 0.5,
                },
                *threshold_line,
            ],
        },
        "options": {
            "indexAxis": "x",
            "plugins": {"legend": {"display": False}},
            "scales": {"y": {"beginAtZero": True, "title": {"display": True, "text": "error rate (%)"}}},
        },
    }


def concept_threshold(concept: Mapping[str, Any]) -> float | None:
    """The error rate the batch must exceed to count as concept drift: the holdout's plus the margin."""
    try:
        return float(concept["baseline_error"]) + float(concept.get("margin") or 0.0)
    except (KeyError, TypeError, ValueError):
        return None
