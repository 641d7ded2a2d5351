"""Profiles built part by part: one part is ``build_profile``; any split gives the same counts, and
merged quantile sketches stay within the derived rank-error bound of the data."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support.examples import examples

from drift_retrain.engine.levels import EXACT_MAX_LEVELS
from drift_retrain.engine.profile import EXACT_MAX_VALUES, SKETCH_POINTS, build_profile, finish_profile
from drift_retrain.engine.profile_parts import (
    finish_numeric,
    merge_profile_parts,
    numeric_part,
    profile_part,
    rank_error_bound,
)
from drift_retrain.engine.roles import ID, TIMESTAMP
from drift_retrain.engine.schema import ColumnSpec, Schema
from drift_retrain.engine.stats import lag1_autocorrelation, variance_inflation
from drift_retrain.exceptions import ProfileError

SCHEMA = Schema(
    columns=(
        ColumnSpec("x", "numeric"),  # continuous: a quantile sketch
        ColumnSpec("n", "numeric"),  # few values: exact counts
        ColumnSpec("c", "categorical"),
        ColumnSpec("user", "categorical", role=ID),  # unique: hashed beyond EXACT_MAX_LEVELS
        ColumnSpec("at", "categorical", role=TIMESTAMP),
    ),
    label="y",
    task="multiclass",
    classes=("a", "b", "c"),
)
STEP = 1.0 / (SKETCH_POINTS - 1)


def _frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    x[rng.random(rows) < 0.05] = np.nan
    n = rng.poisson(3.0, rows).astype(np.float64)
    c = rng.choice(np.array(["p", "q", "r", "s"], dtype=object), rows, p=[0.4, 0.3, 0.2, 0.1])
    c[rng.random(rows) < 0.03] = None
    times = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**6, rows), unit="s")
    at = np.array(times.strftime("%Y-%m-%dT%H:%M:%S"), dtype=object)
    at[rng.random(rows) < 0.01] = "not a time"
    return pd.DataFrame(
        {
            "y": rng.choice(np.array(["a", "b", "c"], dtype=object), rows),
            "x": x,
            "n": n,
            "c": c,
            "user": np.array([f"u{i}" for i in rng.permutation(rows)], dtype=object),
            "at": at,
        }
    )


@pytest.fixture(scope="module")
def training() -> pd.DataFrame:
    return _frame(EXACT_MAX_LEVELS + 20_000, seed=0)


def _split(frame: pd.DataFrame, cuts) -> list[pd.DataFrame]:
    edges = [0, *sorted(cuts), len(frame)]
    return [frame.iloc[a:b] for a, b in itertools.pairwise(edges) if b > a]


def _merged(frame: pd.DataFrame, cuts, schema: Schema = SCHEMA):
    part = merge_profile_parts(profile_part(p, schema) for p in _split(frame, cuts))
    return part, finish_profile(part)


def _contract(profile) -> dict:
    data = profile.to_dict()
    data.pop("created_at")
    return data


def test_build_profile_is_one_part_merged(training):
    assert _contract(build_profile(training, SCHEMA)) == _contract(_merged(training, [])[1])


@settings(
    max_examples=examples(6), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cuts=st.lists(st.integers(1, EXACT_MAX_LEVELS + 19_999), min_size=1, max_size=5, unique=True))
def test_counts_are_exact_for_any_split(training, cuts):
    whole = build_profile(training, SCHEMA)
    _, merged = _merged(training, cuts)
    assert merged.rows == whole.rows
    for name in ("x", "n"):
        a, b = whole.columns[name], merged.columns[name]
        assert (b.count, b.missing, b.minimum, b.maximum) == (a.count, a.missing, a.minimum, a.maximum)
        assert b.mean == pytest.approx(a.mean, rel=1e-12, abs=1e-12)
        assert b.std == pytest.approx(a.std, rel=1e-12)
        assert b.exact == a.exact
    exact_a, exact_b = whole.columns["n"], merged.columns["n"]
    np.testing.assert_array_equal(exact_b.values, exact_a.values)
    np.testing.assert_array_equal(exact_b.counts, exact_a.counts)
    np.testing.assert_allclose(exact_b.decile_edges, exact_a.decile_edges, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(exact_b.decile_shares, exact_a.decile_shares)
    # the same levels in the same order (ties in order of first appearance)
    assert merged.columns["c"].to_dict() == whole.columns["c"].to_dict()
    times_a, times_b = whole.columns["at"], merged.columns["at"]
    assert (times_b.count, times_b.missing, times_b.time_range) == (
        times_a.count,
        times_a.missing,
        times_a.time_range,
    )
    # hashed: the top levels listed are the most frequent ones the parts kept names of, with exact counts
    truth = training["at"].value_counts()
    assert times_b.counts.tolist() == truth[times_b.categories].tolist()
    assert np.all(np.diff(times_b.counts) <= 0) and times_b.counts.sum() + times_b.other == times_b.count
    assert merged.label.to_dict() == whole.label.to_dict()
    ids_a, ids_b = whole.columns["user"], merged.columns["user"]
    assert not ids_b.levels.exact and ids_b.levels.to_dict() == ids_a.levels.to_dict()
    assert ids_b.categories == ids_a.categories and ids_b.counts.tolist() == ids_a.counts.tolist()


def _rank_error(sorted_data: np.ndarray, quantiles: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """How far each ``probs[k]`` lies outside ``[F(q_k-), F(q_k)]`` of the data's empirical CDF."""
    below = np.searchsorted(sorted_data, quantiles, side="left") / len(sorted_data)
    upto = np.searchsorted(sorted_data, quantiles, side="right") / len(sorted_data)
    return np.maximum(below - probs, probs - upto).clip(0.0)


