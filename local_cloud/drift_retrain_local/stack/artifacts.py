"""The deployment artifact as ``sam build`` lays it out, built without SAM, run and measured.

``sam build`` copies the layer's folder to a scratch directory and runs its Makefile's
``build-DriftCoreLayer`` target there (template: ``BuildMethod: makefile``), and copies each function's
``CodeUri`` to ``.aws-sam/build/<LogicalId>/`` (their requirements.txt are empty: everything comes from
the layer). ``make layer`` and tests/artifact build the same way. :func:`run_handler` and
:func:`cold_import` run a handler in a fresh runtime interpreter whose path holds only what Lambda's
holds: the function's folder, the layer's ``python/`` and the runtime's own boto3.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drift_retrain_local.stack.template import StackTemplate

__all__ = [
    "BUDGET_BYTES",
    "LAYER_ID",
    "Artifacts",
    "HandlerRun",
    "build",
    "build_functions",
    "build_layer",
    "built_at",
    "cold_import",
    "install_runtime",
    "run_handler",
    "tree_bytes",
    "zipped_bytes",
]

REPOSITORY = Path(__file__).resolve().parents[3]
LAYER_ID = "DriftCoreLayer"
LAYER_SOURCE = REPOSITORY / "layers" / "drift_core"
LOCK = REPOSITORY / "requirements.lock"
#: Lambda allows 250 MB (262,144,000 bytes) unzipped for a function and its layers; we stay under 230 MB.
BUDGET_BYTES = 230 * 1000**2
#: What Lambda's Python runtime provides besides the standard library (the layer strips its own copies).
RUNTIME_PACKAGES = ("boto3",)
_TIMEOUT = 900


@dataclass(frozen=True)
class Artifacts:
    """``<root>/DriftCoreLayer/python`` and ``<root>/<FunctionLogicalId>/`` with each handler's name."""

    root: Path
    functions: dict[str, Path]
    handlers: dict[str, str]

    @property
    def layer(self) -> Path:
        return self.root / LAYER_ID / "python"


def _run(args: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        list(args), capture_output=True, text=True, timeout=_TIMEOUT, check=False, **kwargs
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    return result


def build_layer(root: Path, python: str, source: Path = LAYER_SOURCE) -> Path:
    """Build the layer into ``<root>/DriftCoreLayer`` the way ``sam build`` does; returns its ``python/``."""
    out = root.resolve() / LAYER_ID  # make runs in the scratch copy
    shutil.rmtree(out, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="layer-scratch-") as scratch:
        shutil.copytree(
            source, scratch, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".aws-sam", ".git")
        )
        _run(["make", "-C", scratch, f"build-{LAYER_ID}", f"ARTIFACTS_DIR={out}", f"PYTHON={python}"])
    return out / "python"


def build_functions(
    root: Path, template: StackTemplate | None = None
) -> tuple[dict[str, Path], dict[str, str]]:
    """Copy each function's ``CodeUri`` to ``<root>/<LogicalId>/``; (folders, handlers) by logical id."""
    template = template or StackTemplate.from_file(REPOSITORY / "template.yaml")
    folders, handlers = {}, {}
    for function in template.functions():
        target = root / function.logical_id
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(function.code_dir, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        folders[function.logical_id] = target
        handlers[function.logical_id] = function.handler
    return folders, handlers


def build(root: Path, python: str) -> Artifacts:
    """The layer and every function, as ``sam build`` lays them out under ``root``."""
    root = root.resolve()  # handlers run with their own folder as working directory
    root.mkdir(parents=True, exist_ok=True)
    build_layer(root, python)
    folders, handlers = build_functions(root)
    return Artifacts(root, folders, handlers)


def built_at(root: Path, template: StackTemplate | None = None) -> Artifacts:
    """The :class:`Artifacts` that :func:`build` laid out under ``root`` earlier (nothing is built)."""
    root = root.resolve()
    template = template or StackTemplate.from_file(REPOSITORY / "template.yaml")
    functions = list(template.functions())
    return Artifacts(
        root,
        {f.logical_id: root / f.logical_id for f in functions},
        {f.logical_id: f.handler for f in functions},
    )


def install_runtime(dest: Path, python: str, lock: Path = LOCK) -> Path:
    """The runtime's own packages (boto3 and its dependencies) at the lock's versions, compiled."""
    _run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", str(dest),
          "-c", str(lock), *RUNTIME_PACKAGES])  # fmt: skip
    _run([python, "-m", "compileall", "-q", str(dest)])
    return dest


# --------------------------------------------------------------------------------------------------- running
_RUNNER = r"""
import importlib, json, sys, time
handler, event_path, out_path = sys.argv[1:4]
module_name, _, function_name = handler.rpartition(".")
started, cpu = time.perf_counter(), time.process_time()
module = importlib.import_module(module_name)
imported, imported_cpu = time.perf_counter() - started, time.process_time() - cpu

class Context:
    function_name = "local"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:local"
    memory_limit_in_mb = 3008
    aws_request_id = "00000000-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/local"
    log_stream_name = "local"
    def get_remaining_time_in_millis(self):
        return 900000

answer = {"import_seconds": imported, "import_cpu_seconds": imported_cpu, "ok": True}
if event_path:
    try:
        with open(event_path) as handle:
            answer["result"] = getattr(module, function_name)(json.load(handle), Context())
    except Exception as error:
        answer.update(ok=False, error_type=type(error).__name__, error_message=str(error))
with open(out_path, "w") as handle:
    json.dump(answer, handle, default=str)
"""


