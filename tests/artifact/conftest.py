"""The built artifact, once per session: the layer and every function as ``sam build`` lays them out, the
runtime's own boto3, and the Lambda runtime's interpreter (template.yaml's Runtime) to run them with."""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from support.paths import ROOT

from drift_retrain_local.stack.artifacts import Artifacts, build, built_at, install_runtime


def runtime_version() -> str:
    """``3.12`` from the template's ``Globals.Function.Runtime: python3.12``."""
    found = re.search(
        r"^\s+Runtime: python(\d+\.\d+)\s*$", (ROOT / "template.yaml").read_text(), re.MULTILINE
    )
    assert found, "template.yaml has no Globals Runtime"
    return found.group(1)


@pytest.fixture(scope="session")
def runtime_python() -> str:
    """The runtime's interpreter, found as `make setup` finds it (tools/find-python.sh)."""
    found = subprocess.run(
        [str(ROOT / "tools" / "find-python.sh"), runtime_version()],
        capture_output=True,
        text=True,
        check=False,
    )
    if found.returncode != 0:
        pytest.fail(found.stderr)
    return found.stdout.strip()


@contextmanager
def _made_once(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[tuple[Path, bool]]:
    """``(folder, to_make)``: one folder for the whole run, whichever xdist worker asks first making it
    while the others wait on a lock (the pattern pytest-xdist documents for session fixtures). Without
    xdist, the session's own folder."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder, done = shared / name, shared / f"{name}.done"
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield folder, not done.exists()
        done.touch()


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, runtime_python: str) -> Artifacts:
    """The layer and every function built once for the run (about 20 s), shared read-only."""
    with _made_once(tmp_path_factory, "sam-build") as (folder, to_make):
        return build(folder, runtime_python) if to_make else built_at(folder)


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory, runtime_python: str) -> Path:
    """What Lambda's python runtime brings besides the standard library: boto3 (at the lock's version)."""
    with _made_once(tmp_path_factory, "runtime") as (folder, to_make):
        return install_runtime(folder, runtime_python) if to_make else folder
