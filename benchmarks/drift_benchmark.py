"""Drift-check benchmark: our engine vs Evidently's default data-drift preset vs plain pandas + scipy.

    .venv/bin/python benchmarks/drift_benchmark.py            # full run (make bench)
    .venv/bin/python benchmarks/drift_benchmark.py --rows 100000 --batch-rows 20000 --skip-evidently

1. Builds (once, cached under benchmarks/.data/) a baseline CSV of 1,000,000 rows x (label + 20 numeric
   + 5 categorical features) and a 200,000-row batch in which exactly 7 features are shifted
   (see bench_data.py).
2. Creates benchmarks/.venv-evidently on first use (evidently==0.7.23, pandas<3).
3. Runs each peer in a fresh subprocess on the same files: our engine's one-time profile build, then
   our per-batch check (load profile + read batch + drift), Evidently's ``DataDriftPreset``, and a plain
   pandas + scipy check that reads the baseline each time.
4. Prints a table (wall seconds, peak MB, speed-up of ours, columns flagged vs the 7 shifted) and the
   targets' PASS/FAIL, writes the same as JSON and prints a Markdown table for the README.

Seconds are measured inside each worker from just before reading the first file to the verdict
(library imports excluded for every peer); the whole subprocess's wall time is recorded too. Peak memory
is the worker's own high-water RSS (VmHWM; see bench_measure.py), interpreter and libraries included.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / ".data"
RESULTS_DIR = HERE / "results"
EVIDENTLY_VENV = HERE / ".venv-evidently"
EVIDENTLY_REQUIREMENTS = ["evidently==0.7.23", "pandas<3"]
RESULT_MARKER = "BENCH_RESULT "

DEFAULT_ROWS = 1_000_000
DEFAULT_BATCH_ROWS = 200_000

# Targets from issue 2.
TARGET_VS_EVIDENTLY = 50.0
TARGET_VS_PLAIN = 5.0
TARGET_PEAK_MB = 300.0
EXPECTED_SHIFTED = 7


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------------ data


def ensure_data(rows: int, batch_rows: int, seed: int) -> tuple[Path, dict[str, Any]]:
    sys.path.insert(0, str(HERE))
    from bench_data import GENERATOR_VERSION  # small import: no numpy work happens here

    directory = DATA_DIR / f"r{rows}_b{batch_rows}_s{seed}_v{GENERATOR_VERSION}"
    meta_path = directory / "meta.json"
    if meta_path.exists() and (directory / "baseline.csv").exists() and (directory / "batch.csv").exists():
        log(f"data: using cached files in {directory.relative_to(HERE.parent)}")
    else:
        log(f"data: generating {rows:,} + {batch_rows:,} rows into {directory.relative_to(HERE.parent)} ...")
        started = time.perf_counter()
        # A subprocess, so this process never holds the data (its RSS would leak into the workers'
        # ru_maxrss across fork/exec).
        subprocess.run(
            [
                sys.executable,
                str(HERE / "bench_data.py"),
                "--rows",
                str(rows),
                "--batch-rows",
                str(batch_rows),
                "--seed",
                str(seed),
                "--out",
                str(directory),
            ],
            check=True,
        )
        log(f"data: done in {time.perf_counter() - started:.1f} s")
    return directory, json.loads(meta_path.read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------- evidently


def evidently_python() -> Path:
    return EVIDENTLY_VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_evidently() -> Path:
    """Create benchmarks/.venv-evidently with the pinned Evidently on first use; return its python."""
    stamp = EVIDENTLY_VENV / ".bench-ready"
    python = evidently_python()
    wanted = " ".join(EVIDENTLY_REQUIREMENTS)
    if stamp.exists() and python.exists() and stamp.read_text(encoding="utf-8").strip() == wanted:
        return python
    if not python.exists():
        log(f"evidently: creating {EVIDENTLY_VENV.relative_to(HERE.parent)} ...")
        subprocess.run([sys.executable, "-m", "venv", str(EVIDENTLY_VENV)], check=True)
    log(f"evidently: pip install {wanted} (first run only; can take several minutes) ...")
    started = time.perf_counter()
    install_log = EVIDENTLY_VENV / "install.log"
    with install_log.open("w", encoding="utf-8") as out:
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", *EVIDENTLY_REQUIREMENTS],
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        tail = install_log.read_text(encoding="utf-8", errors="replace").splitlines()[-20:]
        raise SystemExit("evidently: pip install failed:\n" + "\n".join(tail))
    check = subprocess.run(
        [str(python), "-c", "import evidently, pandas; print(evidently.__version__, pandas.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    log(
        f"evidently: ready in {time.perf_counter() - started:.0f} s (evidently, pandas = {check.stdout.strip()})"
    )
    stamp.write_text(wanted + "\n", encoding="utf-8")
    return python


# --------------------------------------------------------------------------------------------- workers


def run_worker(name: str, command: list[str]) -> dict[str, Any]:
    """Run one peer in a fresh process; return its BENCH_RESULT plus the process's own wall time."""
    log(f"{name}: running ...")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONWARNINGS="ignore")
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=HERE, env=env, check=False)
    process_seconds = time.perf_counter() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARKER)]
    if done.returncode != 0 or not lines:
        sys.stderr.write(done.stderr[-5000:])
        raise SystemExit(f"{name}: worker failed (exit code {done.returncode})")
    result = json.loads(lines[-1][len(RESULT_MARKER) :])
    result["process_seconds"] = process_seconds
    log(f"{name}: {result['seconds']:.2f} s, peak {result['peak_mb']:.0f} MB")
    return result


