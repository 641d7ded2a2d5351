"""The sample events in events/ are what the state machine sends, and every handler accepts its event.

Keys are checked against the definition's ``Payload`` blocks, then each event runs through its handler on
moto with the objects it names staged, so ``sam local invoke -e events/<function>.json`` shows real work.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import boto3
import numpy as np
import pytest
from wf_helpers import ROOT, make_frame

from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.schema import infer_schema

EVENTS = ROOT / "events"
EVENT_BUCKET = "drift-retrain-databucket-1q2w3e4r5t6y"
FOLDERS = {
    "PrepareTrainingDataFunctionArn": "prepare_training_data",
    "EvaluateCandidateFunctionArn": "evaluate_candidate",
    "PromoteModelFunctionArn": "promote_model",
    "NotifyFunctionArn": "notify",
}


def load(name: str) -> dict:
    return json.loads((EVENTS / name).read_text())


def payload_keys() -> dict[str, set[str]]:
    definition = json.loads((ROOT / "statemachine" / "retrain.asl.json").read_text())
    found: dict[str, set[str]] = {}
    for state in definition["States"].values():
        if state.get("Resource") == "arn:aws:states:::lambda:invoke":
            function = re.fullmatch(r"\$\{(\w+)\}", state["Parameters"]["FunctionName"]).group(1)
            keys = {k.removesuffix(".$") for k in state["Parameters"]["Payload"]}
            assert found.setdefault(FOLDERS[function], keys) == keys, "one payload shape per function"
    return found


@pytest.mark.parametrize("folder", sorted(FOLDERS.values()))
def test_sample_event_has_the_keys_the_state_machine_sends(folder):
    expected = payload_keys()[folder]
    samples = sorted(EVENTS.glob(f"{folder}*.json"))
    assert samples, f"events/{folder}.json is missing"
    for sample in samples:
        assert set(json.loads(sample.read_text())) == expected, sample.name


@pytest.fixture()
def event_bucket(aws, monkeypatch):
    aws.s3.create_bucket(Bucket=EVENT_BUCKET)
    monkeypatch.setenv("DATA_BUCKET", EVENT_BUCKET)
    return EVENT_BUCKET


def _put(s3, key: str, body: bytes) -> None:
    s3.put_object(Bucket=EVENT_BUCKET, Key=key, Body=body)


def test_prepare_training_data_event_runs(aws, event_bucket, to_csv, load_handler, lambda_context):
    frame = make_frame(800, seed=1)
    _put(
        aws.s3,
        "baseline/current/profile.json",
        build_profile(frame, infer_schema(frame, label="label")).to_json_bytes(),
    )
    event = load("prepare_training_data.json")
    event["trigger"]["batch"]["version_id"] = None  # moto assigns its own version ids
    _put(aws.s3, "incoming/x.csv", to_csv(make_frame(1234, seed=2, concept=1)))
    result = load_handler("prepare_training_data").lambda_handler(event, lambda_context)
    assert result["rows"]["test"] == 247


def test_prepare_training_data_bootstrap_event_runs(aws, event_bucket, to_csv, load_handler, lambda_context):
    _put(aws.s3, "seed/initial.csv", to_csv(make_frame(1000, seed=1)))
    result = load_handler("prepare_training_data").lambda_handler(
        load("prepare_training_data_bootstrap.json"), lambda_context
    )
    assert result["champion_profile_found"] is False


def test_evaluate_candidate_event_runs(aws, event_bucket, load_handler, lambda_context):
    event = load("evaluate_candidate.json")
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 247)
    outputs = [
        (event["transforms"]["candidates"][0]["output_uri"], labels * 0.9 + 0.05),
        (event["transforms"]["candidates"][1]["output_uri"], np.where(labels[::-1] > 0, 0.8, 0.2)),
        (event["transforms"]["champion"]["output_uri"], rng.uniform(size=247)),
    ]
    for uri, predictions in outputs:
        key = uri.split("/", 3)[3] + "test.csv.out"
        _put(
            aws.s3, key, "".join(f"{y},{p:.4f}\n" for y, p in zip(labels, predictions, strict=True)).encode()
        )
    result = load_handler("evaluate_candidate").lambda_handler(event, lambda_context)
    assert result["decision"] == "promote" and result["winner"]["strategy"] == "since_change"


def test_promote_model_event_runs(aws, event_bucket, to_csv, load_handler, lambda_context):
    event = load("promote_model.json")
    frame = make_frame(500, seed=3)
    winner = event["evaluation"]["winner"]
    _put(
        aws.s3,
        winner["candidate_profile"]["key"],
        build_profile(frame, infer_schema(frame, label="label")).to_json_bytes(),
    )
    _put(aws.s3, winner["raw_training_data"]["key"], gzip.compress(to_csv(frame)))
    result = load_handler("promote_model").lambda_handler(event, lambda_context)
    assert result["model_package_arn"].endswith("/1")


@pytest.mark.parametrize("name", ["notify.json", "notify_promoted.json"])
def test_notify_events_run(aws, load_handler, lambda_context, monkeypatch, name):
    monkeypatch.setenv("TOPIC_ARN", boto3.client("sns").create_topic(Name="t")["TopicArn"])
    result = load_handler("notify").lambda_handler(load(name), lambda_context)
    assert result["message_id"] and result["outcome"] == load(name)["outcome"]


def test_events_are_pretty_json():
    for path in Path(EVENTS).glob("*.json"):
        json.loads(path.read_text())
