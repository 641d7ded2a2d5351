"""Shared constants and data builders of the workflow unit tests (imported by name: ``from wf_helpers import ...``)."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pandas as pd

BUCKET = "drift-retrain-data"
REGION = "us-east-1"


def make_frame(rows: int, seed: int = 0, *, concept: int = 0, labelled: bool = True) -> pd.DataFrame:
    """Binary-classification rows: two numeric features, one categorical; ``concept`` flips the rule."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=rows)
    x2 = rng.uniform(-1, 1, size=rows)
    colour = rng.choice(["red", "green", "blue"], size=rows)
    signal = x1 + 0.5 * x2 + np.where(colour == "red", 0.8, 0.0)
    label = (signal > 0).astype(int) if concept == 0 else (signal <= 0).astype(int)
    frame = pd.DataFrame({"x1": x1.round(6), "x2": x2.round(6), "colour": colour, "label": label})
    return frame if labelled else frame.drop(columns=["label"])


def csv_bytes(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    return buffer.getvalue().encode("utf-8")


def list_keys(s3: Any, prefix: str = "") -> list[str]:
    return sorted(
        o["Key"]
        for p in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        for o in p.get("Contents", [])
    )
