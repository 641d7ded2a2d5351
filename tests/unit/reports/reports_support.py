"""Fixed reports for the renderer tests: a real check of a made-up batch against a made-up profile."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from drift_retrain.engine.check import run_check
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.performance import HoldoutPerformance
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.schema import infer_schema


def make_frame(
    rows: int, seed: int, *, shift: float = 0.0, new_region: float = 0.0, numeric: int = 3
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = {"label": rng.integers(0, 2, rows)}
    for i in range(numeric):
        data[f"x{i}"] = rng.normal(loc=shift if i == 0 else 0.0, size=rows)
    regions = np.array(["north", "south", "east"], dtype=object)[rng.integers(0, 3, rows)]
    regions[rng.random(rows) < new_region] = "central"
    data["region"] = regions
    return pd.DataFrame(data)


def check(frame: pd.DataFrame, baseline: pd.DataFrame, *, wrong: float = 0.05, seed: int = 0) -> dict:
    """The JSON report of ``frame`` against a profile of ``baseline``; the champion gets ``wrong`` wrong."""
    profile = build_profile(
        baseline, infer_schema(baseline, label="label"), holdout=HoldoutPerformance("binary", 1000, 50)
    )
    rng = np.random.default_rng(seed + 100)
    labels = frame["label"].to_numpy()
    flip = rng.random(len(labels)) < wrong
    predictions = np.where(flip, 1 - labels, labels).astype(float)

    def predictor(rows: pd.DataFrame) -> np.ndarray:
        return predictions[rows.index.to_numpy()]

    body = io.BytesIO(frame.to_csv(index=False).encode())
    return run_check(body, profile, DriftConfig(seed=seed), predictor=predictor, batch_id="b-1").to_dict()
