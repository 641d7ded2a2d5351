"""Peak memory and time of a baseline profile built in one pass and part by part, on the same data.

Writes ``--parts`` CSV part files of ``--rows`` rows each (numeric and categorical features, a binary
label) and the same rows as one CSV, then builds the profile three ways, each in a fresh process:

- ``one_pass``: the whole CSV read into one frame, then ``build_profile`` (how ``drift-retrain profile``
  read training data before it read it part by part);
- ``parts``: the folder of parts, one part read, profiled and merged at a time (``profile_pieces``);
- ``ranges``: the one CSV in byte ranges of about one part's size (``training_pieces``).

It prints each mode's peak RSS and seconds, and their ratios to the first mode run, and checks that the
profiles have the same counts. A benchmark, not a test: nothing in ``make test`` runs it.

    .venv/bin/python benchmarks/profile_scale.py                        # 8 parts of 250,000 rows
    .venv/bin/python benchmarks/profile_scale.py --parts 4 --rows 20000  # smoke run
    .venv/bin/python benchmarks/profile_scale.py --parts 16 --modes parts,ranges  # flat in the parts
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / ".data" / "profile_scale"
NUMERIC, CATEGORICAL = 12, 4
MODES = ("one_pass", "parts", "ranges")


def _frame(rows: int, seed: int):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    data = {f"n{i}": rng.normal(i, 1 + i, rows).round(4) for i in range(NUMERIC)}
    data["small"] = rng.integers(0, 20, rows)
    data.update(
        {f"c{i}": rng.choice([f"level{j}" for j in range(5 + 10 * i)], rows) for i in range(CATEGORICAL)}
    )
    return pd.DataFrame({"label": (data["n0"] + rng.normal(0, 1, rows) > 0).astype(int), **data})


def _make(parts: int, rows: int) -> tuple[Path, Path]:
    folder = DATA / f"{parts}x{rows}"
    whole = folder / "whole.csv"
    if whole.exists():
        return folder / "parts", whole
    (folder / "parts").mkdir(parents=True, exist_ok=True)
    with open(whole, "w") as out:
        for i in range(parts):
            text = _frame(rows, i).to_csv(index=False)
            (folder / "parts" / f"part-{i:05d}.csv").write_text(text)
            out.write(text if i == 0 else text.split("\n", 1)[1])
    return folder / "parts", whole


def _child(mode: str, parts_folder: Path, whole: Path, part_bytes: int) -> dict:
    """Build one profile in this process; return what it measured."""
    from drift_retrain.engine.batch_reader import read_training_data
    from drift_retrain.engine.profile import build_profile, finish_profile
    from drift_retrain.engine.profile_reading import profile_pieces, training_pieces

    started = time.perf_counter()
    if mode == "one_pass":
        training = read_training_data(whole, label="label")
        profile = build_profile(training.frame, training.schema)
    else:
        source, size = (parts_folder, None) if mode == "parts" else (whole, part_bytes)
        profile = finish_profile(profile_pieces(training_pieces(source, size), label="label"))
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "mode": mode,
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(peak_mb, 1),
        "rows": profile.rows,
        "counts": {name: column.count for name, column in profile.columns.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parts", type=int, default=8)
    parser.add_argument("--rows", type=int, default=250_000, help="rows per part")
    parser.add_argument(
        "--modes", default=",".join(MODES), help="comma-separated subset of " + ", ".join(MODES)
    )
    parser.add_argument("--output", type=Path, help="also write the results as JSON here")
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    parts_folder, whole = _make(args.parts, args.rows)
    part_bytes = -(-whole.stat().st_size // args.parts)
    if args.child:
        print(json.dumps(_child(args.child, parts_folder, whole, part_bytes)))
        return 0
    results = []
    for mode in [m for m in MODES if m in args.modes.split(",")]:
        run = subprocess.run(
            [sys.executable, __file__, "--parts", str(args.parts), "--rows", str(args.rows), "--child", mode],
            check=True,
            capture_output=True,
            text=True,
        )
        results.append(json.loads(run.stdout.strip().splitlines()[-1]))
    base = results[0]
    same = all(r["rows"] == base["rows"] and r["counts"] == base["counts"] for r in results)
    size_mb = whole.stat().st_size / 2**20
    print(f"{args.parts} parts x {args.rows:,} rows ({size_mb:,.0f} MB of CSV); counts equal: {same}")
    print(f"{'mode':<10} {'peak RSS MB':>12} {'seconds':>9} {'RSS ratio':>10} {'time ratio':>11}")
    for r in results:
        print(
            f"{r['mode']:<10} {r['peak_rss_mb']:>12,.0f} {r['seconds']:>9.1f} "
            f"{r['peak_rss_mb'] / base['peak_rss_mb']:>10.2f} {r['seconds'] / base['seconds']:>11.2f}"
        )
    if args.output:
        args.output.write_text(
            json.dumps({"parts": args.parts, "rows": args.rows, "results": results}, indent=2)
        )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
