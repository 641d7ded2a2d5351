"""The drift report as a page people open: verdict, concept test, every feature with its plot, and a
sample of the rows the champion gets wrong. Built from the report's JSON alone (``DriftReport.to_dict()``),
so DetectDrift, ``drift-retrain check --html`` and ``drift-retrain report`` render the same page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drift_retrain.engine.metric_names import is_rate, read_report
from drift_retrain.layout import drift_report_key, evaluation_report_key
from drift_retrain.reports.changes import next_step
from drift_retrain.reports.feature_charts import (
    ALARM_INTERVAL,
    BASELINE_COLOUR,
    BATCH_COLOUR,
    HOLDOUT_INTERVAL,
    NEW_COLOUR,
    QUIET_INTERVAL,
    REFERENCE_INTERVAL,
    categorical_chart,
    concept_chart,
    concept_threshold,
    numeric_chart,
)
from drift_retrain.reports.feature_stats import feature_stats
from drift_retrain.reports.formatting import (
    fmt_count,
    fmt_metric,
    fmt_num,
    fmt_p,
    fmt_rate,
    metric_label,
    wilson_interval,
)
from drift_retrain.reports.links import page_href
from drift_retrain.reports.page import Charts, esc, render_page, table
from drift_retrain.reports.quarantine import quarantine_panel
from drift_retrain.reports.segments import segments_section
from drift_retrain.reports.settings import settings_footer
from drift_retrain.reports.verdict import drift_verdict

__all__ = ["TEST_NAMES", "feature_order", "render_drift_html"]

#: Short names for the feature table (the full name is the cell's tooltip).
TEST_SHORT = {"ks": "KS", "chi2": "chi-square"}
#: The statistic each test reports, named in its cell so KS D and chi-square values are never confused.
STATISTIC_NAMES = {"ks": "D", "chi2": "χ²"}
#: Effect-size metrics as the report JSON names them (``effect_size_metric``), and the setting holding each floor.
EFFECT_NAMES = {"psi": "PSI", "cohen_w": "Cohen's w", "ks_d": "KS D"}
EFFECT_FLOORS = {"psi": "psi_floor", "cohen_w": "category_effect_floor", "ks_d": "ks_effect_floor"}
TEST_NAMES = {
    "ks": "Kolmogorov-Smirnov",
    "chi2": "chi-square",
    "missing_rate": "missing rate",
    "farrington_manning_one_sided": "one-sided Farrington-Manning test (rise beyond the margin)",
    "fisher_exact_one_sided": "one-sided Fisher exact test",
    "welch_t_one_sided": "one-sided Welch t-test (rise beyond the margin)",
}


def feature_order(features: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Drifted first, then by corrected p-value (most significant first), then by name."""
    return sorted(
        features,
        key=lambda f: (not f.get("drifted"), _float(f.get("p_value_adjusted"), 1.0), str(f.get("name"))),
    )


def _float(value: Any, default: float) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def render_drift_html(
    report: Mapping[str, Any], *, baseline_distributions: Mapping[str, Any] | None = None
) -> str:
    """The page for one report. ``baseline_distributions`` (from a profile) fills numeric plots of a
    report written without ``distributions``."""
    report = read_report(report)
    verdict = drift_verdict(report)
    name = report.get("batch_id") or report.get("source") or "batch"
    parts = [
        f"<h1>Drift report: {esc(name)}</h1>",
        f'<p class="meta">{esc(report.get("source"))} &middot; checked {esc(report.get("checked_at"))}'
        f"{_profile_meta(report.get('profile') or {})}</p>",
        f'<div class="verdict {verdict.kind.replace(" ", "-")}" id="verdict"><strong>{esc(verdict.headline)}</strong>'
        f"{esc(verdict.sentence)}</div>",
        f'<p class="meta" id="next-step"><b>Next step:</b> {esc(next_step(report))}.</p>',
        _retrain_link(report),
        _challenger_line(report.get("challenger")),
    ]
    charts = Charts()
    if report.get("status") != "ok":
        parts.append(quarantine_panel(report))
    if report.get("status") == "ok":
        parts += [
            _cards(report),
            _concept_section(report.get("concept_drift") or {}, charts),
            segments_section(report),
            _features_section(report, charts, baseline_distributions or {}),
            _label_section(report.get("label_drift")),
            _misclassified_section(report),
        ]
    parts.append(_footer(report))
    return render_page(f"Drift report {name}", "".join(parts), charts)


