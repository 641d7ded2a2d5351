"""The import check catches a trim that deletes what a handler imports.

The layer once shipped numpy 2.2.6 / scipy 1.16.3 / pandas 2.3.2 (manylinux2014 wheels; pandas 2 also
needs pytz and tzdata) with every
``tests`` folder deleted; numpy 2.2's ``numpy.testing`` imports ``numpy._core.tests._natype`` and
``scipy.stats`` reaches it, so DetectDrift failed at import on Lambda. This fixture rebuilds that layer on
top of the real build (those three libraries swapped in, then trimmed the old way) and runs the same check
as test_layer_imports.py: it fails, naming the module; without the trim, the same layer imports.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from drift_retrain_local.stack.artifacts import run_handler

OLD_PINS = ["numpy==2.2.6", "scipy==1.16.3", "pandas==2.3.2", "pytz==2025.2", "tzdata==2025.2"]
SWAPPED = ("numpy", "numpy.libs", "scipy", "scipy.libs", "pandas", "pandas.libs", "pytz", "tzdata")


def _old_libraries(runtime_python: str, target: Path) -> Path:
    """The old numpy/scipy/pandas as pip installs them (untrimmed)."""
    old = target / "old"
    subprocess.run(
        [runtime_python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
         "--no-compile", "--target", str(old), "--platform", "manylinux2014_x86_64", "--python-version", "3.12",
         "--implementation", "cp", "--only-binary=:all:", *OLD_PINS],
        check=True, capture_output=True, timeout=900,
    )  # fmt: skip
    return old


def _trimmed(old: Path, target: Path) -> Path:
    """A copy of ``old`` (hard links: the install itself is untouched) with every ``tests`` folder deleted."""
    trimmed = target / "old-trimmed"
    shutil.copytree(old, trimmed, symlinks=True, copy_function=os.link)
    for tests in [p for p in trimmed.rglob("tests") if p.is_dir()]:
        shutil.rmtree(tests, ignore_errors=True)
    return trimmed


def _layer_with(built, libraries: Path, layer: Path) -> Path:
    """The built layer (symlinked) with ``libraries``' numpy/scipy/pandas in place of its own."""
    layer.mkdir()
    for entry in built.layer.iterdir():
        if entry.name.split("-")[0] not in SWAPPED:
            (layer / entry.name).symlink_to(entry)
    for entry in libraries.iterdir():
        if entry.name.split("-")[0] in SWAPPED:
            (layer / entry.name).symlink_to(entry)
    return layer


@pytest.fixture(scope="module")
def old_layers(built, runtime_python, tmp_path_factory) -> dict[bool, Path]:
    """The old libraries installed once: trimmed the old way (True) and as installed (False)."""
    target = tmp_path_factory.mktemp("old-libraries")
    old = _old_libraries(runtime_python, target)
    return {
        True: _layer_with(built, _trimmed(old, target), target / "layer-trimmed"),
        False: _layer_with(built, old, target / "layer"),
    }


def test_the_import_check_fails_on_the_layer_that_broke_detect_drift(
    built, runtime, runtime_python, old_layers
):
    folder = built.functions["DetectDriftFunction"]
    run = run_handler(runtime_python, folder, old_layers[True], runtime, "app.lambda_handler")
    assert not run.ok
    assert "No module named 'numpy._core.tests'" in run.stderr


def test_the_same_libraries_untrimmed_import(built, runtime, runtime_python, old_layers):
    folder = built.functions["DetectDriftFunction"]
    run = run_handler(runtime_python, folder, old_layers[False], runtime, "app.lambda_handler")
    assert run.ok, run.describe()
