"""A small population with the column shapes that trip drift detectors, for calibration and power."""

from __future__ import annotations

import numpy as np
import pandas as pd

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.drift import feature_drift
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.schema import ColumnSpec, Schema

SCHEMA = Schema(
    columns=(
        ColumnSpec("normal", "numeric"),
        ColumnSpec("zero_inflated", "numeric"),
        ColumnSpec("counts", "numeric"),
        ColumnSpec("plan", "categorical"),
        ColumnSpec("merchant", "categorical"),
    ),
    label="y",
    task="binary",
    classes=("0", "1"),
)
PLANS = np.array(["basic", "plus", "premium", "family", "legacy"])
PLAN_SHARES = np.array([0.5, 0.3, 0.15, 0.045, 0.005])
MERCHANTS = np.array([f"m{i:03d}" for i in range(300)])
MERCHANT_SHARES = (lambda w: w / w.sum())(1.0 / np.arange(1, 301) ** 1.1)  # long tail


def population(
    rows: int,
    rng: np.random.Generator,
    *,
    mean_shift: float = 0.0,
    new_plan: float = 0.0,
    missing_rate: float = 0.02,
) -> pd.DataFrame:
    """Rows of the population; optional shifts: ``normal`` mean (in sigmas), a new ``plan`` category
    taking ``new_plan`` of the rows, and the missing rate of ``normal``."""
    normal = rng.normal(mean_shift, 1.0, rows)
    normal[rng.random(rows) < missing_rate] = np.nan
    zero_inflated = np.where(rng.random(rows) < 0.3, 0.0, np.round(rng.exponential(2.0, rows), 2))
    counts = rng.poisson(3.0, rows).astype(float)
    plan = rng.choice(PLANS, rows, p=PLAN_SHARES).astype(object)
    if new_plan:
        plan[rng.random(rows) < new_plan] = "student"
    merchant = rng.choice(MERCHANTS, rows, p=MERCHANT_SHARES).astype(object)
    merchant[rng.random(rows) < 0.01] = None
    label = (rng.random(rows) < 0.3).astype(int)
    return pd.DataFrame(
        {
            "y": label,
            "normal": normal,
            "zero_inflated": zero_inflated,
            "counts": counts,
            "plan": plan,
            "merchant": merchant,
        }
    )


def baseline_profile(rows: int, seed: int):
    return build_profile(population(rows, np.random.default_rng(seed)), SCHEMA)


def drifted_columns(profile, frame: pd.DataFrame, config: DriftConfig | None = None) -> list[str]:
    return [f.name for f in feature_drift(profile, frame, config or DriftConfig()) if f.drifted]