def _challenger_line(block: Any) -> str:
    """Why a challenger did or did not start (docs/retraining-policy.md); nothing on older reports."""
    if not isinstance(block, Mapping) or not block.get("why"):
        return ""
    budget = (
        "" if block.get("budget_left") is None else f" ({block['budget_left']} training job(s) left today)"
    )
    return f'<p class="meta" id="challenger"><b>Challenger:</b> {esc(block["why"])}{esc(budget)}.</p>'


def _retrain_link(report: Mapping[str, Any]) -> str:
    """From the alert to what was done about it: the evaluation page of the retrain this batch started.

    The page is written before the retrain runs, so the link is derived from the run's name (the
    evaluation report's key) and says it opens once the candidates are scored."""
    record = report.get("retrain_execution")
    if not isinstance(record, Mapping) or not record.get("execution_name") or report.get("retrain_deferred"):
        return ""
    name = str(record["execution_name"])
    batch_id = (record.get("batch") or {}).get("batch_id") or report.get("batch_id")
    if not batch_id:
        return ""
    href = page_href(drift_report_key(str(batch_id)), evaluation_report_key(name))
    return (
        f'<p class="meta" id="retrain"><b>Retrain:</b> this batch started execution <code>{esc(name)}</code>; '
        f'its candidates and the decision: <a href="{esc(href)}">evaluation report</a> '
        "(there once the candidates are scored).</p>"
    )


def _profile_meta(profile: Mapping[str, Any]) -> str:
    model = f" &middot; model {esc(profile['model_name'])}" if profile.get("model_name") else ""
    rows = f" on {fmt_count(profile.get('rows'))} rows" if profile.get("rows") else ""
    return f" &middot; baseline from {esc(profile.get('created_at'))}{rows}{model}" if profile else ""


def _cards(report: Mapping[str, Any]) -> str:
    concept = report.get("concept_drift") or {}
    sampling = report.get("sampling") or {}
    cards = [
        (
            fmt_count(report.get("rows")),
            "rows"
            + (
                f" ({fmt_count(sampling.get('rows_used'))} sampled)"
                if sampling.get("method") == "uniform_sample"
                else ""
            ),
        ),
        (fmt_count(report.get("labelled_rows")), "labelled rows"),
        (_drifted_card(report), "features drifted"),
        (
            "yes" if concept.get("detected") else ("no" if concept.get("tested") else "not tested"),
            "concept drift",
        ),
        (_label_card(report.get("label_drift")), "label drift"),
    ]
    if isinstance(report.get("prediction_drift"), Mapping):
        cards.append((_prediction_card(report["prediction_drift"]), "prediction drift"))
    return (
        '<div class="cards">'
        + "".join(f"<div class=card><b>{esc(v)}</b><span>{esc(k)}</span></div>" for v, k in cards)
        + "</div>"
    )


def _value(concept: Mapping[str, Any], key: str) -> str:
    return fmt_metric(concept.get(key), concept.get("metric"))


def _interval(concept: Mapping[str, Any], rate_key: str, rows_key: str) -> str:
    if not is_rate(concept.get("metric")):
        return ""
    interval = wilson_interval(concept.get(rate_key), concept.get(rows_key))
    return "" if interval is None else f" (95% interval {fmt_rate(interval[0])} to {fmt_rate(interval[1])})"


def _swatch(colour: str) -> str:
    return f'<span class="swatch" style="background:{colour}"></span>'


def _concept_legend(concept: Mapping[str, Any]) -> str:
    """What each colour and mark of the concept chart means (the chart's own legend cannot say it)."""
    batch = (
        f"{_swatch(ALARM_INTERVAL)}this batch (concept drift detected)"
        if concept.get("detected")
        else f"{_swatch(QUIET_INTERVAL)}this batch (no concept drift)"
    )
    parts = [
        "Diamond: error rate; bar: its 95% interval.",
        batch,
        f"{_swatch(HOLDOUT_INTERVAL)}the champion's holdout",
    ]
    if concept.get("reference_error") not in (None, concept.get("baseline_error")):
        parts.append(f"{_swatch(REFERENCE_INTERVAL)}reference")
    threshold = concept_threshold(concept)
    if threshold is not None:
        parts.append(
            f'<span class="dash"></span>decision threshold {esc(fmt_rate(threshold))} '
            f"(holdout {esc(fmt_rate(concept.get('baseline_error')))} + minimum rise "
            f"{esc(fmt_rate(concept.get('margin')))})"
        )
    return f'<p class="legend" id="concept-legend">{" ".join(parts)}</p>'


