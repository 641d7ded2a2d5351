"""A small binary profile (numeric ``x``, ``y``; categorical ``color``) and capture record builders."""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.performance import HoldoutPerformance
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.schema import infer_schema


def training_frame(rows: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    return pd.DataFrame(
        {
            "label": (x + rng.normal(scale=0.5, size=rows) > 0).astype(int),
            "x": x,
            "y": rng.uniform(0, 10, size=rows),
            "color": rng.choice(["blue", "green", "red"], size=rows),
        }
    )


def binary_profile(holdout_rate: float = 0.2):
    frame = training_frame()
    schema = infer_schema(frame, label="label")
    holdout = HoldoutPerformance("binary", 1000, round(1000 * holdout_rate))
    return build_profile(frame, schema, holdout=holdout, metadata={"algorithm": "xgboost"})


def body(data: str, content_type: str, encoding: str, mode: str) -> dict[str, Any]:
    if encoding == "BASE64":
        data = base64.b64encode(data.encode()).decode()
    return {"observedContentType": content_type, "mode": mode, "data": data, "encoding": encoding}


def capture_line(
    input_data: str | None,
    output_data: str | None,
    *,
    event_id: str = "e1",
    inference_id: str | None = None,
    in_type: str = "text/csv",
    out_type: str = "text/csv; charset=utf-8",
    in_encoding: str = "CSV",
    out_encoding: str = "CSV",
    time: str = "2026-12-05T09:00:00Z",
) -> str:
    """One Data Capture record, laid out as in the SageMaker developer guide."""
    capture: dict[str, Any] = {}
    if input_data is not None:
        capture["endpointInput"] = body(input_data, in_type, in_encoding, "INPUT")
    if output_data is not None:
        capture["endpointOutput"] = body(output_data, out_type, out_encoding, "OUTPUT")
    metadata = {"eventId": event_id, "inferenceTime": time}
    if inference_id is not None:
        metadata["inferenceId"] = inference_id
    return json.dumps({"captureData": capture, "eventMetadata": metadata, "eventVersion": "0"})


def truth_line(key: str, data: str, encoding: str = "CSV") -> str:
    """One ground-truth record, as in "Merge captured data with ground truth"."""
    if encoding == "BASE64":
        data = base64.b64encode(data.encode()).decode()
    return json.dumps(
        {
            "groundTruthData": {"data": data, "encoding": encoding},
            "eventMetadata": {"eventId": key},
            "eventVersion": "0",
        }
    )


def multiclass_profile():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"label": rng.choice(["a", "b", "c"], size=600), "x": rng.normal(size=600)})
    return build_profile(frame, infer_schema(frame, label="label"))


def regression_profile():
    rng = np.random.default_rng(2)
    x = rng.normal(size=600)
    frame = pd.DataFrame({"target": 2 * x + rng.normal(size=600), "x": x})
    return build_profile(frame, infer_schema(frame, label="target", overrides={"task": "regression"}))
