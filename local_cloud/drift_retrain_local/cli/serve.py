"""``drift-retrain local serve``: the local cloud as a long-running server, for ``sam local invoke``.

Starts the local cloud on a fixed port on every interface (a Lambda container reaches it at the Docker
bridge's gateway), deploys the stack ``drift-retrain`` from template.yaml and bootstraps a first model on
the samples' data (``seed/`` through the state machine, as a first deployment does). Then it writes what
SAM needs to point the functions at it, and serves until interrupted:

- ``env.json`` for ``--env-vars``: per function, the template's variables with the local stack's physical
  names (SAM passes ``!Ref``/``!GetAtt`` values as logical names, ``DATA_BUCKET=DataBucket``), the
  endpoint and dummy credentials;
- ``template.local.yaml`` beside the built template (``sam build``'s ``.aws-sam/build/template.yaml``): the
  same template with ``AWS_ENDPOINT_URL`` declared in ``Globals`` (SAM sets only the variables a template
  declares, plus its own ``AWS_*`` list).
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from drift_retrain_local.cloud.local_cloud import REPOSITORY_TEMPLATE, local_cloud
from drift_retrain_local.demos.samples import SAMPLE_STACK, sample_frame
from drift_retrain_local.run.batches import BatchRunner
from drift_retrain_local.run.local_run import LOCAL_SETTINGS
from drift_retrain_local.stack.template import DEFAULT_REGION, FunctionSpec, load_template

__all__ = [
    "DEFAULT_CONTAINER_HOST",
    "DEFAULT_PORT",
    "function_environments",
    "serve",
    "write_env_file",
    "write_template_overlay",
]

REPOSITORY = REPOSITORY_TEMPLATE.parent
DEFAULT_PORT = 5000
#: Docker's default bridge gateway on Linux: where a container finds the host.
DEFAULT_CONTAINER_HOST = "172.17.0.1"
DEFAULT_ENV_FILE = REPOSITORY / "env.json"
DEFAULT_SAM_TEMPLATE = REPOSITORY / ".aws-sam" / "build" / "template.yaml"
SEED_KEY = "seed/train.csv"
#: Credentials the local cloud accepts (moto takes any); never real ones.
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": DEFAULT_REGION,
    "AWS_DEFAULT_REGION": DEFAULT_REGION,
}

Echo = Callable[[str], None]


def function_environments(functions: Iterable[FunctionSpec], endpoint_url: str) -> dict[str, dict[str, str]]:
    """``env.json``'s content: per function logical id, its variables as the local stack resolves them."""
    return {
        function.logical_id: {
            **function.environment,
            **LOCAL_CREDENTIALS,
            "AWS_ENDPOINT_URL": endpoint_url,
        }
        for function in sorted(functions, key=lambda f: f.logical_id)
    }


def write_env_file(path: Path, environments: Mapping[str, Mapping[str, str]]) -> Path:
    path.write_text(json.dumps(environments, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path


def write_template_overlay(built_template: Path, endpoint_url: str) -> Path:
    """``template.local.yaml`` beside ``built_template``, with ``AWS_ENDPOINT_URL`` in ``Globals``."""
    document = load_template(built_template)
    function = document.setdefault("Globals", {}).setdefault("Function", {})
    variables = function.setdefault("Environment", {}).setdefault("Variables", {})
    variables["AWS_ENDPOINT_URL"] = endpoint_url
    overlay = built_template.parent / "template.local.yaml"
    header = (
        f"# Written by `drift-retrain local serve` from {built_template.name}: AWS_ENDPOINT_URL points every\n"
        "# function at the local cloud. Use with: sam local invoke -t <this file> --env-vars env.json\n"
    )
    overlay.write_text(header + yaml.safe_dump(document, sort_keys=False, width=120), encoding="utf-8")
    return overlay


def serve(
    *,
    port: int = DEFAULT_PORT,
    host: str = "0.0.0.0",
    container_host: str = DEFAULT_CONTAINER_HOST,
    env_file: Path = DEFAULT_ENV_FILE,
    sam_template: Path = DEFAULT_SAM_TEMPLATE,
    bootstrap: bool = True,
    state_file: Path | None = None,
    echo: Echo = print,
    stop: threading.Event | None = None,
    timeout: float = 900.0,
) -> dict[str, Any]:
    """Run the local cloud until ``stop`` is set (or SIGINT/SIGTERM); returns what was served.

    ``state_file`` (JSON: endpoint, bucket, files written) is written once everything is ready, for
    scripts that wait on the server.
    """
    stop = stop or _stop_on_signals()
    container_url = f"http://{container_host}:{port}"
    with local_cloud(settings=LOCAL_SETTINGS, stack_name=SAMPLE_STACK, host=host, port=port) as cloud:
        echo(f"Local cloud on {host}:{port} (containers: {container_url}); stack {SAMPLE_STACK} deployed")
        state: dict[str, Any] = {
            "endpoint_url": cloud.aws.endpoint_url,
            "container_endpoint_url": container_url,
            "bucket": cloud.stack.bucket,
            "bootstrap": None,
            # `drift-retrain redrive --function <this>` (with AWS_ENDPOINT_URL) reads its failure queue.
            "detect_drift_function": cloud.stack.function("DetectDriftFunction").name,
            "failure_queue_url": cloud.stack.queues.get("DetectDriftFailureQueue"),
        }
        if bootstrap:
            cloud.client("s3").put_object(
                Bucket=cloud.stack.bucket,
                Key=SEED_KEY,
                Body=sample_frame(4000, seed=1).to_csv(index=False).encode(),
            )
            entry = BatchRunner(cloud, echo, timeout).bootstrap_key(SEED_KEY)
            state["bootstrap"] = entry["outcome"]
        state["env_file"] = str(
            write_env_file(env_file, function_environments(cloud.stack.functions.values(), container_url))
        )
        if sam_template.is_file():
            state["template"] = str(write_template_overlay(sam_template, container_url))
        else:
            state["template"] = None
            echo(f"No {sam_template}: run `sam build`, then restart to write template.local.yaml beside it")
        if state_file is not None:
            state_file.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        echo(
            f"Ready: env {state['env_file']}, template {state['template']}, first model: {state['bootstrap']}"
        )
        stop.wait()
        echo("Stopping the local cloud")
    return state


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop
