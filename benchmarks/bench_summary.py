"""Benchmark summary: verdicts, targets, the printed table and the Markdown for the README."""

from __future__ import annotations

import contextlib
import os
import platform
from typing import Any

__all__ = [
    "EXPECTED_SHIFTED",
    "TARGET_PEAK_MB",
    "TARGET_VS_EVIDENTLY",
    "TARGET_VS_PARSE",
    "TARGET_VS_PLAIN",
    "ks_agreement",
    "machine",
    "markdown",
    "print_table",
    "setting",
    "summarise",
    "verdict",
]


# Targets from issue 2 (issue 11: the speed ratios and memory must not regress).
TARGET_VS_EVIDENTLY = 50.0
TARGET_VS_PLAIN = 5.0
TARGET_PEAK_MB = 300.0
#: Our per-batch check against the parse floor (issue 21: at most 3x; 2x is the moonshot).
TARGET_VS_PARSE = 3.0
EXPECTED_SHIFTED = 7


def verdict(flagged: list[str], shifted: list[str]) -> dict[str, Any]:
    misses = [c for c in shifted if c not in flagged]
    false_flags = [c for c in flagged if c not in shifted]
    return {
        "flagged": flagged,
        "misses": misses,
        "false_flags": false_flags,
        "exact": not misses and not false_flags,
    }


def ks_agreement(ours: dict[str, Any], plain: dict[str, Any]) -> float | None:
    """Largest |KS statistic (ours) - ks_2samp statistic (plain)| over numeric columns, when both have it."""
    diffs = []
    for name, theirs in plain.get("columns", {}).items():
        mine = ours.get("columns", {}).get(name) or {}
        if (
            theirs.get("test") == "ks_2samp"
            and isinstance(mine.get("statistic"), (int, float))
            and str(mine.get("test", "")).lower().startswith("ks")
        ):
            diffs.append(abs(float(mine["statistic"]) - float(theirs["statistic"])))
    return max(diffs) if diffs else None


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory_gb = None
    with contextlib.suppress(ValueError, OSError, AttributeError):
        memory_gb = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1)
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "memory_gb": memory_gb,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}x"


def target(name: str, passed: bool | None, detail: str) -> dict[str, Any]:
    status = "SKIPPED" if passed is None else ("PASS" if passed else "FAIL")
    return {"target": name, "status": status, "detail": detail}


