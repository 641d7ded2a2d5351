"""The end-of-run tables of ``drift-retrain local run``: one row per batch (and the bootstrap), and with
``--traffic`` one row per traffic file (its served error) and one per monitoring window."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drift_retrain.reports.formatting import fmt_metric, fmt_rate
from drift_retrain.reports.timeline import NOT_TESTED, ReportLoader, timeline_points

__all__ = ["render_summary", "render_traffic", "served_text"]


def render_summary(timeline: Mapping[str, Any], load: ReportLoader) -> str:
    """The end-of-run table: one row per batch (and the bootstrap). Drift and concept drift say "not
    tested" where the timeline page says it (a quarantined batch, the bootstrap, concept drift on an
    unlabelled batch): both read the same points from the drift reports ``load`` returns."""
    rows = []
    entries = ([timeline["bootstrap"]] if timeline.get("bootstrap") else []) + list(
        timeline.get("batches", [])
    )
    points = timeline_points(timeline, load)
    for entry, point in zip(entries, points, strict=True):
        execution = entry.get("execution") or {}
        before, after = entry.get("endpoint_config_before"), entry.get("endpoint_config_after")
        if before == after:
            endpoint = "unchanged" if after else "none"
        elif before is None:
            endpoint = "created"
        else:
            endpoint = "swapped"
        evaluation = entry.get("evaluation") or {}
        scores = ""
        if evaluation:
            champion = evaluation.get("champion")
            metric = evaluation.get("metric")
            scores = fmt_metric(evaluation.get("candidate"), metric, named=True)
            scores += f" vs {fmt_metric(champion, metric)}" if champion is not None else " (first model)"
            if len(evaluation.get("candidates") or []) > 1:
                scores += f", best of {len(evaluation['candidates'])}: {evaluation.get('winner_label')}"
        workflow = ""
        if execution:
            workflow = f"{execution.get('status')} {execution.get('seconds', 0):.0f}s"
        name = entry["file"] + (" (bootstrap)" if entry.get("key") == "bootstrap" else "")
        rows.append(
            [
                name,
                entry["outcome"],
                str(len(entry.get("drifted_features") or [])) if point["checked"] else NOT_TESTED,
                ("yes" if entry.get("concept_drift") else "no") if point["concept_tested"] else NOT_TESTED,
                workflow or "-",
                endpoint,
                scores or "-",
            ]
        )
    header = ["batch", "outcome", "drifted", "concept", "workflow", "endpoint", "candidate vs champion"]
    summary = _table([header, *rows], right={2})
    if timeline.get("traffic"):
        summary += "\n\n" + render_traffic(timeline["traffic"])
    return summary


def render_traffic(traffic: dict[str, Any]) -> str:
    """The end-of-run tables of ``--traffic``: one row per file (served error), one per window."""
    files = traffic.get("files") or []
    rows = [["traffic file", "rows", "served error"]]
    rows += [[f["file"], f"{f['rows']:,}", served_text(f).removeprefix("error ")] for f in files]
    out = [_table(rows, right={1, 2})]
    windows = traffic.get("windows") or []
    if windows:
        rows = [["window", "rows", "estimated error", "labelled", "realised error", "served by", "outcome"]]
        for w in windows:
            served = w.get("served_by") or {}
            rows.append(
                [
                    w["window"],
                    f"{w.get('rows') or 0:,}",
                    fmt_rate(w.get("estimated_error")),
                    f"{w.get('labelled_rows') or 0:,}",
                    fmt_rate(w.get("realised_error")),
                    " + ".join(f"{n:,} {_short(m)}" for m, n in served.items()) or "-",
                    w.get("outcome", "-"),
                ]
            )
        out.append(_table(rows, right={1, 2, 3, 4}))
    return "\n\n".join(out)


def served_text(entry: dict[str, Any]) -> str:
    """``error 5.2%`` (classification) or ``MAE 3.14`` (regression) of a traffic file's answers."""
    if "served_mae" in entry:
        mae = entry["served_mae"]
        return "MAE -" if mae is None else f"MAE {mae:.4g}"
    return f"error {fmt_rate(entry.get('served_error'))}"


def _short(model: str) -> str:
    """A model name's distinctive tail (``...-2612051401-bb1a91-c1``)."""
    return model if len(model) <= 24 else "..." + model[-21:]


def _table(rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    )
