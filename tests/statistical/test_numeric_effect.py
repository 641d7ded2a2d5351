"""Large, significant numeric changes that PSI on the baseline's deciles cannot see are flagged.

PSI compares shares per decile bin, so a change inside an end bin (the top 10% multiplied by 1,000) or
between two values that share a bin (1 becoming 5 when both sit in the top bin) leaves it near 0. The
effect size of the numeric test is the KS distance D itself, with a floor, and rows beyond the
baseline's range get their own exact test: the seven cases of issue 19 must each be flagged, on its
column, in every trial. ``python tests/statistical/tables.py`` prints D, PSI and the verdicts.
"""

from __future__ import annotations

import zlib
from functools import cache

import numpy as np
import pandas as pd
import pytest

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.drift import feature_drift
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.schema import ColumnSpec, Schema

pytestmark = pytest.mark.statistical

BASELINE_ROWS = 100_000
COLUMNS = ("flag01", "counts", "amount", "constant", "steady")
SCHEMA = Schema(
    columns=tuple(ColumnSpec(name, "numeric") for name in COLUMNS),
    label="y",
    task="binary",
    classes=("0", "1"),
)


def rows(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """The population: a 0/1 flag (30% ones), counts (85% zeros, 10% ones, 5% fives: 1 and 5 share the
    top decile bin), a lognormal amount, a column constant in training, and an untouched Gaussian."""
    return pd.DataFrame(
        {
            "y": rng.integers(0, 2, n),
            "flag01": (rng.random(n) < 0.3).astype(float),
            "counts": rng.choice([0.0, 1.0, 5.0], n, p=[0.85, 0.10, 0.05]),
            "amount": rng.lognormal(3.0, 1.0, n),
            "constant": np.full(n, 3.0),
            "steady": rng.normal(0.0, 1.0, n),
        }
    )


def _top(values: np.ndarray, share: float) -> np.ndarray:
    return values >= np.quantile(values, 1 - share)


#: The issue's seven cases: name -> (column, change applied to a fresh batch).
CHANGES = {
    "0/1 column becomes 0/100": ("flag01", lambda v, rng: np.where(v == 1, 100.0, v)),
    "1 -> 5 (low cardinality)": ("counts", lambda v, rng: np.where(v == 1, 5.0, v)),
    "5 -> 1000 (low cardinality)": ("counts", lambda v, rng: np.where(v == 5, 1000.0, v)),
    "top 10% x 1000": ("amount", lambda v, rng: np.where(_top(v, 0.1), v * 1000, v)),
    "5% of values set to 1e15": ("amount", lambda v, rng: np.where(rng.random(len(v)) < 0.05, 1e15, v)),
    "bottom 10% set to -1e9": ("amount", lambda v, rng: np.where(_top(-v, 0.1), -1e9, v)),
    "constant in training, varies": ("constant", lambda v, rng: v + rng.exponential(1.0, len(v))),
}
BATCH_ROWS = (1_000, 50_000)
TRIALS = 3


@cache
def profile():
    return build_profile(rows(BASELINE_ROWS, np.random.default_rng(19)), SCHEMA)


def changed_batch(change: str, batch_rows: int, rng: np.random.Generator) -> pd.DataFrame:
    frame = rows(batch_rows, rng)
    column, apply = CHANGES[change]
    frame[column] = apply(frame[column].to_numpy(), rng)
    return frame


@pytest.mark.parametrize("batch_rows", BATCH_ROWS)
@pytest.mark.parametrize("change", list(CHANGES))
def test_a_large_change_psi_cannot_see_is_flagged(change, batch_rows):
    column = CHANGES[change][0]
    rng = np.random.default_rng(zlib.crc32(f"{change}/{batch_rows}".encode()))
    for _ in range(TRIALS):
        results = {
            r.name: r for r in feature_drift(profile(), changed_batch(change, batch_rows, rng), DriftConfig())
        }
        result = results[column]
        assert result.drifted, (change, result.to_dict())
        assert not results["steady"].drifted


def test_the_effect_floor_still_silences_a_tiny_significant_shift():
    """A 0.02-sigma mean shift on 500,000 rows is significant but under the D floor: not drift."""
    rng = np.random.default_rng(7)
    frame = rows(500_000, rng)
    frame["steady"] = frame["steady"] + 0.02
    steady = {r.name: r for r in feature_drift(profile(), frame, DriftConfig())}["steady"]
    assert steady.distribution.p_value < 1e-6 and steady.distribution.effect_size < 0.025
    assert not steady.drifted