def _data(kind: str, rows: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "normal":
        return rng.normal(size=rows)
    if kind == "lognormal":
        return rng.lognormal(0.0, 2.0, rows)
    if kind == "atoms":  # a continuous part and heavy atoms: the sketch repeats quantiles
        values = rng.normal(size=rows)
        values[rng.random(rows) < 0.3] = 0.0
        values[rng.random(rows) < 0.1] = 5.0
        return values
    return np.concatenate([rng.normal(-5, 1, rows // 2), rng.exponential(1.0, rows - rows // 2) + 5])


@settings(max_examples=examples(25), deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["normal", "lognormal", "atoms", "bimodal"]),
    sizes=st.lists(st.integers(2_000, 40_000), min_size=2, max_size=6),
    sort_first=st.booleans(),
)
# the weighted CDFs summed past 1 at the largest value, and the sketch ended just below it
@example(seed=0, kind="normal", sizes=[2000, 24954, 40000, 18134, 34181, 14080], sort_first=False)
def test_a_merged_sketch_is_within_the_rank_error_bound(seed, kind, sizes, sort_first):
    rng = np.random.default_rng(seed)
    data = _data(kind, sum(sizes), rng)
    if sort_first:  # parts of very different ranges (data written in order of the value)
        data = np.sort(data)
    cuts = np.cumsum(sizes)[:-1]
    merged = None
    for chunk in np.split(data, cuts):
        part = numeric_part(chunk)
        merged = part if merged is None else merged.merge(part)
    column = finish_numeric("v", merged)
    ordered = np.sort(data)
    bound = rank_error_bound(merged)
    assert bound <= 2 * STEP
    one_pass_exact = len(np.unique(data)) <= EXACT_MAX_VALUES or len(data) <= SKETCH_POINTS
    assert column.count == len(data) and column.exact == one_pass_exact
    if column.exact:
        return
    probs = np.linspace(0.0, 1.0, SKETCH_POINTS)
    assert np.max(_rank_error(ordered, column.values, probs)) <= bound + 1e-9
    assert column.values[0] == ordered[0] and column.values[-1] == ordered[-1]
    # the merged sketch as the check uses it: within one grid step more of the data's CDF
    points = np.quantile(ordered, np.linspace(0.0, 1.0, 2_001))
    right, left = column.cdf(points)
    assert np.max(np.abs(right - np.searchsorted(ordered, points, side="right") / len(ordered))) <= (
        bound + STEP + 1e-9
    )
    assert np.max(np.abs(left - np.searchsorted(ordered, points, side="left") / len(ordered))) <= (
        bound + STEP + 1e-9
    )
    # decile edges sit at their deciles within the bound; the shares are the data's own shares of them
    edges, shares = column.decile_edges, column.decile_shares
    assert np.all(np.diff(edges) > 0) and shares.sum() == pytest.approx(1.0)
    if len(edges) == 9:
        assert np.max(_rank_error(ordered, edges, np.linspace(0.1, 0.9, 9))) <= bound + 1e-9
    true_below = np.searchsorted(ordered, edges, side="left") / len(ordered)
    true_shares = np.diff(np.concatenate(([0.0], true_below, [1.0])))
    assert np.max(np.abs(shares - true_shares)) <= 2 * bound + 1e-9


def test_exact_parts_whose_union_passes_the_cap_merge_into_the_one_pass_representation():
    rng = np.random.default_rng(4)
    chunks = [rng.integers(i * 1_500, i * 1_500 + 1_500, 6_000).astype(np.float64) for i in range(2)]
    parts = [numeric_part(chunk) for chunk in chunks]
    assert all(p.components[0].exact for p in parts)
    merged = parts[0].merge(parts[1])
    column = finish_numeric("v", merged)
    ordered = np.sort(np.concatenate(chunks))
    assert not column.exact and len(column.values) == SKETCH_POINTS
    one_pass = finish_numeric("v", numeric_part(ordered))
    np.testing.assert_allclose(column.values, one_pass.values, rtol=0, atol=1e-9)
    assert rank_error_bound(merged) == pytest.approx(STEP + 1 / len(ordered))


def test_autocorrelation_is_estimated_within_parts_and_averaged_by_pairs():
    """Lag pairs across a part boundary are left out: each part's estimate is weighted by its pairs."""
    rng = np.random.default_rng(5)
    series = [np.cumsum(rng.normal(size=rows)) for rows in (3_000, 1_000)]  # strongly autocorrelated
    series[1][rng.random(1_000) < 0.2] = np.nan
    dependent = Schema(
        columns=(ColumnSpec("x", "numeric"),), label="y", task="regression", dependence="autocorrelated"
    )
    frames = [pd.DataFrame({"y": rng.normal(size=len(s)), "x": s}) for s in series]
    parts = [profile_part(frame, dependent) for frame in frames]
    column = finish_profile(merge_profile_parts(parts)).columns["x"]
    rhos = [lag1_autocorrelation(s) for s in series]
    pairs = [np.isfinite(s).sum() - 1 for s in series]
    assert column.lag1 == pytest.approx((rhos[0] * pairs[0] + rhos[1] * pairs[1]) / sum(pairs))
    inflations = [variance_inflation((~np.isfinite(s)).astype(float)) for s in series]
    assert column.missing_inflation == pytest.approx((inflations[0] * 3_000 + inflations[1] * 1_000) / 4_000)
    assert column.lag1 > 0.9  # the dependence survives the split
    one = finish_profile(parts[0]).columns["x"]
    assert one.lag1 == rhos[0]  # one part: the one-pass estimate


def test_parts_of_different_columns_do_not_merge(training):
    other = Schema(
        columns=(ColumnSpec("x", "numeric"),), label="y", task="multiclass", classes=("a", "b", "c")
    )
    with pytest.raises(ProfileError, match="different columns"):
        profile_part(training.iloc[:100], SCHEMA).merge(profile_part(training.iloc[100:200], other))
    with pytest.raises(ProfileError, match="lacks columns"):
        profile_part(training[["y", "x"]], SCHEMA, name="part-1.csv")


@pytest.mark.parametrize(
    "values",
    [[], [1.5], [-0.0, 0.0, 0.0, 2.0], [3.0, 1.0, 1.0, 2.0, 3.0, 3.0], list(np.linspace(-1, 1, 7))],
)
def test_exact_values_and_counts_are_numpys_unique_of_the_finite_values(values):
    values = np.asarray([*values, np.nan, np.inf], dtype=np.float64)
    component = numeric_part(values).components[0]
    distinct, counts = np.unique(values[np.isfinite(values)], return_counts=True)
    assert component.exact
    np.testing.assert_array_equal(component.values, distinct)
    np.testing.assert_array_equal(np.signbit(component.values), np.signbit(distinct))
    np.testing.assert_array_equal(component.counts, counts)
