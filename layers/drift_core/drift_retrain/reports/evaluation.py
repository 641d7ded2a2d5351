"""The evaluation report as a page: every candidate next to the champion on the same held-out rows, the
decision with its margin and test, where each model goes wrong, the training jobs and the files each
candidate trained on, and a link back to the drift report of the batch that started the run.

Built from ``reports/evaluation/<execution>.json``
(``workflow.evaluate_candidate.evaluation.evaluate_candidate``) alone.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from itertools import pairwise
from typing import Any
from urllib.parse import quote

from drift_retrain.engine.metric_names import is_rate
from drift_retrain.layout import evaluation_report_key
from drift_retrain.reports.formatting import (
    fmt_count,
    fmt_counted,
    fmt_metric,
    fmt_num,
    fmt_p,
    fmt_rate,
    fmt_seconds,
    metric_label,
    wilson_interval,
)
from drift_retrain.reports.links import page_href
from drift_retrain.reports.page import Charts, esc, render_page, table
from drift_retrain.reports.wording import reason_for_page

__all__ = ["STRATEGY_NAMES", "render_evaluation_html"]

STRATEGY_NAMES = {
    "since_change": "rows since the change",
    "recent": "newest batches",
    "recent_plus_previous": "newest batches plus some of the champion's rows",
    "newest": "newest batch",
    "bootstrap": "seed data",
    "bootstrap_newest_half": "newest half of the seed data",
    "bootstrap_newest_quarter": "newest quarter of the seed data",
    "registry": "earlier model (re-scored)",
}
#: Winner green, champion dark grey, other candidates light grey: never the timeline's "promoted" blue.
_COLOURS = {"winner": "#2b8a3e", "champion": "#495057", "other": "#ced4da"}
#: Secondary metrics shown beside the primary one when the report has them (rates as percentages).
SECONDARY_METRICS = ("accuracy", "auc", "log_loss")
_SETTING_IN_WINDOW = re.compile(r"\b[A-Z][A-Z_]+=([0-9]+)")
_DECISIONS = {
    "promote": ("Promoted", "promote"),
    "reject": ("Rejected: the champion keeps serving", "reject"),
    "first_deployment": ("First deployment", "first_deployment"),
}


def _value(metric: str, value: Any) -> str:
    return fmt_metric(value, metric)


def _verdict(report: Mapping[str, Any]) -> tuple[str, str, str]:
    """(headline, css class, sentence)."""
    metric = str(report.get("primary_metric") or "error_rate")
    best = report.get("best") or {}
    candidate = _value(metric, ((report.get("candidate") or {}).get("metrics") or {}).get(metric))
    headline, css = _DECISIONS.get(str(report.get("decision")), (str(report.get("decision")), "reject"))
    who = f"the best candidate ({STRATEGY_NAMES.get(best.get('strategy'), best.get('strategy'))})"
    if report.get("champion") is None:
        return headline, css, f"No champion yet: {who} is deployed, {metric_label(metric)} {candidate}."
    champion = _value(metric, ((report.get("champion") or {}).get("metrics") or {}).get(metric))
    settings = report.get("settings") or {}
    test = report.get("paired_test") or {}
    if is_rate(metric):
        rows = report.get("rows")
        candidate += f" (95% interval {error_interval(((report.get('candidate') or {}).get('metrics') or {}).get(metric), rows)})"
        champion += (
            f" ({error_interval(((report.get('champion') or {}).get('metrics') or {}).get(metric), rows)})"
        )
    sentence = (
        f"{who[0].upper()}{who[1:]} has {metric_label(metric)} {candidate} vs the champion's {champion} on the "
        f"same {fmt_count(report.get('rows'))} held-out rows: {_change(report)} (minimum "
        f"{fmt_rate(settings.get('min_improvement'))}); paired test p {fmt_p(test.get('p_value'))} "
        f"(alpha {fmt_num(settings.get('alpha_per_candidate'))} for "
        f"{fmt_counted(len(report.get('candidates') or []), 'candidate')})."
    )
    return headline, css, sentence


#: What the page says when the report predates the manifest reference (or a run recorded none).
NO_MANIFEST = "training manifest not recorded in this report"


def _manifest_key(report: Mapping[str, Any]) -> str | None:
    """The training manifest's key: ``manifest`` is PrepareTrainingData's ``{bucket, key}`` reference,
    which EvaluateCandidate copies from ``$.data`` into the report (older reports lack it)."""
    ref = report.get("manifest")
    return str(ref["key"]) if isinstance(ref, Mapping) and ref.get("key") else None


def _uri(ref: Mapping[str, Any]) -> str:
    bucket = ref.get("bucket")
    return str(ref.get("uri") or (f"s3://{bucket}/{ref.get('key')}" if bucket else ref.get("key")))


def _when(report: Mapping[str, Any]) -> str:
    created = report.get("created_at")
    return f"evaluated {esc(created)}" if created else "time not recorded"


def _manifest_meta(report: Mapping[str, Any]) -> str:
    key = _manifest_key(report)
    return f"training manifest <code>{esc(key)}</code>" if key else NO_MANIFEST


def _manifest_footer(report: Mapping[str, Any]) -> str:
    """The manifest's full location, linked relatively: ``training/<execution>/manifest.json`` sits beside
    ``reports/`` in the bucket and in a local run's folder."""
    key = _manifest_key(report)
    if key is None:
        return NO_MANIFEST
    href = posixpath.relpath(key, posixpath.dirname(evaluation_report_key(str(report.get("execution_name")))))
    return f'training manifest <a href="{esc(quote(href))}"><code>{esc(_uri(report["manifest"]))}</code></a>'


