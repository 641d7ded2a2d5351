"""Does the service heal from an endpoint's Data Capture as well as from labelled batches?

    make bench-traffic                                              # Agrawal 0 -> 2, 10 x 2,000 rows
    .venv/bin/python benchmarks/traffic_heal.py --label-delay 0 --set monitor_window_rows=1000

The same stream (river's Agrawal, function 0 then 2 from batch 4; 5% of labels flipped; the stream
benchmark's generator, ``stream_bench/scenarios.py``) goes through ``drift-retrain local run`` twice, each
time in a fresh local cloud from the same first model:

- ``--batch``: each file is a labelled batch under ``incoming/`` (labels arrive with the rows);
- ``--traffic``: each file's rows are requests to the endpoint, labels removed; Data Capture records
  them, and the labels arrive as ground truth ``--label-delay`` windows later.

The figure compared is the **served error** of each file: the share of its rows the endpoint answered
wrongly (batch: DetectDrift's concept error of the serving model, scored before any retrain could use
the batch; traffic: the endpoint's own answers against the labels). The mean over the files from the
change on is printed for both, with their ratio; also without the change file, which no policy can
foresee. Writes ``benchmarks/results/traffic-heal.json`` (``--out`` to change).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from stream_bench.venv import ensure_stream_venv, in_stream_venv, missing_modules  # noqa: E402

REEXEC_GUARD = "TRAFFIC_BENCH_REEXEC"


def log(message: str) -> None:
    print(f"[traffic {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def generate(folder: Path, batches: int, rows: int, change: int) -> tuple[Path, list[Path]]:
    from stream_bench.scenarios import Size, generate

    scenario = generate("abrupt", Size(n_batches=batches, batch_rows=rows, train_batches=5, change=change))
    folder.mkdir(parents=True, exist_ok=True)
    train = folder / "train.csv"
    train.write_bytes(scenario.train_csv)
    files = []
    for i, body in enumerate(scenario.batches):
        files.append(folder / f"batch-{i:02d}.csv")
        files[-1].write_bytes(body)
    return train, files


def served_errors(timeline: dict[str, Any], out: Path) -> list[float | None]:
    """The serving model's error on each file, as the endpoint's users met it."""
    if "traffic" in timeline:
        return [f.get("served_error") for f in timeline["traffic"]["files"]]
    errors = []
    for batch in timeline["batches"]:
        key = (batch.get("detect") or {}).get("report_key")
        report = json.loads((out / key).read_text(encoding="utf-8")) if key else {}
        errors.append((report.get("concept_drift") or {}).get("error"))
    return errors


def run_mode(
    mode: str, train: Path, files: list[Path], out: Path, settings: dict[str, str], label_delay: int
) -> dict[str, Any]:
    """One ``local run`` (``--batch`` or ``--traffic``): the served error of each file, the promotions."""
    sys.path.insert(0, str(HERE))
    from drift_retrain_local.run.local_run import local_run

    clock = time.monotonic()
    timeline = local_run(
        train,
        files if mode == "batch" else [],
        out,
        echo=lambda _line: None,
        settings=settings,
        traffic=files if mode == "traffic" else [],
        label_delay=label_delay,
    )
    if mode == "batch":
        entries = timeline["batches"]
    else:  # every check of every window (a window's revisions each have their own outcome)
        entries = [check for window in timeline["traffic"]["windows"] for check in window.get("checks", [])]
    return {
        "errors": served_errors(timeline, out),
        "promotions": sum(e.get("outcome") == "promoted" for e in entries),
        "retrains": sum(e.get("outcome") in ("promoted", "rejected") for e in entries),
        "seconds": round(time.monotonic() - clock),
    }


def mean(values: list[float | None]) -> float:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else float("nan")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--change", type=int, default=4, help="first file of the new concept")
    parser.add_argument("--label-delay", type=int, default=1, help="windows (default 1)")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "traffic-heal.json")
    args = parser.parse_args(argv)
    if not in_stream_venv() and not os.environ.get(REEXEC_GUARD):
        python = ensure_stream_venv(log)
        os.environ[REEXEC_GUARD] = "1"
        os.execv(str(python), [str(python), str(Path(__file__).resolve()), *argv])
    if missing_modules():
        raise SystemExit(
            f"traffic benchmark: {', '.join(missing_modules())} missing (run make bench-traffic)"
        )
    settings = dict(item.split("=", 1) for item in args.set)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="traffic-heal-") as tmp:
        root = Path(tmp)
        train, files = generate(root / "data", args.batches, args.rows, args.change)
        runs: dict[str, dict[str, Any]] = {}
        for mode in ("batch", "traffic"):
            log(f"{mode}: {len(files)} files of {args.rows:,} rows through a fresh local cloud ...")
            # each run in a process of its own: a fresh local cloud, and no logger left from the other
            context = multiprocessing.get_context("spawn")
            with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                runs[mode] = pool.submit(
                    run_mode, mode, train, files, root / mode, settings, args.label_delay
                ).result()
            log(f"{mode}: done in {runs[mode]['seconds']} s")
    c = args.change
    for run in runs.values():
        run["after_change"] = mean(run["errors"][c:])
        run["after_change_file"] = mean(run["errors"][c + 1 :])
    ratio = runs["traffic"]["after_change"] / runs["batch"]["after_change"]
    ratio_after = runs["traffic"]["after_change_file"] / runs["batch"]["after_change_file"]
    header = "| file | " + " | ".join(f"{i}{' (change)' if i == c else ''}" for i in range(len(files))) + " |"
    lines = [
        f"Agrawal 0 -> 2 at file {c}, {len(files)} files of {args.rows:,} rows; traffic labels "
        f"{args.label_delay} window(s) late; settings: {settings or 'none'}",
        "",
        header,
        "|---" * (len(files) + 1) + "|",
    ]
    for mode, run in runs.items():
        cells = " | ".join("-" if e is None else f"{100 * e:.1f}%" for e in run["errors"])
        lines.append(f"| {mode} | {cells} |")
    lines += [
        "",
        "| | batch | traffic | traffic / batch |",
        "|---|---|---|---|",
        f"| mean served error from the change on | {100 * runs['batch']['after_change']:.2f}% | "
        f"{100 * runs['traffic']['after_change']:.2f}% | {ratio:.2f}x |",
        f"| mean served error after the change file | {100 * runs['batch']['after_change_file']:.2f}% | "
        f"{100 * runs['traffic']['after_change_file']:.2f}% | {ratio_after:.2f}x |",
        f"| retrains (promoted) | {runs['batch']['retrains']} ({runs['batch']['promotions']}) | "
        f"{runs['traffic']['retrains']} ({runs['traffic']['promotions']}) | |",
    ]
    print("\n".join(lines))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "stream": {"generator": "river Agrawal 0 -> 2", "files": len(files), "rows": args.rows, "change": c},
        "label_delay_windows": args.label_delay,
        "settings_overrides": settings,
        "runs": runs,
        "ratio_from_change": ratio,
        "ratio_after_change_file": ratio_after,
        "seconds": round(time.monotonic() - started),
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
