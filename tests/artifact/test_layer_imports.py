"""What is deployed is what is imported: build the layer the way ``sam build`` does (its Makefile, for
python3.12 / manylinux), then import every handler in a fresh python3.12 with only the runtime's own
boto3, the built layer and the function's folder on the path.

This caught the layer's trim deleting ``numpy/_core/tests``, which ``scipy.stats`` imports: four of the
five handlers failed at import on Lambda while every other test passed.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))


def _python312() -> str | None:
    """A working python3.12 (pyenv's shim answers only when a 3.12 is selected, so try the builds too)."""
    candidates = sorted(
        glob.glob(os.path.expanduser("~/.pyenv/versions/3.12.*/bin/python3.12")), reverse=True
    )
    candidates.append(shutil.which("python3.12") or "")
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys"], capture_output=True, timeout=30, check=False)
        if probe.returncode == 0:
            return candidate
    return None


PYTHON = _python312()
pytestmark = pytest.mark.skipif(
    PYTHON is None, reason="no python3.12 on this machine: the layer targets Lambda's python3.12 runtime"
)


def _run(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=600, check=False, **kwargs)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """(layer python/ folder, a folder holding the runtime's boto3)."""
    base = tmp_path_factory.mktemp("artifact")
    build = _run(
        "make",
        "-C",
        str(ROOT / "layers" / "drift_core"),
        "build-DriftCoreLayer",
        f"ARTIFACTS_DIR={base / 'layer'}",
        f"PIP={PYTHON} -m pip",
    )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    runtime = base / "runtime"
    boto = _run(PYTHON, "-m", "pip", "install", "--quiet", "--target", str(runtime), "boto3")
    assert boto.returncode == 0, boto.stderr[-2000:]
    yield base / "layer" / "python", runtime


@pytest.mark.parametrize("handler", HANDLERS)
def test_every_handler_imports_from_the_built_layer(built: tuple[Path, Path], handler: str) -> None:
    layer, runtime = built
    folder = ROOT / "functions" / handler
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(folder), str(layer), str(runtime)]),
    }
    env |= {"AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "1"}
    result = _run(PYTHON, "-S", "-c", "import app; print(app.lambda_handler.__name__)", cwd=folder, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "lambda_handler" in result.stdout
    assert not (layer / "drift_retrain_local").exists()  # the tools never ship