def summarise(
    results: dict[str, Any], shifted: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    ours = results["ours"]
    rows = []
    labels = {
        "ours": "ours (drift_retrain: load profile + read batch + check)",
        "evidently": "Evidently 0.7.23 DataDriftPreset (defaults)",
        "plain": "plain pandas + scipy (reads baseline each time)",
    }
    for key in ("ours", "evidently", "plain"):
        result = results.get(key)
        if result is None:
            continue
        check = verdict(result["drifted"], shifted)
        rows.append(
            {
                "peer": key,
                "label": labels[key],
                "seconds": result["seconds"],
                "process_seconds": result["process_seconds"],
                "peak_mb": result["peak_mb"],
                "speedup_of_ours": None if key == "ours" else result["seconds"] / ours["seconds"],
                **check,
            }
        )
    by_peer = {row["peer"]: row for row in rows}
    ours_row = by_peer["ours"]
    evidently_ratio = by_peer["evidently"]["speedup_of_ours"] if "evidently" in by_peer else None
    plain_ratio = by_peer["plain"]["speedup_of_ours"]
    targets = [
        target(
            f"ours >= {TARGET_VS_EVIDENTLY:g}x faster than Evidently",
            None if evidently_ratio is None else evidently_ratio >= TARGET_VS_EVIDENTLY,
            "skipped (--skip-evidently)" if evidently_ratio is None else f"{evidently_ratio:.1f}x",
        ),
        target(
            f"ours >= {TARGET_VS_PLAIN:g}x faster than plain pandas+scipy",
            plain_ratio >= TARGET_VS_PLAIN,
            f"{plain_ratio:.1f}x",
        ),
        target(
            f"ours peak memory <= {TARGET_PEAK_MB:g} MB",
            ours_row["peak_mb"] <= TARGET_PEAK_MB,
            f"{ours_row['peak_mb']:.0f} MB",
        ),
        target(
            f"ours flags exactly the {EXPECTED_SHIFTED} shifted columns",
            ours_row["exact"],
            f"misses {ours_row['misses'] or 'none'}, false flags {ours_row['false_flags'] or 'none'}",
        ),
    ]
    parse = results.get("parse")
    if parse is not None:
        over_floor = ours["seconds"] / parse["seconds"]
        floor = "pyarrow" if parse.get("pyarrow_seconds") == parse["seconds"] else "pandas' C parser"
        targets.append(
            target(
                f"ours <= {TARGET_VS_PARSE:g}x the parse floor",
                over_floor <= TARGET_VS_PARSE,
                f"{over_floor:.1f}x {floor}'s {parse['seconds']:.2f} s",
            )
        )
    return rows, targets


def print_table(rows: list[dict[str, Any]], profile: dict[str, Any], shifted: list[str]) -> None:
    header = ["peer", "check s", "process s", "peak MB", "ours faster", "flagged", "exact 7?"]
    body = []
    for row in rows:
        body.append(
            [
                row["peer"],
                f"{row['seconds']:.2f}",
                f"{row['process_seconds']:.2f}",
                f"{row['peak_mb']:.0f}",
                fmt_ratio(row["speedup_of_ours"]),
                str(len(row["flagged"])),
                "yes" if row["exact"] else "NO",
            ]
        )
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(header)]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("-" * len(line))
    for r in body:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))
    print(
        f"\nours, one-time profile build (read 1 CSV + infer schema + profile + save): "
        f"{profile['seconds']:.2f} s, peak {profile['peak_mb']:.0f} MB, "
        f"profile {profile['profile_bytes'] / 1e6:.2f} MB"
    )
    print(f"\nshifted columns: {', '.join(shifted)}")
    for row in rows:
        print(f"  {row['peer']:<10} flagged {row['flagged']}")
        print(f"  {'':<10} misses {row['misses'] or 'none'}; false flags {row['false_flags'] or 'none'}")


def setting(meta: dict[str, Any], host: dict[str, Any], repeat: int) -> str:
    runs = (
        "one run per peer"
        if repeat == 1
        else f"median check time of {repeat} runs per peer, worst peak memory"
    )
    return (
        f"Baseline {meta['rows']:,} rows, batch {meta['batch_rows']:,} rows, 20 numeric + 5 categorical "
        f"features, 7 shifted; {runs}. Machine: {host['cpu'] or 'unknown CPU'}, {host['cpus']} CPUs, "
        f"{host['memory_gb']} GB RAM, Python {host['python']}."
    )


def markdown(
    rows: list[dict[str, Any]], targets: list[dict[str, Any]], profile: dict[str, Any], context: str
) -> str:
    lines = [
        context,
        "",
        "| Peer | Check (s) | Peak RSS (MB) | Ours faster by | Flagged | Misses | False flags |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row['label']} | {row['seconds']:.2f} | {row['peak_mb']:.0f} | "
            f"{fmt_ratio(row['speedup_of_ours']) if row['peer'] != 'ours' else '-'} | "
            f"{len(row['flagged'])} | {', '.join(row['misses']) or 'none'} | "
            f"{', '.join(row['false_flags']) or 'none'} |"
        )
    lines += [
        "",
        f"One-time profile build (ours): {profile['seconds']:.2f} s, peak {profile['peak_mb']:.0f} MB, "
        f"profile file {profile['profile_bytes'] / 1e6:.2f} MB.",
        "",
        "| Target | Result | Measured |",
        "|---|---|---|",
    ]
    lines += [f"| {t['target']} | {t['status']} | {t['detail']} |" for t in targets]
    return "\n".join(lines)
