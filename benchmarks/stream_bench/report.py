"""Tables, JSON and plots of a stream benchmark run.

Why Markdown and one PNG per scenario: the tables go into benchmarks/README.md and review comments as
they are; the plots show what a mean hides (how long a policy stays wrong after a change, and when each
policy retrained).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["POLICY_LABELS", "markdown", "plot", "summary_table", "targets_table", "write_json"]

POLICY_LABELS = {
    "ours": "ours (the service)",
    "never": "never retrain",
    "every_batch": "every batch (newest W)",
    "periodic": "periodic (every k, newest W)",
    "oracle": "oracle",
}
COLOURS = {
    "ours": "#d62728",
    "never": "#7f7f7f",
    "every_batch": "#1f77b4",
    "periodic": "#2ca02c",
    "oracle": "#000000",
}


def _recovery(values: Sequence[int | None]) -> str:
    if not values:
        return "n/a"
    return ", ".join("never" if v is None else str(v) for v in values)


def summary_table(scenario: Mapping[str, Any]) -> str:
    """One row per policy: mean error, recovery, retrains, jobs, cost."""
    lines = [
        "| policy | mean error (excl. change batches) | batches to recovery | retrains | training jobs "
        "| transform jobs | billed instance-s | est. USD |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for policy, label in POLICY_LABELS.items():
        p = scenario["policies"][policy]
        retrains = str(p["retrains"])
        if p.get("promotions") is not None:
            retrains += f" ({p['promotions']} promoted)"
        cost = p["cost"]
        lines.append(
            f"| {label} | {p['mean_error']:.4f} | {_recovery(p['recovery'])} | {retrains} | "
            f"{cost['training_jobs']} | {cost['transform_jobs']} | {cost['billed_instance_seconds']:,} | "
            f"{cost['dollars']:.4f} |"
        )
    return "\n".join(lines)


def errors_table(scenario: Mapping[str, Any]) -> str:
    """Per-batch prequential errors; * marks a change batch, r a retrain after that batch."""
    n = len(scenario["policies"]["ours"]["errors"])
    changes = set(scenario["changes"])
    header = "| policy | " + " | ".join(f"{b}{'*' if b in changes else ''}" for b in range(n)) + " |"
    lines = [header, "|---|" + "---:|" * n]
    for policy, label in POLICY_LABELS.items():
        p = scenario["policies"][policy]
        after = set(p["retrain_after"])
        cells = [f"{e:.3f}{' r' if b in after else ''}" for b, e in enumerate(p["errors"])]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def targets_table(checks: Sequence[Mapping[str, Any]]) -> str:
    lines = ["| Target | Result | Measured |", "|---|---|---|"]
    lines += [f"| {c['target']} | {c['result']} | {c['measured']} |" for c in checks]
    return "\n".join(lines)


def scenario_heading(name: str, scenario: Mapping[str, Any]) -> str:
    rows = scenario["batch_rows"]
    return (
        f"### {name}: {scenario['description']}\n\n"
        f"{len(rows)} batches of {rows[0]:,} rows, first model on {scenario['train_rows']:,} rows; "
        f"change batches: {', '.join(map(str, scenario['changes'])) or 'none'}."
    )


def markdown(result: Mapping[str, Any], checks: Sequence[Mapping[str, Any]], per_batch: bool) -> str:
    parts = [result["preamble"]]
    for name, scenario in result["scenarios"].items():
        parts.append(scenario_heading(name, scenario))
        parts.append(summary_table(scenario))
        if scenario.get("notes"):
            parts.append("\n".join(f"- {note}" for note in scenario["notes"]))
        if per_batch:
            parts.append("Prequential error per batch (`*` change batch, `r` retrained after the batch):")
            parts.append(errors_table(scenario))
    parts.append("### Targets")
    parts.append(targets_table(checks))
    return "\n\n".join(parts) + "\n"


def write_json(path: Path, result: Mapping[str, Any]) -> None:
    path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")


def plot(path: Path, name: str, scenario: Mapping[str, Any]) -> None:
    """Error per batch for each policy (top) and when each policy retrained (bottom)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    policies = scenario["policies"]
    n = len(policies["ours"]["errors"])
    fig, (top, bottom) = plt.subplots(
        2, 1, figsize=(10, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1.3]}, constrained_layout=True
    )
    for policy, label in POLICY_LABELS.items():
        width = 2.6 if policy == "ours" else 1.4
        style = "--" if policy == "oracle" else "-"
        top.plot(
            range(n),
            policies[policy]["errors"],
            style,
            marker="o",
            markersize=3.5,
            linewidth=width,
            color=COLOURS[policy],
            label=label,
            zorder=3 if policy == "ours" else 2,
        )
    for c in scenario["changes"]:
        for axis in (top, bottom):
            axis.axvline(c, color="#9467bd", linestyle=":", linewidth=1.2)
    if scenario.get("meta", {}).get("width_rows"):
        centre = scenario["changes"][0]
        half = scenario["meta"]["width_rows"] / scenario["batch_rows"][0] / 2
        top.axvspan(
            centre - half,
            centre + half,
            color="#9467bd",
            alpha=0.08,
            label="transition (12% -> 88% new concept)",
        )
    top.set_ylabel("prequential error rate")
    top.set_ylim(bottom=0)
    top.set_title(f"{name}: {scenario['description']}", fontsize=10)
    top.grid(alpha=0.3)
    top.legend(fontsize=8, ncol=2)

    rows = list(POLICY_LABELS)
    for y, policy in enumerate(reversed(rows)):
        after = policies[policy]["retrain_after"]
        if policy == "ours":
            outcomes = scenario["service"]["outcomes"]
            for b in after:
                marker, colour = {"promoted": ("^", COLOURS["ours"]), "rejected": ("x", "#ff7f0e")}.get(
                    outcomes[b], ("X", "#8c564b")
                )
                bottom.scatter([b + 0.5], [y], marker=marker, color=colour, s=45, zorder=3)
        else:
            bottom.scatter(
                [b + 0.5 for b in after], [y] * len(after), marker="|", color=COLOURS[policy], s=120
            )
    bottom.set_yticks(range(len(rows)), [POLICY_LABELS[p] for p in reversed(rows)], fontsize=8)
    bottom.set_ylim(-0.7, len(rows) - 0.3)
    bottom.set_xlabel(
        "batch (retrain marks sit after the batch whose labels they used; ours: ^ promoted, x rejected)"
    )
    bottom.set_xticks(range(n))
    bottom.grid(axis="x", alpha=0.3)
    fig.savefig(path, dpi=110)
    plt.close(fig)