@dataclass(frozen=True)
class HandlerRun:
    """One run of a handler in a fresh interpreter: its answer, or why it failed."""

    returncode: int
    answer: dict[str, Any]
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and bool(self.answer.get("ok"))

    @property
    def result(self) -> Any:
        return self.answer.get("result")

    def describe(self) -> str:
        if self.answer and not self.answer.get("ok"):
            return f"{self.answer.get('error_type')}: {self.answer.get('error_message')}"
        return f"exit {self.returncode}: {self.stderr[-3000:]}"


def run_handler(
    python: str,
    function_dir: Path,
    layer: Path,
    runtime: Path,
    handler: str = "app.lambda_handler",
    event: Mapping[str, Any] | None = None,
    environment: Mapping[str, str] | None = None,
) -> HandlerRun:
    """Import ``handler`` (and call it with ``event``) in ``python -S`` with Lambda's path and nothing else."""
    with tempfile.TemporaryDirectory(prefix="handler-run-") as work:
        event_path = Path(work) / "event.json"
        out_path = Path(work) / "answer.json"
        if event is not None:
            event_path.write_text(json.dumps(event))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": os.pathsep.join([str(function_dir), str(layer), str(runtime)]),
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "POWERTOOLS_TRACE_DISABLED": "1",  # no X-Ray daemon here
            **(environment or {}),
        }
        args = [
            python,
            "-S",
            "-c",
            _RUNNER,
            handler,
            str(event_path) if event is not None else "",
            str(out_path),
        ]
        done = subprocess.run(
            args, cwd=function_dir, env=env, capture_output=True, text=True, timeout=_TIMEOUT, check=False
        )
        answer = json.loads(out_path.read_text()) if out_path.exists() else {}
    return HandlerRun(done.returncode, answer, done.stderr)


def cold_import(
    python: str,
    function_dir: Path,
    layer: Path,
    runtime: Path,
    handler: str,
    runs: int = 3,
    environment: Mapping[str, str] | None = None,
) -> list[tuple[float, float]]:
    """(wall, CPU) seconds to import ``handler`` in a fresh interpreter, ``runs`` times. The first run after
    a build is the coldest the page cache allows; CPU time is what a busy machine does not inflate."""
    times = []
    for _ in range(runs):
        run = run_handler(python, function_dir, layer, runtime, handler, environment=environment)
        if not run.ok:
            raise RuntimeError(f"{function_dir.name} does not import: {run.describe()}")
        times.append((float(run.answer["import_seconds"]), float(run.answer["import_cpu_seconds"])))
    return times


# ---------------------------------------------------------------------------------------------------- sizes
def tree_bytes(path: Path) -> int:
    """Unzipped size as Lambda counts it: the bytes of every file."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def zipped_bytes(path: Path) -> int:
    """Size of the deflated zip SAM uploads (``python/`` for a layer, the folder's contents for a function)."""
    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            base = path.parent if path.name == "python" else path
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                archive.write(file, file.relative_to(base))
        handle.seek(0, os.SEEK_END)
        return handle.tell()


def _mib(size: int) -> str:
    return f"{size / 1000**2:.1f} MB ({size / 1024**2:.1f} MiB)"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build the layer and functions as `sam build` does; measure them."
    )
    parser.add_argument("--out", type=Path, default=REPOSITORY / ".aws-sam" / "build")
    parser.add_argument("--python", required=True, help="the Lambda runtime's interpreter (python3.12)")
    parser.add_argument("--runs", type=int, default=3, help="cold imports per handler")
    parser.add_argument(
        "--compare-source", action="store_true", help="also time DetectDrift without the .pyc"
    )
    args = parser.parse_args(argv)
    artifacts = build(args.out, args.python)
    layer_bytes = tree_bytes(artifacts.layer)
    largest = max(artifacts.functions.values(), key=tree_bytes)
    total = layer_bytes + tree_bytes(largest)
    print(
        f"layer {artifacts.layer}: {_mib(layer_bytes)} unzipped, {_mib(zipped_bytes(artifacts.layer))} zipped"
    )
    print(f"layer + largest function ({largest.name}): {_mib(total)} of the {_mib(BUDGET_BYTES)} budget")
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (it inflates wall times, not CPU times)"
    )
    with tempfile.TemporaryDirectory(prefix="runtime-") as work:
        runtime = install_runtime(Path(work) / "runtime", args.python)
        for logical_id, folder in sorted(artifacts.functions.items()):
            handler = artifacts.handlers[logical_id]
            times = cold_import(args.python, folder, artifacts.layer, runtime, handler, args.runs)
            print(f"cold import {logical_id}: {_times(times)}")
        if args.compare_source:
            # /opt is read-only on Lambda: without the build's .pyc every cold start compiles from source.
            source = _source_only(artifacts.layer, Path(work) / "source" / "python")
            folder = artifacts.functions["DetectDriftFunction"]
            environment = {"PYTHONDONTWRITEBYTECODE": "1"}
            times = cold_import(
                args.python, folder, source, runtime, "app.lambda_handler", args.runs, environment
            )
            print(f"cold import DetectDriftFunction without the layer's .pyc: {_times(times)}")
    return 0 if total < BUDGET_BYTES else 1


def _source_only(layer: Path, target: Path) -> Path:
    """A copy of the layer without its .pyc (as it was before the build compiled them)."""
    shutil.copytree(layer, target, ignore=shutil.ignore_patterns("__pycache__"))
    return target


def _times(times: list[tuple[float, float]]) -> str:
    walls, cpus = [wall for wall, _ in times], [cpu for _, cpu in times]
    return (
        f"first {walls[0]:.2f} s, median {statistics.median(walls):.2f} s wall, "
        f"median {statistics.median(cpus):.2f} s CPU ({len(times)} runs)"
    )


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
