"""The parse floor: reading the batch CSV and nothing else, the least any check of it can cost.

``python benchmarks/peer_parse.py BATCH.csv`` times pandas' C parser (``pd.read_csv``, default options)
and, when pyarrow is importable in the interpreter running it, ``pyarrow.csv.read_csv``; ``seconds`` is
the faster of the two. Prints one ``BENCH_RESULT {json}`` line (see bench_measure.py). The issue's target
for our per-batch check is at most 3x this floor (2x as a moonshot).
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
from bench_measure import emit


def parse_floor(batch: str) -> dict:
    started = time.perf_counter()
    frame = pd.read_csv(batch)
    pandas_seconds = time.perf_counter() - started
    arrow_seconds = None
    try:
        from pyarrow import csv as arrow_csv
    except ImportError:  # not in the project's lock (the layer has no pyarrow): pandas is the floor
        arrow_csv = None
    if arrow_csv is not None:
        started = time.perf_counter()
        arrow_csv.read_csv(batch)
        arrow_seconds = time.perf_counter() - started
    fastest = min(s for s in (pandas_seconds, arrow_seconds) if s is not None)
    return {
        "seconds": fastest,
        "pandas_seconds": pandas_seconds,
        "pyarrow_seconds": arrow_seconds,
        "rows": len(frame),
        "drifted": [],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="the parse floor (benchmark peer)")
    parser.add_argument("batch")
    emit(parse_floor(parser.parse_args().batch))


if __name__ == "__main__":
    main()
