"""Data Capture and ground-truth files as SageMaker and a labelling job write them, for the monitor tests.

Named uniquely (not ``helpers``) because pytest's default import mode puts each test folder on sys.path.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd


def capture_records(
    frame: pd.DataFrame,
    features: list[str],
    scores: np.ndarray,
    *,
    prefix: str,
    time: str = "2026-12-05T09:00:00Z",
    inference_ids: bool = False,
) -> list[str]:
    """One record per row: the features as a CSV body, XGBoost's probability as the output."""
    lines = []
    for i, (row, score) in enumerate(zip(frame[features].itertuples(index=False), scores, strict=True)):
        metadata: dict[str, Any] = {"eventId": f"{prefix}-{i}", "inferenceTime": time}
        if inference_ids:
            metadata["inferenceId"] = f"inf-{prefix}-{i}"
        record = {
            "captureData": {
                "endpointInput": {
                    "observedContentType": "text/csv",
                    "mode": "INPUT",
                    "data": ",".join(str(v) for v in row),
                    "encoding": "CSV",
                },
                "endpointOutput": {
                    "observedContentType": "text/csv; charset=utf-8",
                    "mode": "OUTPUT",
                    "data": f"{float(score):.6f}",
                    "encoding": "CSV",
                },
            },
            "eventMetadata": metadata,
            "eventVersion": "0",
        }
        lines.append(json.dumps(record))
    return lines


def truth_records(keys: list[str], labels: list[Any]) -> list[str]:
    return [
        json.dumps(
            {
                "groundTruthData": {"data": str(label), "encoding": "CSV"},
                "eventMetadata": {"eventId": key},
                "eventVersion": "0",
            }
        )
        for key, label in zip(keys, labels, strict=True)
    ]


def jsonl(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")
