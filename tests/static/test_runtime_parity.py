"""Runtime parity: the dev venv, the tests and the layer run the Lambda runtime's Python and the same pinned
library versions, from one lock.

- template.yaml's ``Runtime`` (and the layer's ``CompatibleRuntimes``) name one ``pythonX.Y``; pyproject's
  ``requires-python``, ruff's target, the layer Makefile and this interpreter agree with it;
- requirements.lock pins every package exactly, and every pyproject dependency is in it, in range;
- layers/drift_core/requirements.txt is exactly the lock's runtime closure (pyproject's ``dependencies``
  and what they pull in, read from the lock's ``# via`` lines), at the lock's versions;
- the installed dev environment holds the lock's versions.
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from support.paths import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = canonicalize_name(PYPROJECT["project"]["name"])
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)\s*$")


def _pins(path: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements file; anything else that is not a comment fails."""
    pins = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"{path.name}: not an exact pin: {line!r}"
        pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def _parents(path: Path) -> dict[str, set[str]]:
    """Who pulls in each package of a ``uv pip compile`` lock (its ``# via`` annotations)."""
    parents: dict[str, set[str]] = {}
    current = None
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match.group(1))
            parents[current] = set()
            continue
        via = re.match(r"^\s+#\s+(?:via\s+)?([A-Za-z0-9][A-Za-z0-9._-]*)", line)
        if current and via and via.group(1) != "via":
            parents[current].add(canonicalize_name(via.group(1)))
    return parents


def _requirements(group: list[str]) -> dict[str, Requirement]:
    return {canonicalize_name(r.name): r for r in map(Requirement, group)}


RUNTIME_DEPENDENCIES = _requirements(PYPROJECT["project"]["dependencies"])
DEV_DEPENDENCIES = _requirements(PYPROJECT["project"]["optional-dependencies"]["dev"])
LOCK = ROOT / "requirements.lock"
LAYER_REQUIREMENTS = ROOT / "layers" / "drift_core" / "requirements.txt"


@pytest.fixture(scope="module")
def runtime_version(template) -> str:
    runtime = template["Globals"]["Function"]["Runtime"]
    match = re.fullmatch(r"python(\d+\.\d+)", runtime)
    assert match, runtime
    return match.group(1)


def test_every_python_setting_names_the_lambda_runtime(template, runtime_version):
    major, minor = map(int, runtime_version.split("."))
    layer = template["Resources"]["DriftCoreLayer"]["Properties"]
    assert layer["CompatibleRuntimes"] == [f"python{runtime_version}"]
    requires = PYPROJECT["project"]["requires-python"]
    from packaging.specifiers import SpecifierSet

    assert Version(f"{major}.{minor}.0") in SpecifierSet(requires)
    assert Version(f"{major}.{minor + 1}.0") not in SpecifierSet(requires), "one minor version only"
    assert PYPROJECT["tool"]["ruff"]["target-version"] == f"py{major}{minor}"
    makefile = (ROOT / "layers" / "drift_core" / "Makefile").read_text()
    assert re.search(rf"^RUNTIME = {re.escape(runtime_version)}$", makefile, re.MULTILINE)
    assert sys.version_info[:2] == (major, minor), "the tests run on the runtime's Python (make setup)"


def test_the_lock_pins_every_dependency_in_range():
    pins = _pins(LOCK)
    for name, requirement in {**RUNTIME_DEPENDENCIES, **DEV_DEPENDENCIES}.items():
        assert name in pins, f"{name} is in pyproject.toml but not in requirements.lock: run `make lock`"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, outside pyproject's {requirement}: run `make lock`"
        )


def test_the_layer_installs_the_locks_runtime_closure_at_the_same_versions():
    pins, parents = _pins(LOCK), _parents(LOCK)
    assert set(parents) == set(pins)
    closure = set(RUNTIME_DEPENDENCIES)
    while True:
        grown = closure | {name for name, by in parents.items() if by & closure}
        if grown == closure:
            break
        closure = grown
    layer = _pins(LAYER_REQUIREMENTS)
    assert set(layer) == closure, "layers/drift_core/requirements.txt is stale: run `make lock`"
    assert {name: pins[name] for name in closure} == layer


def test_the_closure_reader_follows_via_lines(tmp_path):
    lock = tmp_path / "lock.txt"
    lock.write_text(
        "a==1\n    # via drift-retrain (pyproject.toml)\nb==2\n    # via\n    #   a\n    #   pytest\n"
        "pytest==8\n    # via drift-retrain (pyproject.toml)\n"
    )
    assert _parents(lock) == {"a": {PROJECT}, "b": {"a", "pytest"}, "pytest": {PROJECT}}


def test_the_dev_environment_runs_the_locked_versions():
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()}
    wanted = {name: version for name, version in _pins(LOCK).items() if name in installed}
    assert set(wanted) >= set(RUNTIME_DEPENDENCIES), "make setup installs the runtime dependencies"
    assert {name: installed[name] for name in wanted} == wanted, "stale venv: run `make setup`"
