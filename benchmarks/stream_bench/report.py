"""Tables, JSON and plots of a stream benchmark run.

Why Markdown and one PNG per scenario: the tables go into benchmarks/README.md and review comments as
they are; the plots show what a mean hides (how long a policy stays wrong after a change, and when each
policy retrained). The summary plot puts every scenario on one axis by dividing by the oracle's
post-change mean, so error rates and a regression's MSE compare.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from stream_bench.metrics import best_baseline, drifting, ratio

__all__ = [
    "POLICY_LABELS",
    "markdown",
    "overview_table",
    "plot",
    "summary_plot",
    "summary_table",
    "targets_table",
    "write_json",
]

POLICY_LABELS = {
    "ours": "ours (the service)",
    "never": "never retrain",
    "every_batch": "every batch (newest W)",
    "newest_batch": "every batch (newest batch)",
    "periodic": "periodic (every k, newest W)",
    "linear_newest": "linear model, newest batch",
    "oracle": "oracle",
}
COLOURS = {
    "ours": "#d62728",
    "never": "#7f7f7f",
    "every_batch": "#1f77b4",
    "newest_batch": "#17becf",
    "periodic": "#2ca02c",
    "linear_newest": "#bcbd22",
    "oracle": "#000000",
}
METRIC_NAMES = {"error_rate": "error rate", "mse": "MSE", "rmse": "RMSE"}


def metric_name(scenario: Mapping[str, Any]) -> str:
    return METRIC_NAMES.get(scenario.get("metric") or "error_rate", str(scenario.get("metric")))


def _mean(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def _count(value: int | None) -> str:
    return "n/a" if value is None else str(value)


def _recovery(values: Sequence[int | None]) -> str:
    if not values:
        return "n/a"
    return ", ".join("never" if v is None else str(v) for v in values)


def summary_table(scenario: Mapping[str, Any]) -> str:
    """One row per policy: both means, the ratio to the oracle, recovery, retrains, jobs, cost."""
    oracle = scenario["policies"]["oracle"]["mean_after_change"]
    lines = [
        f"| policy | {metric_name(scenario)} after 1st change | all batches | x oracle | batches to recovery "
        "| retrains | training jobs | challengers | transform jobs | billed instance-s | est. USD |",
        "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for policy, label in POLICY_LABELS.items():
        p = scenario["policies"][policy]
        retrains = str(p["retrains"])
        if p.get("promotions") is not None:
            retrains += f" ({p['promotions']} promoted)"
        cost = p["cost"]
        challengers = _count(p.get("challengers")) if policy == "ours" else "-"
        lines.append(
            f"| {label} | {_mean(p['mean_after_change'])} | {_mean(p['mean_all'])} | "
            f"{ratio(p['mean_after_change'], oracle):.2f}x | {_recovery(p['recovery'])} | {retrains} | "
            f"{cost['training_jobs']} | {challengers} | {cost['transform_jobs']} | "
            f"{cost['billed_instance_seconds']:,} | {cost['dollars']:.4f} |"
        )
    return "\n".join(lines)


def overview_table(scenarios: Mapping[str, Mapping[str, Any]]) -> str:
    """One row per scenario: the service, the oracle and the best baseline after the first change, and
    what each cost in training jobs."""
    lines = [
        "| scenario | metric | ours after 1st change | oracle | x oracle | best baseline | x oracle "
        "| ours all batches | ours training jobs (challengers) | best baseline's jobs | oracle's jobs "
        "| every-batch jobs |",
        "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in scenarios.items():
        p = s["policies"]
        ours, oracle = p["ours"], p["oracle"]
        best = best_baseline(p)
        lines.append(
            f"| {name}{'' if drifting(s) else ' (quiet)'} | {metric_name(s)} | "
            f"{_mean(ours['mean_after_change'])} | {_mean(oracle['mean_after_change'])} | "
            f"{ratio(ours['mean_after_change'], oracle['mean_after_change']):.2f}x | "
            f"{POLICY_LABELS[best]}: {_mean(p[best]['mean_after_change'])} | "
            f"{ratio(p[best]['mean_after_change'], oracle['mean_after_change']):.2f}x | "
            f"{_mean(ours['mean_all'])} | {ours['cost']['training_jobs']} ({_count(ours.get('challengers'))}) | "
            f"{p[best]['cost']['training_jobs']} | {oracle['cost']['training_jobs']} | "
            f"{p['every_batch']['cost']['training_jobs']} |"
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
    first = scenario.get("first_change")
    if scenario.get("hindsight"):
        changes = "incremental drift throughout (oracle: best window in hindsight)"
    else:
        changes = f"change batches: {', '.join(map(str, scenario['changes'])) or 'none'}"
    after = "all batches (no change)" if first is None else f"batches after {first}"
    return (
        f"### {name}: {scenario['description']}\n\n"
        f"{len(rows)} batches of {rows[0]:,} rows, first model on {scenario['train_rows']:,} rows; "
        f"{changes}; post-change mean over {after}; metric: {metric_name(scenario)}."
    )


def markdown(result: Mapping[str, Any], checks: Sequence[Mapping[str, Any]], per_batch: bool) -> str:
    parts = [result["preamble"]]
    if result.get("service_commit"):
        parts.append(f"The service as at commit `{result['service_commit']}` (`+`: with local changes).")
    parts += ["### Overview", overview_table(result["scenarios"])]
    if any(s["policies"]["ours"].get("challengers") is None for s in result["scenarios"].values()):
        parts.append(
            "Challengers: `n/a` where the service's drift reports carry no `challenger` field (a service "
            "without challengers)."
        )
    for name, scenario in result["scenarios"].items():
        parts.append(scenario_heading(name, scenario))
        parts.append(summary_table(scenario))
        if scenario.get("notes"):
            parts.append("\n".join(f"- {note}" for note in scenario["notes"]))
        if per_batch:
            parts.append("Prequential error per batch (`*` change batch, `r` retrained after the batch):")
            parts.append(errors_table(scenario))
            windows = scenario["policies"]["oracle"].get("hindsight_windows")
            if windows:
                parts.append(
                    "Oracle's best window per batch (newest batches; before batch 0, batch-sized chunks of the "
                    "training file's newest rows): " + ", ".join(map(str, windows))
                )
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
        if policy == "oracle" and scenario.get("hindsight"):
            label = "oracle (best window in hindsight)"
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
    top.set_ylabel(f"prequential {metric_name(scenario)}")
    top.set_ylim(bottom=0)
    top.set_title(f"{name}: {scenario['description']}", fontsize=10)
    top.grid(alpha=0.3)
    first = scenario.get("first_change")
    if first is not None:
        top.axvspan(-0.5, first + 0.5, color="#cccccc", alpha=0.25, label="left out of the post-change mean")
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


SHORT_LABELS = {
    "never": "never",
    "every_batch": "newest W",
    "newest_batch": "newest batch",
    "periodic": "periodic",
    "linear_newest": "linear, newest",
}


def summary_plot(path: Path, scenarios: Mapping[str, Mapping[str, Any]], seeds: str) -> None:
    """Per drifting scenario: the service's and the best baseline's post-change mean as multiples of the
    oracle's (bars), with the absolute figures and each one's training jobs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [n for n, s in scenarios.items() if drifting(s)]
    if not names:
        return
    fig, axis = plt.subplots(figsize=(max(7, 1.3 * len(names) + 2), 4.8), constrained_layout=True)
    width = 0.36
    axis.axhline(1.0, color=COLOURS["oracle"], linestyle="--", linewidth=1.2, label="oracle (= 1)")
    axis.axhline(1.2, color="#9467bd", linestyle=":", linewidth=1.2, label="target: 1.2x the oracle")
    top, ticks = 1.5, []
    for x, name in enumerate(names):
        p = scenarios[name]["policies"]
        best = best_baseline(p)
        oracle = p["oracle"]["mean_after_change"]
        for offset, policy, label in (
            (-width / 2, "ours", "ours (the service)"),
            (width / 2, best, "best baseline"),
        ):
            value = p[policy]["mean_after_change"]
            shown = min(ratio(value, oracle), 4.0)
            top = max(top, shown)
            colour = COLOURS["ours"] if policy == "ours" else COLOURS["every_batch"]
            axis.bar(x + offset, shown, width, color=colour, label=label if x == 0 else None)
            jobs = p[policy]["cost"]["training_jobs"]
            axis.text(
                x + offset, shown + 0.03, f"{value:.3g}\n{jobs} jobs", ha="center", va="bottom", fontsize=7
            )
        ticks.append(f"{name}\noracle {oracle:.3g}\nbest: {SHORT_LABELS[best]}")
    axis.set_xticks(range(len(names)), ticks, fontsize=8)
    axis.set_ylim(0, top * 1.2)
    axis.set_ylabel("mean error after the first change / oracle's")
    axis.set_title(
        f"Does it heal? Error after the first change, relative to the oracle; {seeds}", fontsize=10
    )
    axis.grid(axis="y", alpha=0.3)
    axis.legend(fontsize=8, loc="upper left")
    fig.savefig(path, dpi=110)
    plt.close(fig)
