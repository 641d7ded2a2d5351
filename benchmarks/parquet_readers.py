"""Which Parquet reader fits the layer: installed size, read speed and memory per row group.

Run it with an interpreter that has the candidates installed (a throwaway venv, never the layer):

    python -m venv /tmp/pq/venv && /tmp/pq/venv/bin/pip install numpy pandas psutil \
        pyarrow fastparquet polars duckdb
    mkdir -p /tmp/pq/dl && pip download --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 -d /tmp/pq/dl/<candidate> <candidate>
    /tmp/pq/venv/bin/python benchmarks/parquet_readers.py --wheels /tmp/pq/dl

Size: every wheel a candidate adds to the layer (numpy and pandas are there already) is unpacked into one
folder, its ``tests`` removed and its ``.pyc`` compiled, as the layer's Makefile does, and ``du`` is taken.
Speed and memory: each reader streams every row group of one file into pandas frames in a fresh
process; peak memory is that process's ``VmHWM`` minus its resident size after importing the reader. A
reader whose memory is flat per row group shows the same peak for a file of 4 row groups as for 16.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

#: The wheels each candidate adds beyond what the layer holds (numpy, pandas, python-dateutil).
ADDED = {
    "pyarrow": ("pyarrow",),
    "fastparquet": ("fastparquet", "cramjam", "fsspec", "packaging"),
    "polars": ("polars",),  # polars + polars_runtime_32
    "duckdb": ("duckdb",),
}
ROWS_PER_GROUP = 100_000
NUMERIC, CATEGORICAL = 20, 5


def _unpacked_bytes(wheels: list[Path]) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(tmp)
        for tests in Path(tmp).rglob("tests"):
            if tests.is_dir():
                shutil.rmtree(tests, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "compileall", "-q", "-j", "0", tmp], check=False)
        return sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())


def _wheels(folder: Path, candidate: str) -> list[Path]:
    names = ADDED[candidate]
    return [
        w
        for w in sorted((folder / candidate).glob("*.whl"))
        if any(w.name.lower().startswith(n.replace("-", "_")) for n in names)
    ]


def write_file(path: Path, groups: int) -> None:
    """``groups`` row groups of 100,000 rows x (20 numeric + 5 categorical + a label), snappy."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(7)
    rows = groups * ROWS_PER_GROUP
    frame = pd.DataFrame({f"num_{i:02d}": rng.normal(size=rows) for i in range(NUMERIC)})
    for i in range(CATEGORICAL):
        frame[f"cat_{i}"] = pd.Categorical(rng.choice([f"level_{j}" for j in range(12)], size=rows))
    frame["label"] = rng.integers(0, 2, size=rows)
    import fastparquet

    fastparquet.write(str(path), frame, row_group_offsets=ROWS_PER_GROUP, compression="SNAPPY")


_WORKER = r"""
import json, sys, time, re
candidate, path = sys.argv[1], sys.argv[2]
def rss():
    text = open("/proc/self/status").read()
    return {k: int(re.search(k + r":\s+(\d+)", text).group(1)) * 1024 for k in ("VmRSS", "VmHWM")}
if candidate == "pyarrow":
    import pyarrow.parquet as pq
    def groups(p):
        f = pq.ParquetFile(p)
        for i in range(f.num_row_groups):
            yield f.read_row_group(i).to_pandas()
elif candidate == "fastparquet":
    import fastparquet
    def groups(p):
        yield from fastparquet.ParquetFile(p).iter_row_groups()
elif candidate == "polars":
    import polars as pl
    def groups(p):
        f = pl.scan_parquet(p)
        for frame in f.collect_batches(chunk_size=100_000) if hasattr(f, "collect_batches") else [f.collect()]:
            yield {c: frame[c].to_numpy() for c in frame.columns}
elif candidate == "duckdb":
    import duckdb
    def groups(p):
        con = duckdb.connect()
        con.execute("SET threads TO 1")
        result = con.execute(f"SELECT * FROM read_parquet('{p}')")
        while len(frame := result.fetch_df_chunk(50)):  # 50 vectors of 2,048 rows: about a row group
            yield frame
import pandas  # noqa: F401  (the layer has it loaded anyway)
base = rss()["VmRSS"]
start = time.perf_counter()
rows = 0
for frame in groups(path):
    rows += len(frame) if hasattr(frame, "__len__") and not isinstance(frame, dict) else len(next(iter(frame.values())))
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rows": rows, "peak_above_import": rss()["VmHWM"] - base}))
"""


def measure_read(candidate: str, path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", _WORKER, candidate, str(path)], capture_output=True, text=True, timeout=600
    )
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1]}
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheels", type=Path, required=True, help="one folder per candidate of pip download")
    parser.add_argument("--small", type=int, default=4, help="row groups of the small file")
    parser.add_argument("--large", type=int, default=16, help="row groups of the large file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        small, large = Path(tmp) / "small.parquet", Path(tmp) / "large.parquet"
        write_file(small, args.small)
        write_file(large, args.large)
        rows = []
        for candidate in ADDED:
            wheels = _wheels(args.wheels, candidate)
            size = _unpacked_bytes(wheels) if wheels else None
            a, b = measure_read(candidate, small), measure_read(candidate, large)
            rows.append((candidate, size, a, b))
    print(
        f"| reader | adds to the layer (MB, unzipped, .pyc) | read {args.large * ROWS_PER_GROUP:,} rows x 26 (s) "
        f"| peak memory above import, {args.small} / {args.large} row groups (MB) |"
    )
    print("|---|---|---|---|")
    for candidate, size, a, b in rows:
        mb = f"{size / 1e6:.1f}" if size is not None else "?"
        if "error" in a or "error" in b:
            print(f"| {candidate} | {mb} | {a.get('error') or b.get('error')} | |")
            continue
        print(
            f"| {candidate} | {mb} | {b['seconds']:.2f} | "
            f"{a['peak_above_import'] / 1e6:.0f} / {b['peak_above_import'] / 1e6:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