def _concept_section(concept: Mapping[str, Any], charts: Charts) -> str:
    head = "<h2>Concept drift: is the champion still right?</h2>"
    if not concept.get("tested"):
        return f'{head}<div class="panel" id="concept">Not tested: {esc(concept.get("reason"))}.</div>'
    metric = metric_label(concept.get("metric"))
    rows = [
        f"<li>On this batch: <b>{_value(concept, 'error')}</b>{_interval(concept, 'error', 'rows')} "
        f"on {fmt_count(concept.get('rows'))} labelled rows</li>",
        f"<li>On its holdout: {_value(concept, 'baseline_error')}"
        f"{_interval(concept, 'baseline_error', 'baseline_rows')} on {fmt_count(concept.get('baseline_rows'))} rows</li>",
    ]
    gap = concept.get("gap_to_reference")
    if concept.get("reference_error") not in (None, concept.get("baseline_error")):
        gap_text = fmt_metric(gap, concept.get("metric"), signed=True)
        rows.append(
            f"<li>Reference (the best before the latest change): {_value(concept, 'reference_error')}; "
            f"gap {esc(gap_text)} (p {esc(fmt_p(concept.get('gap_p_value')))}, "
            f"{'significant' if concept.get('gap_detected') else 'not significant'})</li>"
        )
    margin = fmt_metric(concept.get("margin"), concept.get("metric"))
    rows.append(
        f"<li>Test: {esc(TEST_NAMES.get(concept.get('test'), concept.get('test')))}, "
        f"p {esc(fmt_p(concept.get('p_value')))}, minimum rise {esc(margin)}: "
        f"<b>{'concept drift' if concept.get('detected') else 'no concept drift'}</b></li>"
    )
    config = concept_chart(concept)
    chart = (
        ""
        if config is None
        else charts.canvas(config, width=420, height=220, label=f"{metric} of the champion", percent_axis="y")
        + _concept_legend(concept)
    )
    return f'{head}<div class="panel grid" id="concept"><ul>{"".join(rows)}</ul>{chart}</div>'


def _features_section(report: Mapping[str, Any], charts: Charts, fallback: Mapping[str, Any]) -> str:
    config = report.get("config") or {}
    distributions = report.get("distributions") or fallback
    rows = [
        _feature_row(f, distributions.get(f.get("name")), config, charts)
        for f in feature_order(list(report.get("features") or []))
    ]
    legend = (
        f'<p class="legend">Plots, share of rows per bin (%):<span class="swatch" style="background:{BASELINE_COLOUR}"></span>baseline'
        f'<span class="swatch" style="background:{BATCH_COLOUR}"></span>batch'
        f'<span class="swatch" style="background:{NEW_COLOUR}"></span>category the baseline never saw. '
        f"Numeric columns on the baseline's deciles. A column drifts when its test is significant after "
        f"{esc(config.get('correction', 'holm'))} correction at alpha {fmt_num(config.get('alpha'))} and its effect "
        f"reaches that metric's floor ({esc(_floors_text(report, config))}). Click a header to sort.</p>"
    )
    headers = [
        "feature",
        "kind",
        "test",
        "statistic",
        "p (corrected)",
        "effect",
        "missing",
        "verdict",
        ("baseline vs batch (chart and summary)", "nosort"),
    ]
    return "<h2>Features</h2>" + legend + table(headers, rows, table_id="features")


def _feature_row(
    feature: Mapping[str, Any], distribution: Any, config: Mapping[str, Any], charts: Charts
) -> str:
    name = str(feature.get("name"))
    if feature.get("kind") == "categorical":
        chart_config, new = categorical_chart(feature)
    else:
        chart_config, new = (numeric_chart(name, distribution), []) if distribution else (None, [])
    plot = (
        ""
        if chart_config is None
        else charts.canvas(
            chart_config, width=260, height=110, label=f"{name}: baseline vs batch", percent_axis="y"
        )
    )
    new_tags = "".join(f' <span class="tag new">new: {esc(level)}</span>' for level in new)
    drifted = bool(feature.get("drifted"))
    cells = [
        f'<td data-v="{esc(name)}"><b>{esc(name)}</b>{new_tags}</td>',
        f"<td>{esc(feature.get('kind'))}</td>",
        f'<td title="{esc(TEST_NAMES.get(feature.get("test"), feature.get("test")))}">'
        f"{esc(TEST_SHORT.get(feature.get('test'), feature.get('test')))}</td>",
        _statistic_cell(feature),
        f'<td class="num" data-v="{_float(feature.get("p_value_adjusted"), 1)}">{fmt_p(feature.get("p_value_adjusted"))}</td>',
        _psi_cell(feature, config),
        _missing_cell(feature),
        f'<td data-v="{0 if drifted else 1}">{_verdict_cell(feature, config)}</td>',
        f"<td class=plot><div class=chart-stats>{plot or '<span class=why>no distribution recorded</span>'}"
        f"{feature_stats(feature)}</div></td>",
    ]
    return f'<tr class="{"drifted" if drifted else ""}" data-feature="{esc(name)}">{"".join(cells)}</tr>'