def repeat_worker(name: str, command: list[str], times: int) -> dict[str, Any]:
    """Run a worker ``times`` times; keep the run with the median time, and the worst peak memory."""
    runs = [
        run_worker(name if times == 1 else f"{name} (run {i + 1}/{times})", command) for i in range(times)
    ]
    runs.sort(key=lambda r: r["seconds"])
    chosen = dict(runs[(len(runs) - 1) // 2])
    chosen["all_seconds"] = [round(r["seconds"], 4) for r in runs]
    chosen["peak_mb"] = max(r["peak_mb"] for r in runs)
    return chosen


# --------------------------------------------------------------------------------------------- summary


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


# ------------------------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="baseline rows (default 1,000,000)")
    parser.add_argument(
        "--batch-rows", type=int, default=DEFAULT_BATCH_ROWS, help="batch rows (default 200,000)"
    )
    parser.add_argument("--seed", type=int, default=None, help="data seed (default: bench_data's)")
    parser.add_argument(
        "--skip-evidently", action="store_true", help="do not create or run the Evidently peer"
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per peer; the median time is reported")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="JSON results (default benchmarks/results/latest.json for the full size, "
        "benchmarks/.data/smoke-results.json otherwise)",
    )
    args = parser.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from bench_data import DEFAULT_SEED

    seed = DEFAULT_SEED if args.seed is None else args.seed
    full_size = args.rows == DEFAULT_ROWS and args.batch_rows == DEFAULT_BATCH_ROWS
    output = args.output or (RESULTS_DIR / "latest.json" if full_size else DATA_DIR / "smoke-results.json")

    data_dir, meta = ensure_data(args.rows, args.batch_rows, seed)
    baseline, batch = str(data_dir / "baseline.csv"), str(data_dir / "batch.csv")
    shifted = list(meta["shifted"])
    evidently = None if args.skip_evidently else ensure_evidently()
    project_python = sys.executable

    results: dict[str, Any] = {}
    profile_dir = data_dir / "profile"
    results["ours_profile"] = run_worker(
        "ours: one-time profile build",
        [project_python, "peer_ours.py", "profile", baseline, str(profile_dir)],
    )
    results["ours"] = repeat_worker(
        "ours: per-batch check",
        [project_python, "peer_ours.py", "check", str(profile_dir), batch],
        args.repeat,
    )
    results["plain"] = repeat_worker(
        "plain pandas+scipy", [project_python, "peer_plain.py", baseline, batch], args.repeat
    )
    if evidently is not None:
        results["evidently"] = repeat_worker(
            "evidently DataDriftPreset", [str(evidently), "peer_evidently.py", baseline, batch], args.repeat
        )

    rows, targets = summarise(results, shifted)
    host = machine()
    context = setting(meta, host, args.repeat)
    print()
    print(context)
    print()
    print_table(rows, results["ours_profile"], shifted)
    agreement = ks_agreement(results["ours"], results["plain"])
    if agreement is not None:
        print(f"\nmax |KS(ours) - scipy ks_2samp| over numeric columns: {agreement:.2e}")
    print("\nTargets:")
    for t in targets:
        print(f"  {t['status']:<7} {t['target']} ({t['detail']})")
    md = markdown(rows, targets, results["ours_profile"], context)
    print("\nMarkdown for benchmarks/README.md:\n")
    print(md)

    ours_report = results["ours"].pop("report", None)
    document = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": host,
        "repeat": args.repeat,
        "data": {k: meta[k] for k in ("rows", "batch_rows", "seed", "generator_version", "shifted")},
        "timing": "seconds inside each worker from before reading the first file to the verdict "
        "(imports excluded); process_seconds is the whole subprocess",
        "memory": "peak_mb is the worker process's VmHWM (high-water RSS) from /proc/self/status, "
        "falling back to getrusage ru_maxrss; interpreter and libraries included",
        "peers": rows,
        "targets": targets,
        "ks_max_abs_diff_vs_scipy": agreement,
        "details": results,
        "ours_report_summary": None
        if ours_report is None
        else {k: ours_report.get(k) for k in ("status", "rows", "sampling", "drifted_features", "retrain")},
        "markdown": md,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2, default=str) + "\n", encoding="utf-8")
    log(f"results written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