def error_interval(rate: Any, rows: Any) -> str:
    """ "0.1% to 2.8%": the 95% Wilson interval of an error rate on ``rows`` rows ("-" without both)."""
    interval = wilson_interval(rate, rows)
    return "-" if interval is None else f"{fmt_rate(interval[0])} to {fmt_rate(interval[1])}"


def window_words(window: Any) -> str:
    """A window rule with its setting as a number: "newest WINDOW_MAX_BATCHES=5" -> "newest (at most 5)"."""
    return _SETTING_IN_WINDOW.sub(r"(at most \1)", str(window or "-"))


def _margin(report: Mapping[str, Any]) -> str:
    improvement = report.get("relative_improvement")
    return "-" if improvement is None else f"{100 * float(improvement):.1f}%"


def _change(report: Mapping[str, Any]) -> str:
    """The best candidate against the champion in words: "98.8% lower", "5.0% higher", "no lower"."""
    improvement = report.get("relative_improvement")
    if improvement is None:
        return "change -"
    percent = 100 * float(improvement)
    if round(percent, 1) == 0:
        return "no lower"
    return f"{abs(percent):.1f}% {'lower' if percent > 0 else 'higher'}"


def render_evaluation_html(report: Mapping[str, Any]) -> str:
    """The page of one evaluation report."""
    headline, css, sentence = _verdict(report)
    name = report.get("execution_name") or "evaluation"
    charts = Charts()
    body = [
        f"<h1>Evaluation: {esc(name)}</h1>",
        f'<p class="meta">{esc(report.get("task"))} &middot; {fmt_count(report.get("rows"))} held-out rows '
        f"&middot; {_when(report)} &middot; {_manifest_meta(report)}</p>",
        _trigger(report),
        f'<div class="verdict {css}" id="verdict"><strong>{esc(headline)}</strong>{esc(sentence)}</div>',
        "<h2>Candidates and champion, on the same held-out rows</h2>"
        if report.get("champion")
        else "<h2>Candidates (no champion yet), on the same held-out rows</h2>",
        _models_chart(report, charts),
        _models_table(report),
        _training_files(report),
        _errors_section(report, charts),
        _reasons(report),
        f"<footer>drift-retrain evaluation report &middot; {_manifest_footer(report)}</footer>",
    ]
    return render_page(f"Evaluation {name}", "".join(body), charts)


def _models(report: Mapping[str, Any]) -> list[tuple[str, str, Any, str]]:
    """(id, label, value, role) per scored candidate, then the champion."""
    metric = str(report.get("primary_metric") or "error_rate")
    winner = (report.get("best") or {}).get("id")
    rows = [
        (
            str(c.get("id")),
            f"{STRATEGY_NAMES.get(c.get('strategy'), c.get('strategy'))} ({c.get('id')}): "
            f"{_value(metric, c.get(metric))}",
            c.get(metric),
            "winner" if c.get("id") == winner else "other",
        )
        for c in report.get("candidates") or []
    ]
    champion = report.get("champion")
    if champion:
        value = (champion.get("metrics") or {}).get(metric)
        rows.append(("champion", f"champion (serving): {_value(metric, value)}", value, "champion"))
    return rows


