"""What is deployed is what is imported: every handler imports in a fresh runtime interpreter with only the
runtime's boto3, the built layer and the function's folder on the path.

This caught the layer's trim deleting ``numpy/_core/tests``, which ``scipy.stats`` imported under numpy 2.2:
two of the five handlers failed at import on Lambda while every other test passed (test_trim_guard.py
rebuilds that layer and shows this check failing on it).
"""

from __future__ import annotations

import subprocess

import pytest

from drift_retrain_local.stack.artifacts import run_handler

FUNCTIONS = [
    "AbTestFunction",
    "CheckPartitionFunction",
    "DetectDriftFunction",
    "EvaluateCandidateFunction",
    "MonitorCaptureFunction",
    "NotifyFunction",
    "PrepareTrainingDataFunction",
    "PromoteModelFunction",
    "SummarisePartFunction",
    "ValidateSettingsFunction",
]


def test_the_build_has_every_function_of_the_template(built):
    assert sorted(built.functions) == FUNCTIONS


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_every_handler_imports_from_the_built_layer(built, runtime, runtime_python, logical_id):
    folder = built.functions[logical_id]
    run = run_handler(runtime_python, folder, built.layer, runtime, built.handlers[logical_id])
    assert run.ok, run.describe()


def test_the_layer_ships_the_package_and_not_the_tools(built):
    layer = built.layer
    assert (layer / "drift_retrain" / "detect" / "service.py").is_file()
    assert not (layer / "drift_retrain_local").exists()
    # Lambda's runtime provides boto3: the layer's own copy is trimmed.
    assert not (layer / "boto3").exists() and not (layer / "botocore").exists()


def test_the_layer_is_compiled_for_the_runtime(built, runtime_python):
    """/opt is read-only on Lambda: without these .pyc every cold start compiles from source."""
    tag = subprocess.run(
        [runtime_python, "-c", "import sys; print(sys.implementation.cache_tag)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    sources = list((built.layer / "drift_retrain").rglob("*.py"))
    compiled = [s for s in sources if (s.parent / "__pycache__" / f"{s.stem}.{tag}.pyc").exists()]
    assert sources and compiled == sources
    assert (built.layer / "scipy" / "stats" / "__pycache__" / f"__init__.{tag}.pyc").exists()
    # tracebacks name the file where Lambda mounts the layer, not the build directory
    pyc = sources[0].parent / "__pycache__" / f"{sources[0].stem}.{tag}.pyc"
    filename = subprocess.run(
        [
            runtime_python,
            "-c",
            "import marshal, sys; print(marshal.loads(open(sys.argv[1], 'rb').read()[16:]).co_filename)",
            str(pyc),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert filename == "/opt/python/" + str(sources[0].relative_to(built.layer))