def effect_name(feature: Mapping[str, Any]) -> str:
    """The feature's effect metric as the report JSON names it, in words (PSI when the JSON names none)."""
    metric = str(feature.get("effect_size_metric") or "psi")
    return EFFECT_NAMES.get(metric, metric)


def effect_floor(feature: Mapping[str, Any], config: Mapping[str, Any]) -> Any:
    """The floor the report's settings hold for this feature's effect metric (None when not recorded)."""
    return config.get(EFFECT_FLOORS.get(str(feature.get("effect_size_metric") or "psi"), ""))


def _floors_text(report: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    used = dict.fromkeys(str(f.get("effect_size_metric") or "psi") for f in report.get("features") or [])
    parts = [
        f"{EFFECT_NAMES.get(m, m)} {fmt_num(config.get(EFFECT_FLOORS.get(m, '')))}"
        for m in used
        if config.get(EFFECT_FLOORS.get(m, "")) is not None
    ]
    return ", ".join(parts) or "not recorded"


def _statistic_cell(feature: Mapping[str, Any]) -> str:
    value = feature.get("statistic")
    name = STATISTIC_NAMES.get(str(feature.get("test")))
    text = fmt_num(value) if value is None or not name else f"{name} {fmt_num(value)}"
    return f'<td class="num" data-v="{_float(value, -1)}">{esc(text)}</td>'


def _psi_cell(feature: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    name = effect_name(feature)
    if feature.get("effect") == "insufficient_data" or feature.get("effect_size") is None:
        minimum = fmt_count(config.get("min_effect_rows"))
        rows = feature.get("rows")
        have = f"{fmt_count(rows)} of {minimum}" if isinstance(rows, int) else f"under {minimum}"
        why = f"{name} needs at least {minimum} non-missing rows; the corrected test decides alone"
        return (
            f'<td class="num" data-v="-1" title="{esc(why)}">too few rows for {esc(name)} ({esc(have)})</td>'
        )
    return (
        f'<td class="num" data-v="{_float(feature.get("effect_size"), -1)}">'
        f"{esc(name)} {fmt_num(feature.get('effect_size'))}</td>"
    )


def _missing_cell(feature: Mapping[str, Any]) -> str:
    base = (feature.get("baseline") or {}).get("missing_rate")
    batch = (feature.get("batch") or {}).get("missing_rate")
    moved = "missing_rate" in (feature.get("drift_reasons") or [])
    text = f"{fmt_rate(base)} → {fmt_rate(batch)}"
    if base == batch == 0:
        text = "none"
    return f'<td class="num" data-v="{_float(batch, -1)}">{"<b>" + text + "</b>" if moved else text}</td>'


def _verdict_cell(feature: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    if feature.get("drifted"):
        reasons = {"distribution": "distribution moved", "missing_rate": "missing rate moved"}
        why = ", ".join(reasons.get(r, r) for r in feature.get("drift_reasons") or [])
        return f'<span class="tag yes">drifted</span> <span class="why">{esc(why)}</span>'
    alpha = _float(config.get("alpha"), 0.05)
    if _float(feature.get("p_value_adjusted"), 1.0) > alpha:
        why = "not significant after correction"
    elif feature.get("effect_size") is not None:
        why = (
            f"significant, but {effect_name(feature)} {fmt_num(feature.get('effect_size'))} "
            f"is below the floor {fmt_num(effect_floor(feature, config))}"
        )
    else:
        why = "no drift"
    return f'<span class="tag">no drift</span> <span class="why">{esc(why)}</span>'


def _drifted_card(report: Mapping[str, Any]) -> str:
    """``2 of 7 (29%)``: the dataset-level share of drifted features."""
    drifted, total = len(report.get("drifted_features") or []), len(report.get("features") or [])
    return f"{drifted} of {total}" + (f" ({fmt_rate(drifted / total)})" if total else "")


def _prediction_card(section: Mapping[str, Any]) -> str:
    """The served predictions against the holdout's (captured traffic only)."""
    if not section.get("tested", True):
        return "not tested"
    return "yes" if section.get("drifted") else "no"


def _label_card(label: Mapping[str, Any] | None) -> str:
    if not label or not label.get("tested", True) or label.get("p_value") is None:
        return "not tested"
    return "yes" if label.get("drifted") else "no"


def _label_section(label: Mapping[str, Any] | None) -> str:
    if not label:
        return ""
    state = "moved" if label.get("drifted") else "did not move"
    shares = label_shares(label)
    rows = "".join(
        f'<tr><td>{esc(level)}</td><td class="num">{esc(fmt_rate(base))}</td>'
        f'<td class="num">{esc(fmt_rate(batch))}</td></tr>'
        for level, base, batch in shares
    )
    share_table = (
        f'<table id="label-shares"><thead><tr><th>class</th><th>baseline share</th><th>batch share</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
        if shares
        else ""
    )
    return (
        f'<h2>Label</h2><div class="panel" id="label">The label distribution ({esc(label.get("name"))}) {state}: '
        f"{esc(TEST_NAMES.get(label.get('test'), label.get('test')))}, p {esc(fmt_p(label.get('p_value')))}"
        f"{_label_effect(label)}.{share_table}</div>"
    )


def _label_effect(label: Mapping[str, Any]) -> str:
    if label.get("effect_size") is None:
        return ""
    return f", {esc(effect_name(label))} {esc(fmt_num(label.get('effect_size')))}"


def label_shares(label: Mapping[str, Any]) -> list[tuple[str, float | None, float | None]]:
    """(class, baseline share, batch share) for every class either side recorded, baseline's order first."""
    base = (label.get("baseline") or {}).get("top") or {}
    batch = (label.get("batch") or {}).get("top") or {}
    levels = list(dict.fromkeys([*base, *batch]))
    return [(str(level), base.get(level, 0.0), batch.get(level, 0.0)) for level in levels]


def _misclassified_section(report: Mapping[str, Any]) -> str:
    rows = list((report.get("concept_drift") or {}).get("misclassified") or [])
    head = "<h2>Rows the champion gets wrong</h2>"
    if not rows:
        return (
            head
            + '<div class="panel" id="misclassified">No sample: '
            + (
                "the champion got every scored row right."
                if (report.get("concept_drift") or {}).get("tested")
                else "the concept test did not run."
            )
            + "</div>"
        )
    label = (report.get("label_drift") or {}).get("name")
    extra = [c for c in ("probability", "squared_error") if c in rows[0]]
    numbered = "line" if any(r.get("line") is not None for r in rows) else "row"
    columns = [c for c in rows[0] if c not in ("row", "line", "prediction", label, *extra)]
    order = [numbered, *([label] if label else []), "prediction", *extra, *columns]
    body = ["<tr>" + "".join(_misclassified_cell(r, c, label) for c in order) + "</tr>" for r in rows]
    regression = "squared_error" in extra
    how = (
        "the largest squared errors first"
        if regression
        else "the predictions it was surest of first"
        if rows[0].get("probability") is not None
        else "a seeded sample (the champion returned class indices, not probabilities)"
    )
    where = (
        "File line counts the header as line 1, as reading errors do."
        if numbered == "line"
        else '"Data row" counts data rows from 1 (this format has no line numbers).'
    )
    note = (
        f'<p class="legend">{len(rows)} labelled rows the champion got wrong (at most 20), {how}; '
        f"the columns are the batch's. {'' if regression else 'A prediction that differs from the label is marked. '}"
        f"{where}</p>"
    )
    names = {
        "line": "file line",
        "row": "data row",
        "prediction": "prediction",
        "probability": "probability of its answer",
        "squared_error": "squared error",
    }
    headers = [names.get(c, c) for c in order]
    return head + note + table(headers, body, table_id="misclassified")


def _misclassified_cell(row: Mapping[str, Any], column: str, label: str | None) -> str:
    value = row.get(column)
    classes = ["num"] if isinstance(value, (int, float)) and not isinstance(value, bool) else []
    if column == "prediction":
        classes.append("pred")
        if label and "squared_error" not in row and str(value) != str(row.get(label)):
            classes.append("wrong")
    text = (
        fmt_rate(value) if column == "probability" else fmt_num(value) if isinstance(value, float) else value
    )
    return f'<td class="{" ".join(classes)}">{esc(text)}</td>'


def _footer(report: Mapping[str, Any]) -> str:
    return settings_footer(report)