def _models_chart(report: Mapping[str, Any], charts: Charts) -> str:
    metric = str(report.get("primary_metric") or "error_rate")
    models = _models(report)
    scale = 100 if is_rate(metric) else 1
    config = {
        "type": "bar",
        "data": {
            "labels": [label for _, label, _, _ in models],
            "datasets": [
                {
                    "label": metric_label(metric),
                    "data": [None if v is None else round(scale * float(v), 4) for _, _, v, _ in models],
                    "backgroundColor": [_COLOURS[role] for _, _, _, role in models],
                }
            ],
        },
        "options": {
            "indexAxis": "y",
            "plugins": {"legend": {"display": False}},
            "scales": {"x": {"beginAtZero": True, "title": {"display": True, "text": metric_label(metric)}}},
        },
    }
    height = 60 + 34 * len(models)
    return charts.canvas(
        config,
        width=720,
        height=height,
        label=f"{metric_label(metric)} per model",
        percent_axis="x" if is_rate(metric) else None,
    )


def _models_table(report: Mapping[str, Any]) -> str:
    metric = str(report.get("primary_metric") or "error_rate")
    winner = (report.get("best") or {}).get("id")
    rows = []
    n = report.get("rows")
    secondary = _secondary_metrics(report)
    interval = (lambda v: error_interval(v, n)) if is_rate(metric) else (lambda v: "-")
    for c in report.get("candidates") or []:
        test = c.get("paired_test") or {}
        tag = ' <span class="tag winner">best</span>' if c.get("id") == winner else ""
        trained = (c.get("rows") or {}).get("train")
        rows.append(
            f"<tr><td>{esc(STRATEGY_NAMES.get(c.get('strategy'), c.get('strategy')))}{tag}</td>"
            f"<td>{esc(window_words(c.get('window')))}</td><td class=num>{esc(c.get('batches'))}</td>"
            f'<td class=num data-v="{trained or 0}">{fmt_count(trained)}</td>'
            f'<td class=num data-v="{c.get(metric)}">{_value(metric, c.get(metric))}</td>'
            f"<td class=num>{interval(c.get(metric))}</td>"
            + _secondary_cells(c.get("metrics") or {}, secondary)
            + f'<td class=num data-v="{test.get("p_value", 1)}">{fmt_p(test.get("p_value"))}</td>'
            f"<td>{esc(c.get('training_job') or c.get('source_model') or '-')}</td>"
            f'<td class=num data-v="{c.get("training_seconds") or 0}">{fmt_seconds(c.get("training_seconds"))}</td>'
            f'<td class="status">{esc(_status(c, report, metric))}</td></tr>'
        )
    blank = "<td></td>" * len(secondary)
    for f in report.get("failed_candidates") or []:
        rows.append(
            f"<tr><td>{esc(STRATEGY_NAMES.get(f.get('strategy'), f.get('strategy')))}</td><td>-</td><td></td><td></td>"
            f'<td data-v="">-</td><td></td>{blank}<td></td><td>-</td><td></td>'
            f"<td>failed: {esc(f.get('cause') or f.get('error'))}</td></tr>"
        )
    champion = report.get("champion")
    if champion:
        value = (champion.get("metrics") or {}).get(metric)
        rows.append(
            f"<tr><td><b>champion</b> (serving)</td><td>-</td><td></td><td></td>"
            f'<td class=num data-v="{value}">{_value(metric, value)}</td><td class=num>{interval(value)}</td>'
            + _secondary_cells(champion.get("metrics") or {}, secondary)
            + f"<td></td><td>{esc(champion.get('model'))}</td><td></td><td>serving</td></tr>"
        )
    headers = [
        "model",
        "window rule",
        "batches used",
        "training rows",
        metric_label(metric),
        "95% interval" + (f" ({fmt_count(n)} rows)" if n else ""),
        *[metric_label(name) for name in secondary],
        "p vs champion",
        "training job",
        "training time",
        "status",
    ]
    return table(headers, rows, table_id="candidates")


def _status(candidate: Mapping[str, Any], report: Mapping[str, Any], metric: str) -> str:
    """Won, or why it lost: the best against the champion's margin and test, any other against the best,
    and the pre-change rows it trained on when the data says so."""
    best_id = (report.get("best") or {}).get("id")
    if not best_id:
        return "scored"
    if candidate.get("id") == best_id:
        return "best candidate" + (
            f", not promoted: {_not_promoted(report)}" if report.get("decision") == "reject" else ""
        )
    best = next((c for c in report.get("candidates") or [] if c.get("id") == best_id), {})
    why = f"lost: {_value(metric, candidate.get(metric))} vs the best's {_value(metric, best.get(metric))}"
    _, count = _outside_change_window(candidate, report)
    if count:
        why += f"; it also trains on {fmt_counted(count, 'batch', 'batches')} {_older_words(report)}"
    if _int(candidate.get("previous_rows")) > 0:
        why += f"; {_previous_words(candidate)}"
    return why


