"""A profile with every kind of column the summary counts, batches drawn from it, and a champion."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from drift_retrain.engine.performance import HoldoutPerformance, prediction_losses
from drift_retrain.engine.profile import BaselineProfile, build_profile
from drift_retrain.engine.roles import ID, IGNORE, TIMESTAMP
from drift_retrain.engine.schema import ColumnSpec, Schema

SCHEMA = Schema(
    columns=(
        ColumnSpec("x", "numeric"),  # continuous: a quantile sketch
        ColumnSpec("n", "numeric"),  # few values: exact counts
        ColumnSpec("c", "categorical"),
        ColumnSpec("user", "categorical", role=ID),
        ColumnSpec("at", "categorical", role=TIMESTAMP),
        ColumnSpec("note", "numeric", role=IGNORE),
    ),
    label="y",
    task="binary",
    classes=("0", "1"),
)
LEVELS = np.array(["a", "b", "c", "d", "e"], dtype=object)


def draw(
    rows: int, rng: np.random.Generator, *, shift: float = 0.0, start: str = "2024-01-01"
) -> pd.DataFrame:
    """Rows of every column; ``shift`` moves ``x`` and ``n``; some values are missing."""
    x = rng.normal(shift, 1.0, rows)
    x[rng.random(rows) < 0.05] = np.nan
    n = rng.poisson(3.0 + shift, rows).astype(np.float64)
    n[rng.random(rows) < 0.02] = np.nan
    c = rng.choice(LEVELS, rows, p=[0.4, 0.3, 0.15, 0.1, 0.05]).astype(object)
    c[rng.random(rows) < 0.03] = None
    label = (
        (rng.random(rows) < 1 / (1 + np.exp(-2 * np.nan_to_num(x)))).astype(int).astype(str).astype(object)
    )
    label[rng.random(rows) < 0.2] = None  # unlabelled rows
    times = pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, 86_400 * 30, rows), unit="s")
    return pd.DataFrame(
        {
            "x": x,
            "n": n,
            "c": c,
            "user": [f"u{v}" for v in rng.integers(0, 5_000, rows)],
            "at": times.strftime("%Y-%m-%dT%H:%M:%S").to_numpy(dtype=object),
            "note": rng.random(rows),
            "y": label,
        }
    )


def champion(rows: pd.DataFrame) -> np.ndarray:
    """P(y = 1) from ``x`` alone (missing ``x`` as 0)."""
    return 1 / (1 + np.exp(-2 * rows["x"].fillna(0.0).to_numpy()))


@cache
def profile() -> BaselineProfile:
    """Built from 20,000 rows (``x`` sketched), with the champion's holdout and its segments table."""
    rng = np.random.default_rng(21)
    train, holdout = draw(20_000, rng), draw(2_000, rng)
    holdout = holdout[holdout["y"].notna()].reset_index(drop=True)
    losses = prediction_losses("binary", holdout["y"].to_numpy(), champion(holdout), SCHEMA.classes)
    train = train.assign(y=train["y"].fillna("0"))
    built = build_profile(
        train,
        SCHEMA,
        holdout=HoldoutPerformance("binary", len(losses), int(losses.sum())),
        holdout_rows=holdout,
        holdout_losses=losses,
    )
    return BaselineProfile.from_json_bytes(built.to_json_bytes())
