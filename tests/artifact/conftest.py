"""The built artifact, once per session: the layer and every function as ``sam build`` lays them out, the
runtime's own boto3, and the Lambda runtime's interpreter (template.yaml's Runtime) to run them with."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from support.paths import ROOT

from drift_retrain_local.stack.artifacts import Artifacts, build, install_runtime


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


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, runtime_python: str) -> Artifacts:
    return build(tmp_path_factory.mktemp("sam-build"), runtime_python)


@pytest.fixture(scope="session")
def runtime(tmp_path_factory: pytest.TempPathFactory, runtime_python: str) -> Path:
    """What Lambda's python runtime brings besides the standard library: boto3 (at the lock's version)."""
    return install_runtime(tmp_path_factory.mktemp("runtime"), runtime_python)
