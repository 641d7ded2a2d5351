"""The error-over-time view: the serving model's error on each batch, what the service did about it, and
a link from each batch to its drift report.

Input is a run's timeline (``drift-retrain local run`` writes ``timeline.json``: one entry per batch with
its outcome, drift report key and evaluation) and a loader for the drift reports it names; the page plots
the champion's error on each labelled batch against its holdout error, marks promotions and rejections,
and colours every batch by outcome. The CloudWatch dashboard draws the same series from the EMF metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from drift_retrain.engine.metric_names import ERROR_RATE, is_rate, on_scale, read_report
from drift_retrain.layout import evaluation_report_key
from drift_retrain.reports.formatting import fmt_metric, fmt_num, metric_label
from drift_retrain.reports.links import html_key
from drift_retrain.reports.page import Charts, esc, render_page, table

__all__ = ["OUTCOME_COLOURS", "OUTCOME_WORDS", "outcome_words", "render_timeline_html", "timeline_points"]

OUTCOME_COLOURS = {
    "no_drift": "#009e73",
    "drift_alert": "#e69f00",
    "promoted": "#0072b2",
    "rejected": "#cc79a7",
    "quarantined": "#ced4da",
    "failed": "#d55e00",
}
#: Outcomes as words (the JSON's identifiers stay in data attributes).
OUTCOME_WORDS = {
    "no_drift": "no drift",
    "drift_alert": "drift alert",
    "promoted": "promoted",
    "rejected": "rejected",
    "quarantined": "quarantined",
    "failed": "failed",
}
#: The event marker each outcome gets on the chart's bottom row (no drift gets none).
EVENT_MARKERS = {
    "drift_alert": "triangle",
    "promoted": "star",
    "rejected": "crossRot",
    "quarantined": "rect",
    "failed": "rectRot",
}
NOT_TESTED = "not tested"

ReportLoader = Callable[[str], Mapping[str, Any] | None]


def timeline_points(timeline: Mapping[str, Any], load: ReportLoader) -> list[dict[str, Any]]:
    """One point per batch (bootstrap first): outcome, the serving error on it and links to its pages.

    Every error is in the drift reports' metric (a promoted model's RMSE as an MSE), so one axis fits."""
    entries = ([timeline["bootstrap"]] if timeline.get("bootstrap") else []) + list(
        timeline.get("batches") or []
    )
    points = []
    for entry in entries:
        detect = entry.get("detect") or {}
        key = detect.get("report_key")
        report = (read_report(load(key)) or {}) if key else {}
        concept = report.get("concept_drift") or {}
        evaluation = entry.get("evaluation") or {}
        execution = (entry.get("execution") or {}).get("name")
        points.append(
            {
                "label": entry.get("file"),
                "bootstrap": entry.get("key") == "bootstrap",
                "outcome": entry.get("outcome"),
                "metric": concept.get("metric") or evaluation.get("metric"),
                "serving_error": concept.get("error") if concept.get("tested") else None,
                "holdout_error": concept.get("baseline_error"),
                "new_model_error": evaluation.get("candidate")
                if entry.get("outcome") == "promoted"
                else None,
                "new_model_metric": evaluation.get("metric"),
                "checked": report.get("status") == "ok",
                "drifted": len(entry.get("drifted_features") or []),
                "features": len(report.get("features") or []),
                "concept": bool(entry.get("concept_drift")),
                "concept_tested": bool(concept.get("tested")),
                "checked_at": report.get("checked_at"),
                "model": (report.get("profile") or {}).get("model_name")
                or entry.get("endpoint_config_before"),
                "quarantine_key": detect.get("quarantine_key"),
                "report_href": html_key(key) if key else None,
                "evaluation_href": html_key(evaluation_report_key(execution))
                if execution and evaluation
                else None,
            }
        )
    metric = next((p["metric"] for p in points if p["concept_tested"]), None)
    for point in points:
        point["new_model_error"] = on_scale(
            point["new_model_error"], point.pop("new_model_metric"), metric or point["metric"]
        )
        point["metric"] = metric or point["metric"]
    return points


def _short(label: Any, limit: int = 24) -> str:
    text = str(label or "")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _scaled(point: Mapping[str, Any], key: str) -> float | None:
    value = point.get(key)
    if value is None:
        return None
    return round(100 * float(value), 3) if is_rate(point.get("metric")) else float(value)


def _chart(points: list[dict[str, Any]], charts: Charts) -> str:
    metric = next((p["metric"] for p in points if p.get("metric")), ERROR_RATE)
    serving = {
        "type": "line",
        "label": f"serving model's {metric_label(metric)} on the batch",
        "data": [_scaled(p, "serving_error") for p in points],
        "borderColor": "#495057",
        "pointBackgroundColor": [OUTCOME_COLOURS.get(p["outcome"], "#495057") for p in points],
        "pointBorderColor": [OUTCOME_COLOURS.get(p["outcome"], "#495057") for p in points],
        "pointStyle": "circle",
        "pointRadius": 6,
        "spanGaps": False,
    }
    holdout = {
        "type": "line",
        "label": "its holdout error",
        "data": [_scaled(p, "holdout_error") for p in points],
        "borderColor": "#adb5bd",
        "borderDash": [6, 4],
        "pointRadius": 0,
        "stepped": True,
        "spanGaps": True,
    }
    promoted = {
        "type": "line",
        "label": "new model's held-out error (promoted)",
        "data": [_scaled(p, "new_model_error") for p in points],
        "showLine": False,
        "pointStyle": "star",
        "pointRadius": 10,
        "borderWidth": 2,
        "backgroundColor": OUTCOME_COLOURS["promoted"],
        "borderColor": OUTCOME_COLOURS["promoted"],
    }
    events = [p if p["outcome"] in EVENT_MARKERS else None for p in points]
    markers = {
        "type": "line",
        "label": "event (alert, promotion, rejection, quarantine, failure)",
        "data": [None if p is None else 0 for p in events],
        "showLine": False,
        "pointStyle": [EVENT_MARKERS[p["outcome"]] if p else "circle" for p in events],
        "pointRadius": 8,
        "backgroundColor": [OUTCOME_COLOURS.get(p["outcome"]) if p else "#fff" for p in events],
        "borderColor": [OUTCOME_COLOURS.get(p["outcome"]) if p else "#fff" for p in events],
        "clip": False,
    }
    datasets = [serving, holdout, promoted, markers]
    config = {
        "type": "line",
        "data": {
            "labels": [[_short(p["label"]), outcome_words(p["outcome"])] for p in points],
            "datasets": datasets,
        },
        "options": {
            "plugins": {"legend": {"position": "bottom", "labels": {"usePointStyle": True}}},
            "scales": {
                "y": {"beginAtZero": True, "title": {"display": True, "text": metric_label(metric)}},
                "x": {
                    "ticks": {
                        "maxRotation": 0,
                        "autoSkip": False,
                        "font": {"size": 10},
                        "color": [OUTCOME_COLOURS.get(p["outcome"], "#495057") for p in points],
                    }
                },
            },
        },
    }
    return charts.canvas(
        config,
        width=1100,
        height=380,
        label="serving error per batch",
        links=[p.get("report_href") for p in points],
        dataset_links={  # a promotion's star and an event's marker open the run's evaluation
            datasets.index(promoted): [p.get("evaluation_href") for p in points],
            datasets.index(markers): [p.get("evaluation_href") or p.get("report_href") for p in points],
        },
        percent_axis="y" if is_rate(metric) else None,
    )


def _row(point: Mapping[str, Any]) -> str:
    metric = point.get("metric")
    colour = OUTCOME_COLOURS.get(point.get("outcome"), "#495057")
    report = f'<a href="{esc(point["report_href"])}">drift report</a>' if point.get("report_href") else "-"
    evaluation = (
        f'<a href="{esc(point["evaluation_href"])}">evaluation</a>' if point.get("evaluation_href") else "-"
    )
    name = esc(point.get("label")) + (" (bootstrap)" if point.get("bootstrap") else "")
    return (
        f'<tr data-outcome="{esc(point.get("outcome"))}"><td>{name}</td>'
        f'<td><span class="tag" style="background:{colour};color:#fff">{esc(outcome_words(point.get("outcome")))}'
        f"</span>{_quarantine_note(point)}</td>"
        f"<td>{esc(point.get('checked_at') or '-')}</td><td>{esc(point.get('model') or '-')}</td>"
        f'<td class=num data-v="{point.get("serving_error") if point.get("serving_error") is not None else -1}">'
        f"{fmt_metric(point.get('serving_error'), metric)}</td>"
        f"<td class=num>{fmt_metric(point.get('holdout_error'), metric)}</td>"
        f"<td class=num>{fmt_metric(point.get('new_model_error'), metric)}</td>"
        f"<td class=num>{_drifted_cell(point)}</td><td>{_concept_cell(point)}</td>"
        f"<td>{report}</td><td>{evaluation}</td></tr>"
    )


def outcome_words(outcome: Any) -> str:
    """An outcome identifier as words ("drift_alert" -> "drift alert")."""
    return OUTCOME_WORDS.get(str(outcome), str(outcome or "-").replace("_", " "))


def _drifted_cell(point: Mapping[str, Any]) -> str:
    if not point.get("checked"):
        return NOT_TESTED
    return (
        f"{point.get('drifted')} of {point.get('features')}"
        if point.get("features")
        else str(point.get("drifted"))
    )


def _concept_cell(point: Mapping[str, Any]) -> str:
    if not point.get("concept_tested"):
        return NOT_TESTED
    return "yes" if point.get("concept") else "no"


def _quarantine_note(point: Mapping[str, Any]) -> str:
    key = point.get("quarantine_key")
    return f' <span class="why">copy at <code>{esc(key)}</code></span>' if key else ""


def render_timeline_html(timeline: Mapping[str, Any], load: ReportLoader, title: str = "Run timeline") -> str:
    """The page: the chart (click a point to open the batch's drift report) and one row per batch."""
    points = timeline_points(timeline, load)
    charts = Charts()
    legend = "".join(
        f'<span class="swatch" style="background:{colour}"></span>{esc(outcome_words(outcome))}'
        for outcome, colour in OUTCOME_COLOURS.items()
    )
    label = metric_label(next((p["metric"] for p in points if p.get("metric")), ERROR_RATE))
    headers = [
        "batch",
        "outcome",
        "checked at (UTC)",
        "serving model",
        f"serving {label}",
        f"holdout {label}",
        f"new model's {label}",
        "drifted features",
        "concept drift",
        ("drift report", "nosort"),
        ("evaluation", "nosort"),
    ]
    body = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="meta">training data {esc(timeline.get("train"))} &middot; label {esc(timeline.get("label"))}'
        f" &middot; {len(points)} entries &middot; {fmt_num(timeline.get('seconds'))} s</p>",
        '<div class="panel" id="timeline-chart">' + _chart(points, charts),
        f'<p class="legend" id="timeline-legend">Point colour = outcome:{legend}. '
        "The serving line breaks where a batch had no labels (nothing was measured there). "
        "Stars: the new model's held-out error where it was promoted. Bottom row: one marker per event "
        "(triangle: drift alert; star: promotion; cross: rejection; square: quarantine; diamond: failure). "
        "Click a point to open that batch's drift report; a star or an event marker opens the run's "
        "evaluation where there is one (the table links both).</p></div>",
        "<h2>Batches</h2>",
        table(headers, [_row(p) for p in points], table_id="batches"),
    ]
    return render_page(title, "".join(body), charts)
