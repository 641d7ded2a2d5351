"""Peer 1: our engine (the ``drift_retrain`` layer package), in the project virtual environment.

Two modes, each run in a fresh process by drift_benchmark.py:

* ``profile BASELINE.csv PROFILE_DIR``: the one-time cost. Reads the training CSV, infers the schema,
  builds the baseline profile and saves it.
* ``check PROFILE_DIR BATCH.csv``: the per-batch cost. Loads the saved profile, then ``run_check``
  reads the batch CSV and computes drift with the default ``DriftConfig``.

Each prints one ``BENCH_RESULT {json}`` line (see bench_measure.py). ``--cprofile N`` also prints the N
most expensive functions (cumulative time) to stderr, to find hot spots; do not time with it on.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

from bench_measure import emit


def build(baseline: str, out: str) -> dict:
    from drift_retrain.engine.profile import build_profile
    from drift_retrain.engine.reading import read_csv
    from drift_retrain.engine.schema import infer_schema

    started = time.perf_counter()
    training = read_csv(baseline, label="label")
    read_seconds = time.perf_counter() - started
    schema = infer_schema(training.frame, label="label")
    profile = build_profile(training.frame, schema)
    path = profile.save(out)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "read_seconds": read_seconds,
        "compute_seconds": seconds - read_seconds,
        "profile_bytes": Path(path).stat().st_size,
        "columns": {c.name: c.kind for c in schema.columns},
    }


def check(profile_dir: str, batch: str) -> dict:
    from drift_retrain.engine.check import run_check
    from drift_retrain.engine.config import DriftConfig
    from drift_retrain.engine.profile import BaselineProfile

    started = time.perf_counter()
    profile = BaselineProfile.load(profile_dir)
    load_seconds = time.perf_counter() - started
    report = run_check(batch, profile, DriftConfig())
    seconds = time.perf_counter() - started
    data = report.to_dict()
    features = {}
    for feature in data.get("features") or []:
        features[feature["name"]] = {
            key: feature.get(key)
            for key in ("kind", "test", "statistic", "p_value", "effect_size", "drifted")
        }
    return {
        "seconds": seconds,
        "profile_load_seconds": load_seconds,
        "status": data.get("status"),
        "error": data.get("error"),
        "rows": data.get("rows"),
        "drifted": list(data.get("drifted_features") or []),
        "columns": features,
        "report": data,
    }


def _warm_imports(mode: str) -> None:
    """Import the engine before the clock starts, as the other peers import pandas/scipy/evidently."""
    import drift_retrain.engine.profile
    import drift_retrain.engine.reading

    if mode == "check":
        import drift_retrain.engine.check
    else:
        import drift_retrain.engine.schema  # noqa: F401


def main() -> None:
    parser = argparse.ArgumentParser(description="our drift engine (benchmark peer)")
    parser.add_argument("mode", choices=("profile", "check"))
    parser.add_argument("first", help="profile: BASELINE.csv; check: PROFILE_DIR")
    parser.add_argument("second", help="profile: PROFILE_DIR; check: BATCH.csv")
    parser.add_argument("--cprofile", type=int, default=0, metavar="N")
    args = parser.parse_args()
    _warm_imports(args.mode)
    run = build if args.mode == "profile" else check
    if args.cprofile:
        profiler = cProfile.Profile()
        result = profiler.runcall(run, args.first, args.second)
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(args.cprofile)
        sys.stderr.write(out.getvalue())
    else:
        result = run(args.first, args.second)
    emit(result)


if __name__ == "__main__":
    main()
