"""Benchmark set-up: the cached data files and the pinned Evidently virtual environment (first run only)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

__all__ = [
    "DATA_DIR",
    "HERE",
    "RESULTS_DIR",
    "ensure_data",
    "ensure_evidently",
    "evidently_python",
    "log",
]


HERE = Path(__file__).resolve().parent
DATA_DIR = HERE / ".data"
RESULTS_DIR = HERE / "results"
EVIDENTLY_VENV = HERE / ".venv-evidently"
EVIDENTLY_REQUIREMENTS = ["evidently==0.7.23", "pandas<3"]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


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
