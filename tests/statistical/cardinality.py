"""One categorical column of a chosen number of levels, uniform or Zipf: the calibration matrix's columns."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.schema import ColumnSpec, Schema

__all__ = [
    "LEVELS",
    "SCHEMA",
    "SHAPES",
    "column_profile",
    "draw",
]


LEVELS = (10, 1_000, 5_000, 50_000, 500_000)
SHAPES = ("uniform", "zipf")
SCHEMA = Schema(columns=(ColumnSpec("level", "categorical"),), label="y", task="binary", classes=("0", "1"))


@cache
def _law(levels: int, shape: str) -> tuple[np.ndarray, np.ndarray]:
    names = np.array([f"v{i}" for i in range(levels)], dtype=object)
    weights = np.ones(levels) if shape == "uniform" else 1.0 / np.arange(1, levels + 1) ** 1.1
    return names, np.cumsum(weights / weights.sum())


def draw(levels: int, shape: str, rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """``rows`` draws of the column (and a constant label the check ignores)."""
    names, cdf = _law(levels, shape)
    index = np.minimum(np.searchsorted(cdf, rng.random(rows)), levels - 1)
    return pd.DataFrame({"y": np.zeros(rows, dtype=int), "level": names[index]})


def column_profile(levels: int, shape: str, rows: int, seed: int):
    return build_profile(draw(levels, shape, rows, np.random.default_rng(seed)), SCHEMA)
