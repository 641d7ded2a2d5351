"""The end-of-run table of ``drift-retrain local run``: one row per batch (and the bootstrap)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drift_retrain.reports.formatting import fmt_num, fmt_rate, metric_label

__all__ = ["render_summary"]


def render_summary(timeline: Mapping[str, Any]) -> str:
    """The end-of-run table: one row per batch (and the bootstrap)."""
    rows = []
    entries = ([timeline["bootstrap"]] if timeline.get("bootstrap") else []) + list(
        timeline.get("batches", [])
    )
    for entry in entries:
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
            scores = f"{metric_label(metric)} {_num(metric, evaluation.get('candidate'))}"
            scores += f" vs {_num(metric, champion)}" if champion is not None else " (first model)"
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
                str(len(entry.get("drifted_features") or [])),
                "yes" if entry.get("concept_drift") else "no",
                workflow or "-",
                endpoint,
                scores or "-",
            ]
        )
    header = ["batch", "outcome", "drifted", "concept", "workflow", "endpoint", "candidate vs champion"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    right = {2}
    lines = []
    for row in [header, *rows]:
        cells = [
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _num(metric: Any, value: Any) -> str:
    """Rates as percentages, other metrics to three digits (one rule for every report)."""
    return fmt_rate(value) if metric == "error_rate" else fmt_num(value)
