"""The binned KS statistic against the exact one: never above it, and below it by at most the bound.

docs/statistics.md derives the bound: between two adjacent profile points both CDFs are monotone, so the
exact distance there exceeds the larger distance at the ends by at most the smaller of the two samples'
mass in between. An exact profile has no mass between its points: binned and exact KS agree.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from support.examples import examples

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.drift import numeric_drift
from drift_retrain.engine.profile import SKETCH_POINTS, profile_numeric
from drift_retrain.engine.stats import ks_against_profile, ks_pvalue
from drift_retrain.engine.summary.bins import bin_numeric, binned_ks

KS = settings(
    max_examples=examples(40), derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
EPS = 1e-12


def sample(kind: str, rows: int, shift: float, rng: np.random.Generator) -> np.ndarray:
    if kind == "normal":
        return rng.normal(shift, 1.0, rows)
    if kind == "discrete":
        return rng.poisson(4.0 + 4 * shift, rows).astype(np.float64)
    mixed = rng.exponential(1.0 + shift, rows)  # continuous with an atom at 0 and heavy ties
    mixed[rng.random(rows) < 0.3] = 0.0
    return np.round(mixed, 1)


@KS
@given(
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["normal", "discrete", "mixed"]),
    base_rows=st.integers(1, SKETCH_POINTS),
    rows=st.integers(1, 5_000),
    shift=st.floats(0.0, 1.0),
)
def test_against_an_exact_profile_binned_ks_is_scipys_exact_statistic(seed, kind, base_rows, rows, shift):
    rng = np.random.default_rng(seed)
    baseline, batch = sample(kind, base_rows, 0.0, rng), sample(kind, rows, shift, rng)
    column = profile_numeric("v", baseline)
    assert column.exact  # at most SKETCH_POINTS rows: every value kept
    statistic, bound = binned_ks(bin_numeric(column, batch), column)
    assert bound == 0.0
    assert statistic == pytest.approx(stats.ks_2samp(baseline, batch).statistic, abs=EPS)


@KS
@given(
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["normal", "mixed"]),
    rows=st.integers(1, 20_000),
    shift=st.floats(0.0, 0.5),
)
def test_against_a_sketch_binned_ks_is_within_the_bound_below_the_exact_statistic(seed, kind, rows, shift):
    rng = np.random.default_rng(seed)
    column = profile_numeric("v", sample(kind, 30_000, 0.0, rng))
    batch = sample(kind, rows, shift, rng)
    statistic, bound = binned_ks(bin_numeric(column, batch), column)
    exact, _ = ks_against_profile(np.sort(batch), column)  # the same profile CDF, every batch value
    assert -EPS <= exact - statistic <= bound + EPS
    assert bound <= 1.0 / (SKETCH_POINTS - 1) + EPS  # one sketch step at most


def test_the_p_value_uses_the_real_row_counts():
    rng = np.random.default_rng(3)
    column = profile_numeric("v", rng.normal(0, 1, 50_000))
    values = np.append(rng.normal(0.05, 1, 40_000), [np.nan] * 100)
    test = numeric_drift(column, values, DriftConfig()).distribution
    assert test.rows == 40_000
    assert test.p_value == ks_pvalue(test.statistic, 40_000, 50_000)
    assert 0.0 < test.details["ks_binning_bound"] <= 1.0 / (SKETCH_POINTS - 1) + EPS
