"""``sam local invoke`` of every function with its ``events/`` sample, against ``drift-retrain local serve``.

What SAM does for real: ``sam build`` (the layer through its Makefile, the functions through pip), then
each function in a Lambda container (the stand-in python3.12 image tools/sam-local/setup.sh builds:
Debian, not Amazon Linux 2023), with env.json and template.local.yaml written by ``local serve``, calling
the served local cloud across Docker's bridge. Staging and assertions are the samples' own
(drift_retrain_local.demos.samples), as in the functional and artifact tests. Run by ``make test-sam-local``
(tools/sam-local/test.sh), which skips with a message where Docker cannot run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from support.paths import ROOT

from drift_retrain_local.demos.samples import SAMPLES, Sample, StageContext
from drift_retrain_local.stack.artifacts import build_functions, build_layer

SAM = str(ROOT / "tools" / "sam-local" / "sam.sh")
IMAGE = "public.ecr.aws/lambda/python:3.12-x86_64"
#: The served cloud reacts to incoming/ uploads (DetectDrift, maybe a retrain): that sample runs last.
ORDER = sorted(SAMPLES, key=lambda s: s.event == "prepare_training_data.json")


def _missing() -> str | None:
    if shutil.which("docker") is None or subprocess.run(["docker", "info"], capture_output=True).returncode:
        return "no container engine reachable (tools/sam-local/setup.sh)"
    if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True).returncode:
        return f"no {IMAGE} image (tools/sam-local/setup.sh builds the stand-in)"
    if subprocess.run([SAM, "--version"], capture_output=True).returncode:
        return "no SAM CLI (tools/sam-local/setup.sh installs it)"
    return None


pytestmark = pytest.mark.skipif(_missing() is not None, reason=str(_missing()))


def _bridge_gateway() -> str:
    """This machine's address on Docker's bridge (docker0): where a container finds the served cloud."""
    shown = subprocess.run(["ip", "-4", "-o", "addr", "show", "docker0"], capture_output=True, text=True)
    for field in shown.stdout.split():
        if "/" in field and field[0].isdigit():
            return field.split("/")[0]
    return "172.17.0.1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _runtime_python() -> str:
    return subprocess.run(
        [str(ROOT / "tools" / "find-python.sh"), "3.12"], capture_output=True, text=True, check=True
    ).stdout.strip()


def _runtime_path() -> str:
    """PATH with the runtime's python3.12 first: `sam build` validates it, the layer Makefile uses it."""
    return os.pathsep.join([str(Path(_runtime_python()).parent), os.environ.get("PATH", "")])


def _files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


@dataclass
class Served:
    build: Path
    env_file: Path
    template: Path
    endpoint_url: str
    bucket: str
    environment: dict[str, dict[str, str]]
    path: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    work = tmp_path_factory.mktemp("sam-local")
    path = _runtime_path()
    started = time.monotonic()
    build = subprocess.run(
        [SAM, "build", "--template", str(ROOT / "template.yaml"), "--build-dir", str(work / "build")],
        cwd=ROOT,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    print(f"sam build: {time.monotonic() - started:.0f} s")
    state_file, log = work / "serve.json", (work / "serve.log").open("w")
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "drift-retrain"), "local", "serve", "--port", str(_free_port()),
         "--container-host", _bridge_gateway(), "--env-file", str(work / "env.json"),
         "--sam-template", str(work / "build" / "template.yaml"), "--state-file", str(state_file)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 600
        while not state_file.exists():
            assert server.poll() is None, (work / "serve.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "local serve was not ready within 10 minutes"
            time.sleep(1)
        state = json.loads(state_file.read_text())
        assert state["bootstrap"] == "promoted" and state["template"], state
        yield Served(
            build=work / "build",
            env_file=Path(state["env_file"]),
            template=Path(state["template"]),
            endpoint_url=state["endpoint_url"],
            bucket=state["bucket"],
            environment=json.loads(Path(state["env_file"]).read_text()),
            path=path,
        )
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def _client(served: Served):
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    return lambda service: session.client(service, endpoint_url=served.endpoint_url)


def _invoke(served: Served, sample: Sample) -> dict:
    """``sam local invoke`` of the sample's function; its response (the last JSON line of stdout)."""
    args = [SAM, "local", "invoke", sample.logical_id, "--template", str(served.template),
            "--env-vars", str(served.env_file), "--event", str(ROOT / "events" / sample.event),
            "--skip-pull-image"]  # fmt: skip
    started = time.monotonic()
    done = subprocess.run(
        args, cwd=ROOT, env={**os.environ, "PATH": served.path}, capture_output=True, text=True, timeout=600
    )
    print(f"{sample.event}: sam local invoke {time.monotonic() - started:.1f} s")
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0 and lines, done.stdout[-3000:] + done.stderr[-3000:]
    response = json.loads(lines[-1])
    assert "errorType" not in response, f"{response}\n{done.stderr[-3000:]}"
    return response


@pytest.mark.parametrize("sample", ORDER, ids=[s.event.removesuffix(".json") for s in ORDER])
def test_sam_local_invoke_runs_every_sample(served: Served, sample: Sample):
    event = sample.load()
    context = StageContext(_client(served), served.bucket, served.environment[sample.logical_id])
    staged = sample.stage(context, event)
    sample.check(_invoke(served, sample), event, staged)


def test_make_layer_builds_what_sam_build_builds(served: Served, tmp_path: Path):
    """`make layer` (drift_retrain_local.stack.artifacts, which tests/artifact runs) = `sam build`, file for file."""
    ours = build_layer(tmp_path, _runtime_python())
    assert _files(ours) == _files(served.build / "DriftCoreLayer" / "python")
    folders, _ = build_functions(tmp_path)
    for logical_id, folder in folders.items():
        assert _files(folder) == _files(served.build / logical_id), logical_id
