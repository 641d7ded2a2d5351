"""``local serve``'s files: the committed env.json is what it writes by default, and the template overlay
declares AWS_ENDPOINT_URL (SAM sets only declared variables) and leaves the rest of the template alone."""

from __future__ import annotations

import json
from pathlib import Path

from drift_retrain_local.cli.serve import (
    DEFAULT_CONTAINER_HOST,
    DEFAULT_ENV_FILE,
    DEFAULT_PORT,
    function_environments,
    write_template_overlay,
)
from drift_retrain_local.cloud.local_cloud import REPOSITORY_TEMPLATE
from drift_retrain_local.demos.samples import SAMPLE_BUCKET, SAMPLE_STACK
from drift_retrain_local.run.local_run import LOCAL_SETTINGS
from drift_retrain_local.stack.template import StackTemplate, load_template

DEFAULT_URL = f"http://{DEFAULT_CONTAINER_HOST}:{DEFAULT_PORT}"


def _functions():
    return StackTemplate.from_file(
        REPOSITORY_TEMPLATE, settings=LOCAL_SETTINGS, stack_name=SAMPLE_STACK
    ).functions()


def test_the_committed_env_json_is_what_serve_writes_by_default():
    committed = json.loads(DEFAULT_ENV_FILE.read_text())
    assert committed == function_environments(_functions(), DEFAULT_URL), (
        "regenerate: drift-retrain local serve"
    )


def test_env_json_gives_real_names_and_the_endpoint_to_every_function():
    environments = function_environments(_functions(), DEFAULT_URL)
    assert sorted(environments) == sorted(f.logical_id for f in _functions())
    for variables in environments.values():
        assert variables["DATA_BUCKET"] == SAMPLE_BUCKET  # not the logical name SAM would pass
        assert variables["AWS_ENDPOINT_URL"] == DEFAULT_URL
    assert environments["NotifyFunction"]["TOPIC_ARN"].startswith("arn:aws:sns:us-east-1:")


def test_the_overlay_declares_the_endpoint_in_globals(tmp_path: Path):
    built = tmp_path / "template.yaml"
    built.write_text(REPOSITORY_TEMPLATE.read_text())
    overlay = write_template_overlay(built, "http://local-cloud.test:1234")
    original, written = load_template(built), load_template(overlay)
    variables = written["Globals"]["Function"]["Environment"]["Variables"]
    assert variables.pop("AWS_ENDPOINT_URL") == "http://local-cloud.test:1234"
    assert written == original
