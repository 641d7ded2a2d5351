"""The benchmark's own virtualenv, benchmarks/.venv-stream: river and matplotlib stay out of the project.

Why a separate venv: river (the stream generators) and matplotlib (the plots) are benchmark-only
dependencies. The venv is created with the interpreter that launched the benchmark (the dev venv's under
``make bench-stream``) and holds the project installed editable with its dev extras (the local cloud
needs moto and xgboost), river==0.26.1 and matplotlib. Versions shared with the launching environment
are pinned to its own (``pip freeze`` as constraints), so the service runs on the same libraries as
``make test``. Created on first use, reused while the stamp matches; gitignored (``benchmarks/.venv-*/``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["REQUIREMENTS", "STREAM_VENV", "ensure_stream_venv", "in_stream_venv", "missing_modules"]

HERE = Path(__file__).resolve().parent.parent
REPO = HERE.parent
STREAM_VENV = HERE / ".venv-stream"
REQUIREMENTS = ["river==0.26.1", "matplotlib"]


def venv_python() -> Path:
    return STREAM_VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def in_stream_venv() -> bool:
    return Path(sys.prefix).resolve() == STREAM_VENV.resolve()


def missing_modules() -> list[str]:
    """Benchmark-only modules this interpreter lacks (river, matplotlib)."""
    missing = []
    for module in ("river", "matplotlib"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    return missing


def _wanted() -> str:
    digest = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()[:16]
    return " ".join([*REQUIREMENTS, f"-e .[dev] (pyproject {digest})"])


def ensure_stream_venv(log: Callable[[str], None]) -> Path:
    """Create or refresh benchmarks/.venv-stream; return its python. Raises SystemExit with pip's tail."""
    stamp = STREAM_VENV / ".bench-ready"
    python = venv_python()
    wanted = _wanted()
    if stamp.exists() and python.exists() and stamp.read_text(encoding="utf-8").strip() == wanted:
        return python
    if not python.exists():
        log(f"venv: creating {STREAM_VENV.relative_to(REPO)} with {sys.executable} ...")
        subprocess.run([sys.executable, "-m", "venv", str(STREAM_VENV)], check=True)
    constraints = STREAM_VENV / "constraints.txt"
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in frozen.stdout.splitlines() if "==" in line and not line.startswith("-e")]
    constraints.write_text("\n".join(lines) + "\n", encoding="utf-8")
    install_log = STREAM_VENV / "install.log"
    log(f"venv: pip install {' '.join(REQUIREMENTS)} + the project (first run only, about a minute) ...")
    started = time.perf_counter()
    base = [
        str(python),
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "-e",
        f"{REPO}[dev]",
        *REQUIREMENTS,
    ]
    with install_log.open("w", encoding="utf-8") as out:
        done = subprocess.run(
            [*base, "-c", str(constraints)], stdout=out, stderr=subprocess.STDOUT, check=False
        )
        if done.returncode != 0:  # a pin of the launching env clashes with river's needs: let pip choose
            out.write("\n--- retry without the launching environment's pins ---\n")
            out.flush()
            done = subprocess.run(base, stdout=out, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = install_log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        raise SystemExit(
            f"stream benchmark: could not install {' '.join(REQUIREMENTS)} into {STREAM_VENV} "
            f"(needs PyPI; log in {install_log}):\n" + "\n".join(tail)
        )
    log(f"venv: ready in {time.perf_counter() - started:.0f} s")
    stamp.write_text(wanted + "\n", encoding="utf-8")
    return python