def _not_promoted(report: Mapping[str, Any]) -> str:
    """Why the best candidate did not replace the champion, read from the recorded margin and test (the
    workflow decided; the page names which of its two conditions failed)."""
    settings = report.get("settings") or {}
    improvement, minimum = report.get("relative_improvement"), settings.get("min_improvement")
    p_value, alpha = (report.get("paired_test") or {}).get("p_value"), settings.get("alpha_per_candidate")
    why = []
    if improvement is not None and minimum is not None and float(improvement) < float(minimum):
        why.append(
            f"only {_margin(report)} lower than the champion (minimum {fmt_rate(minimum)})"
            if float(improvement) > 0
            else "not lower than the champion"
        )
    if p_value is not None and alpha is not None and float(p_value) >= float(alpha):
        why.append(f"not significantly better than the champion (p {fmt_p(p_value)}, alpha {fmt_num(alpha)})")
    return "; ".join(why) or "the champion keeps serving"


def _since_change(report: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return next((c for c in report.get("candidates") or [] if c.get("strategy") == "since_change"), None)


def _outside_change_window(candidate: Mapping[str, Any], report: Mapping[str, Any]) -> tuple[list[str], int]:
    """The batches a candidate trains on beyond the since-change candidate's window: their keys when both
    recorded their files, else only how many more it used; nothing without a since-change candidate."""
    window = _since_change(report)
    if window is None or candidate.get("strategy") in ("since_change", "registry"):
        return [], 0
    mine, theirs = candidate.get("training_batches"), window.get("training_batches")
    if isinstance(mine, list) and isinstance(theirs, list):
        older = [key for key in mine if key not in set(theirs)]
        return older, len(older)
    return [], max(0, _int(candidate.get("batches")) - _int(window.get("batches")))


def _older_words(report: Mapping[str, Any]) -> str:
    """What the batches outside the since-change window are: from before the change, unless a setting's
    cap ended that window (``SINCE_CHANGE_MAX_BATCHES``, ``WINDOW_MAX_ROWS``): then only older than it."""
    window = str((_since_change(report) or {}).get("window") or "")
    return (
        "older than the since-change window"
        if _SETTING_IN_WINDOW.search(window)
        else "from before the change"
    )


def _previous_words(candidate: Mapping[str, Any]) -> str:
    return f"it mixes in {fmt_count(candidate.get('previous_rows'))} of the champion's training rows, from before the change"


def _trigger(report: Mapping[str, Any]) -> str:
    """Back from the decision to the alert: the drift report of the batch that started this run."""
    trigger = report.get("trigger") or {}
    batch = trigger.get("batch_key") or trigger.get("batch_id")
    if trigger.get("bootstrap"):
        return f'<p class="meta" id="trigger">First model: trained from the seed data <code>{esc(batch)}</code>.</p>'
    if not trigger.get("report_key") or not report.get("execution_name"):
        return ""
    href = page_href(evaluation_report_key(str(report["execution_name"])), str(trigger["report_key"]))
    return (
        f'<p class="meta" id="trigger"><b>Triggered by</b> batch <code>{esc(batch)}</code>: '
        f'<a href="{esc(href)}">its drift report</a>.</p>'
    )


def _training_files(report: Mapping[str, Any]) -> str:
    """Each candidate's training files (the trigger, then newest first), the trigger and the batches outside
    the since-change window tagged: what a person checks first when a wider window lost."""
    candidates = [c for c in report.get("candidates") or [] if isinstance(c.get("training_batches"), list)]
    if not candidates:
        return ""
    rows = [
        f"<tr><td>{esc(STRATEGY_NAMES.get(c.get('strategy'), c.get('strategy')))} ({esc(c.get('id'))})</td>"
        f"<td>{_file_list(c, report)}</td></tr>"
        for c in candidates
    ]
    older = (
        f'; <span class="tag yes">{esc(_older_words(report))}</span>: outside the since-change candidate\'s window'
        if _since_change(report)
        else ""
    )
    legend = (
        '<p class="legend">The trigger first, then newest first. <span class="tag">trigger</span>: the batch '
        f"that started this run{older}. An earlier model, re-scored, trains on nothing new.</p>"
    )
    return (
        "<h2>What each candidate trained on</h2>"
        + legend
        + table(["model", "training files"], rows, sortable=False, table_id="training-files")
    )


def _file_list(candidate: Mapping[str, Any], report: Mapping[str, Any]) -> str:
    trigger = (report.get("trigger") or {}).get("batch_key")
    older = set(_outside_change_window(candidate, report)[0])
    older_tag = f' <span class="tag yes">{esc(_older_words(report))}</span>'
    files = []
    for key in candidate.get("training_batches") or []:
        tag = ' <span class="tag">trigger</span>' if key == trigger else ""
        tag += older_tag if key in older else ""
        files.append(f'<code title="{esc(key)}">{esc(str(key).rsplit("/", 1)[-1])}</code>{tag}')
    previous = (
        f'<span class="why">{esc(_previous_words(candidate))}</span>'
        if _int(candidate.get("previous_rows")) > 0
        else ""
    )
    return (", ".join(files) or '<span class="why">none: an earlier model, re-scored</span>') + previous


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _secondary_metrics(report: Mapping[str, Any]) -> list[str]:
    """The secondary metrics any model on the page has."""
    metrics = [c.get("metrics") or {} for c in report.get("candidates") or []]
    metrics.append((report.get("champion") or {}).get("metrics") or {})
    return [m for m in SECONDARY_METRICS if any(m in found for found in metrics)]


def _secondary_cells(metrics: Mapping[str, Any], secondary: list[str]) -> str:
    cells = []
    for key in secondary:
        value = metrics.get(key)
        cells.append(
            f'<td class=num data-v="{value if value is not None else ""}">{fmt_metric(value, key)}</td>'
        )
    return "".join(cells)


def _errors_section(report: Mapping[str, Any], charts: Charts) -> str:
    views = report.get("error_views") or {}
    labels = {mid: label for mid, label, _, _ in _models(report)}
    if views.get("kind") == "confusion":
        classes = [str(c) for c in views.get("classes") or []]
        grids = [
            _confusion(labels.get(name, name), classes, matrix)
            for name, matrix in (views.get("matrices") or {}).items()
        ]
        return (
            '<h2>Confusion matrices (rows: true class, columns: predicted)</h2><div class="grid">'
            + "".join(grids)
            + "</div>"
        )
    if views.get("kind") == "residuals":
        return "<h2>Residuals (prediction minus label)</h2>" + _residuals_chart(views, labels, charts)
    return ""


def _confusion(title: str, classes: list[str], matrix: list[list[int]]) -> str:
    total = max(1, sum(sum(row) for row in matrix))
    head = "".join(f"<th>{esc(c)}</th>" for c in classes)
    body = []
    for i, row in enumerate(matrix):
        cells = []
        for j, count in enumerate(row):
            shade = 0.08 + 0.6 * count / total
            colour = f"rgba(43,138,62,{shade:.2f})" if i == j else f"rgba(201,42,42,{shade:.2f})"
            cells.append(f'<td class=num style="background:{colour}">{fmt_count(count)}</td>')
        body.append(f"<tr><th>{esc(classes[i] if i < len(classes) else i)}</th>{''.join(cells)}</tr>")
    return (
        f'<div class="panel confusion"><b>{esc(title)}</b><table><thead><tr><th></th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def _residuals_chart(views: Mapping[str, Any], labels: Mapping[str, str], charts: Charts) -> str:
    edges = list(views.get("edges") or [])
    centres = [fmt_num((a + b) / 2) for a, b in pairwise(edges)]
    palette = ["#74c0fc", "#2b8a3e", "#f59f00", "#ae3ec9", "#868e96"]
    datasets = [
        {
            "label": labels.get(name, name),
            "data": counts,
            "backgroundColor": "#868e96" if name == "champion" else palette[i % 4],
        }
        for i, (name, counts) in enumerate((views.get("counts") or {}).items())
    ]
    config = {
        "type": "bar",
        "data": {"labels": centres, "datasets": datasets},
        "options": {"scales": {"y": {"title": {"display": True, "text": "rows"}}}},
    }
    return charts.canvas(config, width=900, height=260, label="residual histograms")


def _reasons(report: Mapping[str, Any]) -> str:
    items = "".join(f"<li>{esc(reason_for_page(str(reason)))}</li>" for reason in report.get("reasons") or [])
    return f'<h2>Why</h2><div class="panel" id="reasons"><ul>{items}</ul></div>' if items else ""
