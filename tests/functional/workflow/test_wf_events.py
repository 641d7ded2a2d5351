"""The sample events in events/ are what the state machine sends, and every handler accepts its event.

Keys are checked against the definition's ``Payload`` blocks, then each event runs through its handler on
moto with the objects it names staged (the same staging and checks as tests/artifact and tests/sam_local),
so ``sam local invoke -e events/<function>.json`` shows real work.
"""

from __future__ import annotations

import json
import re

import boto3
import pytest
from support.paths import EVENTS, ROOT

from drift_retrain_local.demos.samples import SAMPLE_BUCKET, SAMPLES, StageContext

FOLDERS = {
    "PrepareTrainingDataFunctionArn": "prepare_training_data",
    "EvaluateCandidateFunctionArn": "evaluate_candidate",
    "PromoteModelFunctionArn": "promote_model",
    "NotifyFunctionArn": "notify",
    "AbTestFunctionArn": "ab_test",
}
LAMBDA_TASKS = ("arn:aws:states:::lambda:invoke", "arn:aws:states:::lambda:invoke.waitForTaskToken")


def load(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


def _states() -> list[dict]:
    """Every state of the retrain state machine and of its child state machines, nested ones too."""
    found: list[dict] = []

    def walk(states: dict) -> None:
        for state in states.values():
            found.append(state)
            for branch in state.get("Branches", []):
                walk(branch["States"])
            processor = state.get("ItemProcessor") or state.get("Iterator")
            if processor:
                walk(processor["States"])

    for path in sorted((ROOT / "statemachine").glob("*.asl.json")):
        walk(json.loads(path.read_text())["States"])
    return found


def payload_keys() -> dict[str, set[str]]:
    """Keys per function folder; a function called with an ``action`` (AbTest) has one shape per action,
    under ``<folder>:<action>``."""
    found: dict[str, set[str]] = {}
    for state in _states():
        if state.get("Resource") in LAMBDA_TASKS:
            function = re.fullmatch(r"\$\{(\w+)\}", state["Parameters"]["FunctionName"]).group(1)
            if function not in FOLDERS:  # the partition check's functions: tests/static/test_partition_check
                continue
            payload = state["Parameters"]["Payload"]
            keys = {k.removesuffix(".$") for k in payload}
            shape = FOLDERS[function] + (f":{payload['action']}" if "action" in payload else "")
            assert found.setdefault(shape, keys) == keys, "one payload shape per function (and action)"
    return found


@pytest.mark.parametrize("folder", sorted(FOLDERS.values()))
def test_sample_event_has_the_keys_the_state_machine_sends(folder):
    shapes = payload_keys()
    samples = sorted(EVENTS.glob(f"{folder}*.json"))
    assert samples, f"events/{folder}.json is missing"
    for sample in samples:
        event = json.loads(sample.read_text())
        expected = shapes[folder + (f":{event['action']}" if "action" in event else "")]
        assert set(event) == expected, sample.name


@pytest.fixture()
def event_bucket(clients, monkeypatch):
    clients.s3.create_bucket(Bucket=SAMPLE_BUCKET)
    clients.s3.put_bucket_versioning(Bucket=SAMPLE_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    monkeypatch.setenv("DATA_BUCKET", SAMPLE_BUCKET)
    return SAMPLE_BUCKET


WORKFLOW_SAMPLES = [s for s in SAMPLES if s.function in FOLDERS.values()]


@pytest.mark.parametrize(
    "sample", WORKFLOW_SAMPLES, ids=[s.event.removesuffix(".json") for s in WORKFLOW_SAMPLES]
)
def test_sample_event_runs(clients, event_bucket, load_handler, lambda_context, monkeypatch, sample):
    """Staged and checked as tests/artifact and `sam local invoke` do (drift_retrain_local.demos.samples)."""
    monkeypatch.setenv("TOPIC_ARN", boto3.client("sns").create_topic(Name="t")["TopicArn"])
    event = sample.load()
    staged = sample.stage(StageContext(boto3.client, event_bucket), event)
    result = load_handler(sample.function).lambda_handler(event, lambda_context)
    sample.check(result, event, staged)


def test_events_are_pretty_json():
    for path in EVENTS.glob("*.json"):
        json.loads(path.read_text())


def test_every_sample_event_is_run_by_the_sample_runners():
    """Each events/ file is a runnable case (here, tests/artifact, tests/sam_local), except ValidateSettings',
    whose handler answers at CloudFormation's pre-signed https URL, which no local runner serves (its
    handler is tested with that PUT intercepted: test_wf_settings_validator.py)."""
    unregistered = {path.name for path in EVENTS.glob("*.json")} - {s.event for s in SAMPLES}
    assert unregistered == {"validate_settings.json"}
