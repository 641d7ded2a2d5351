"""Captured traffic on the local cloud: requests through the champion endpoint, written as Data Capture
files (the layout SageMaker writes), and their labels later as ground-truth files; each upload followed
through MonitorCapture, DetectDrift and any execution it starts (every wait bounded)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from workflow_support import TIMEOUT, Harness

from drift_retrain.engine.encoding import FeatureEncoder, to_csv_rows
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain_local.demos.data import LABEL, features, labelled, rule_a, rule_b

VARIANT = "AllTraffic"
REQUEST_ROWS = 50
WINDOW_ROWS = 600
#: A window closes at 600 rows: one traffic batch is one window.
CAPTURE_SETTINGS = {"monitor_window_rows": WINDOW_ROWS, "min_window_rows": 100}


def traffic(kind: str, seed: int, rows: int = WINDOW_ROWS) -> pd.DataFrame:
    """``stable`` (rule A), ``concept`` (rule B) or ``covariate`` (shifted, rule A): labelled rows."""
    rng = np.random.default_rng(seed)
    rule = rule_b if kind == "concept" else rule_a
    return labelled(features(rows, rng, shifted=kind == "covariate"), rule, rng)


@dataclass
class Sent:
    """One traffic batch sent through the endpoint: its capture key, and each row's join key and label."""

    name: str
    capture_key: str
    keys: list[str] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)


def _captures(harness: Harness) -> bool:
    """Whether the serving endpoint config has Data Capture on (the local endpoint then writes the files)."""
    sagemaker = harness.cloud.client("sagemaker")
    config = sagemaker.describe_endpoint(EndpointName=harness.endpoint)["EndpointConfigName"]
    capture = sagemaker.describe_endpoint_config(EndpointConfigName=config).get("DataCaptureConfig") or {}
    return bool(capture.get("EnableCapture", bool(capture)))


def send(harness: Harness, name: str, frame: pd.DataFrame, hour: str = "2026/12/05/09") -> Sent:
    """Send ``frame``'s rows (labels removed) to the endpoint, 50 per request with an ``inferenceId``.

    With Data Capture on the endpoint config, the local endpoint writes the capture file (flushed here);
    otherwise this writes the file SageMaker would write for those requests, in the ``hour`` folder."""
    real_capture = _captures(harness)
    profile = BaselineProfile.from_json_bytes(
        harness.s3.get_object(Bucket=harness.bucket, Key="baseline/current/profile.json")["Body"].read()
    )
    encoder = FeatureEncoder.from_profile(profile)
    runtime = harness.cloud.client("sagemaker-runtime")
    key = f"capture/{harness.endpoint}/{VARIANT}/{hour}/{name}.jsonl"
    sent = Sent(name, key)
    lines = []
    for start in range(0, len(frame), REQUEST_ROWS):
        part = frame.iloc[start : start + REQUEST_ROWS]
        body = to_csv_rows(encoder.transform(part[profile.schema.feature_names]))
        inference_id = f"{name}-{start // REQUEST_ROWS}"
        answer = runtime.invoke_endpoint(
            EndpointName=harness.endpoint, ContentType="text/csv", Body=body, InferenceId=inference_id
        )
        output = answer["Body"].read().decode()
        record = {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "text/csv",
                    "mode": "INPUT",
                    "data": body,
                    "encoding": "CSV",
                },
                "endpointOutput": {
                    "observedContentType": answer.get("ContentType", "text/csv"),
                    "mode": "OUTPUT",
                    "data": output,
                    "encoding": "CSV",
                },
            },
            "eventMetadata": {
                "eventId": f"event-{inference_id}",
                "inferenceId": inference_id,
                "inferenceTime": f"{hour.replace('/', '-', 2).replace('/', 'T')}:00:00Z",
            },
            "eventVersion": "0",
        }
        lines.append(json.dumps(record))
        sent.keys.append(inference_id)
        sent.labels.extend(int(v) for v in part[LABEL])
    if real_capture:
        assert harness.cloud.sagemaker is not None
        sent.capture_key = harness.cloud.sagemaker.capture.flush(harness.endpoint)[-1]
    else:
        harness.s3.put_object(Bucket=harness.bucket, Key=key, Body=("\n".join(lines) + "\n").encode())
    harness.cloud.events.wait(timeout=TIMEOUT)
    return sent


def send_labels(harness: Harness, sent: Sent, hour: str = "2026/12/06/10") -> str:
    """The ground-truth file of ``sent``'s requests: one record per request, one CSV line per row."""
    lines = []
    for index, key in enumerate(sent.keys):
        rows = sent.labels[index * REQUEST_ROWS : (index + 1) * REQUEST_ROWS]
        data = "\n".join(str(v) for v in rows)
        lines.append(
            json.dumps(
                {
                    "groundTruthData": {"data": data, "encoding": "CSV"},
                    "eventMetadata": {"eventId": key},
                    "eventVersion": "0",
                }
            )
        )
    key = f"ground-truth/{hour}/{sent.name}.jsonl"
    harness.s3.put_object(Bucket=harness.bucket, Key=key, Body=("\n".join(lines) + "\n").encode())
    harness.cloud.events.wait(timeout=TIMEOUT)
    return key


def follow(harness: Harness, key: str) -> dict[str, Any]:
    """DetectDrift's response for a window batch, and the execution it started followed to its end."""
    response = harness.runner.detect(key)
    execution = response.get("execution") or {}
    watched = None
    if execution.get("execution_arn") and not execution.get("duplicate"):
        watched = harness.runner.watch(execution["execution_arn"])
        watched.pop("record")
    return {"response": response, "execution": watched, "report": harness.read_json(response["report_key"])}


def window_key(harness: Harness, window: int) -> str:
    return f"monitor/windows/{harness.endpoint}/{VARIANT}/w{window:06d}.csv"


def labelled_key(harness: Harness, window: int, revision: int = 1) -> str:
    return f"monitor/labelled/{harness.endpoint}/{VARIANT}/w{window:06d}-r{revision:02d}.csv"
