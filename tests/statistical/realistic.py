"""Columns every real table has, for calibration and power: IDs, dates, SKUs, skewed and sparse numbers.

The issue-11 setup (a 100k-row baseline with a Gaussian, a lognormal, counts, a bimodal column, a
boolean, a 90%-missing column, ``user_id`` with 5,000 uniform levels and a ``date`` with 1,200 levels)
plus a 50,000-level Zipf ``sku`` (hashed in the profile), the same dates offered as a plain category
(``day``), and a nearly unique ``order_id`` (inferred as an ID). Roles are inferred as a new user's
would be; ``day`` is forced to a categorical feature by the schema file's role.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.drift import feature_drift
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.schema import infer_schema

__all__ = [
    "USER_IDS",
    "baseline",
    "batch",
    "drifted",
    "profile_of",
]


USER_IDS = np.array([f"u{i:05d}" for i in range(5_000)], dtype=object)
SKUS = np.array([f"sku-{i:06d}" for i in range(50_000)], dtype=object)
SKU_SHARES = (lambda w: w / w.sum())(1.0 / np.arange(1, 50_001) ** 1.1)
DATES = np.array([str(d.date()) for d in pd.date_range("2021-01-01", periods=1_200, freq="D")], dtype=object)
OVERRIDES = {"columns": {"day": "feature"}}


def batch(
    rows: int,
    rng: np.random.Generator,
    *,
    unseen_ids: float = 0.0,
    hot_ids: float = 0.0,
) -> pd.DataFrame:
    """Rows of the population. ``unseen_ids``: that share of rows get a ``user_id`` never seen before
    (each a new user); ``hot_ids``: that share of rows move onto 50 existing ids (bots, say)."""
    users = USER_IDS[rng.integers(0, len(USER_IDS), rows)]
    if unseen_ids:
        new = rng.random(rows) < unseen_ids
        users[new] = [f"new-{k}" for k in rng.integers(0, 10**12, int(new.sum()))]
    if hot_ids:
        hot = rng.random(rows) < hot_ids
        users[hot] = USER_IDS[rng.integers(0, 50, int(hot.sum()))]
    sparse = rng.normal(10.0, 2.0, rows)
    sparse[rng.random(rows) < 0.9] = np.nan
    dates = DATES[rng.integers(0, len(DATES), rows)]
    return pd.DataFrame(
        {
            "y": (rng.random(rows) < 0.3).astype(int),
            "gaussian": rng.normal(0.0, 1.0, rows),
            "lognormal": rng.lognormal(3.0, 1.0, rows),
            "counts": rng.poisson(2.0, rows).astype(float),
            "bimodal": np.where(rng.random(rows) < 0.5, rng.normal(-2, 1, rows), rng.normal(2, 1, rows)),
            "flag": rng.random(rows) < 0.2,
            "sparse": sparse,
            "user_id": users,
            "date": dates,
            "day": dates.copy(),
            "sku": SKUS[rng.choice(len(SKUS), rows, p=SKU_SHARES)],
            "order_id": [f"o{k}" for k in rng.integers(0, 10**12, rows)],
        }
    )


def baseline(rows: int, seed: int) -> pd.DataFrame:
    return batch(rows, np.random.default_rng(seed))


def profile_of(frame: pd.DataFrame):
    return build_profile(frame, infer_schema(frame, label="y", overrides=OVERRIDES))


def drifted(profile, frame: pd.DataFrame, config: DriftConfig | None = None) -> list[str]:
    return [f.name for f in feature_drift(profile, frame, config or DriftConfig()) if f.drifted]
