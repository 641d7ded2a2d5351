"""Columns every real table has, for calibration and power: IDs, dates, SKUs, skewed and sparse numbers.

The issue-11 setup (a 100k-row baseline with a Gaussian, a lognormal, counts, a bimodal column, a
boolean, a 90%-missing column, ``user_id`` with 5,000 uniform levels and a ``date`` with 1,200 levels)
plus a zero-inflated amount, a 5-level ``plan`` with a 0.5% level, a 300-level long-tailed ``merchant``
with 1% missing, a 50,000-level Zipf ``sku`` (hashed in the profile), the same dates offered as a plain
category (``day``), and a nearly unique ``order_id`` (inferred as an ID); the label ``y`` is tested
with them, as a check does. Roles are inferred as a new
user's would be; ``day`` is made a categorical feature by the schema file's role.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.drift import batch_drift
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.schema import infer_schema

__all__ = [
    "KINDS",
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
PLANS = np.array(["basic", "plus", "premium", "family", "legacy"], dtype=object)
PLAN_SHARES = np.array([0.5, 0.3, 0.15, 0.045, 0.005])
MERCHANTS = np.array([f"m{i:03d}" for i in range(300)], dtype=object)
MERCHANT_SHARES = (lambda w: w / w.sum())(1.0 / np.arange(1, 301) ** 1.1)
OVERRIDES = {"columns": {"day": "feature"}}
#: What each column is, for tables.
KINDS = {
    "gaussian": "numeric, Gaussian, 2% missing",
    "lognormal": "numeric, lognormal",
    "counts": "numeric, Poisson counts",
    "bimodal": "numeric, bimodal",
    "zero_inflated": "numeric, 30% zeros + exponential",
    "sparse": "numeric, 90% missing",
    "flag": "boolean",
    "plan": "categorical, 5 levels (one at 0.5%)",
    "merchant": "categorical, 300 levels Zipf, 1% missing",
    "user_id": "categorical, 5,000 levels uniform",
    "day": "categorical, 1,200 dates as levels",
    "sku": "categorical, 50,000 levels Zipf (hashed)",
    "date": "date, 1,200 days (timestamp role, inferred)",
    "order_id": "ID, unique per row (id role, inferred)",
    "y": "label, binary (30% ones), in the same family",
}


def batch(
    rows: int,
    rng: np.random.Generator,
    *,
    column: str = "user_id",
    unseen: float = 0.0,
    hot: float = 0.0,
) -> pd.DataFrame:
    """Rows of the population. In ``column`` (``user_id`` or ``sku``): ``unseen`` is the share of rows
    given a level never seen before (each a new user or product); ``hot`` the share of rows moved onto 50
    existing levels (bots hammering 50 accounts, one supplier's 50 products flooding the orders)."""
    users = USER_IDS[rng.integers(0, len(USER_IDS), rows)]
    skus = SKUS[rng.choice(len(SKUS), rows, p=SKU_SHARES)]
    target = users if column == "user_id" else skus
    pool = USER_IDS[:50] if column == "user_id" else SKUS[1_000:1_050]
    if unseen:
        new = rng.random(rows) < unseen
        target[new] = [f"new-{k}" for k in rng.integers(0, 10**12, int(new.sum()))]
    if hot:
        moved = rng.random(rows) < hot
        target[moved] = pool[rng.integers(0, len(pool), int(moved.sum()))]
    gaussian = rng.normal(0.0, 1.0, rows)
    gaussian[rng.random(rows) < 0.02] = np.nan
    sparse = rng.normal(10.0, 2.0, rows)
    sparse[rng.random(rows) < 0.9] = np.nan
    dates = DATES[rng.integers(0, len(DATES), rows)]
    merchant = MERCHANTS[rng.choice(len(MERCHANTS), rows, p=MERCHANT_SHARES)]
    merchant[rng.random(rows) < 0.01] = None
    return pd.DataFrame(
        {
            "y": (rng.random(rows) < 0.3).astype(int),
            "gaussian": gaussian,
            "lognormal": rng.lognormal(3.0, 1.0, rows),
            "counts": rng.poisson(2.0, rows).astype(float),
            "bimodal": np.where(rng.random(rows) < 0.5, rng.normal(-2, 1, rows), rng.normal(2, 1, rows)),
            "zero_inflated": np.where(rng.random(rows) < 0.3, 0.0, np.round(rng.exponential(2.0, rows), 2)),
            "sparse": sparse,
            "flag": rng.random(rows) < 0.2,
            "plan": PLANS[rng.choice(len(PLANS), rows, p=PLAN_SHARES)],
            "merchant": merchant,
            "user_id": users,
            "date": dates,
            "day": dates.copy(),
            "sku": skus,
            "order_id": [f"o{k}" for k in rng.integers(0, 10**12, rows)],
        }
    )


def baseline(rows: int, seed: int) -> pd.DataFrame:
    return batch(rows, np.random.default_rng(seed))


def profile_of(frame: pd.DataFrame):
    return build_profile(frame, infer_schema(frame, label="y", overrides=OVERRIDES))


def drifted(profile, frame: pd.DataFrame, config: DriftConfig | None = None) -> list[str]:
    """Columns flagged, the label ``y`` included: features and label are one Holm family, as in a check."""
    features, label = batch_drift(profile, frame, config or DriftConfig())
    return [f.name for f in [*features, *([label] if label else [])] if f.drifted]
