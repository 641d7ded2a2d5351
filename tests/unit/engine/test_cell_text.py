"""``parse_numbers`` reads every cell exactly as ``pandas.to_numeric(errors="coerce")`` does, whichever way
it takes (each distinct text once for a column that repeats, the column as it is otherwise)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from support.examples import examples

from drift_retrain.engine.cell_text import parse_numbers

#: Texts that are numbers to pandas, texts that are not, and texts near the edge of either.
CELLS = [
    "0", "-0", "+3", " 7 ", "12", "-3.5e2", "1e400", "-1e400", "inf", "-Infinity", "nan", "NaN",
    "9007199254740993", "18446744073709551616", "-9223372036854775809", ".5", "5.", "1,000", "1_000",
    "0x10", "true", "False", "", " ", "NA", "abc", "\u0661\u0662", "\u00bd", "1e", "--1", "e5",
]  # fmt: skip


def _expected(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column, errors="coerce").astype(np.float64).to_numpy()


def _assert_same(column: pd.Series) -> None:
    got = parse_numbers(column)
    expected = _expected(column)
    assert got.dtype == np.float64
    assert got.index.equals(column.index) and got.name == column.name
    assert np.array_equal(got.to_numpy(), expected, equal_nan=True)
    assert np.array_equal(np.signbit(got.to_numpy()), np.signbit(expected))  # -0 stays -0


@settings(max_examples=examples(150), deadline=None)
@given(
    pool=st.lists(st.one_of(st.sampled_from(CELLS), st.text(max_size=6), st.none()), min_size=1, max_size=20),
    rows=st.integers(0, 3_000),
    seed=st.integers(0, 2**32 - 1),
    dtype=st.sampled_from(["object", "str"]),
)
@example(pool=[None, "-0"], rows=1_001, seed=0, dtype="object")  # -0.0 once a cell is missing, else 0
@example(pool=["-0", "1"], rows=1_001, seed=0, dtype="str")
def test_a_column_that_repeats_its_texts_reads_as_to_numeric_does(pool, rows, seed, dtype):
    picks = np.random.default_rng(seed).integers(0, len(pool), rows)
    column = pd.Series([pool[i] for i in picks], dtype=dtype, name="c", index=np.arange(rows) * 3 + 1)
    _assert_same(column)


@pytest.mark.parametrize("dtype", ["object", "str"])
def test_a_column_of_distinct_numbers_with_text_among_them_reads_as_to_numeric_does(dtype):
    rng = np.random.default_rng(5)
    cells = rng.normal(size=5_000).astype(str).astype(object)
    cells[::97] = "n/a"
    cells[::101] = None
    _assert_same(pd.Series(cells, dtype=dtype, name="x"))


@pytest.mark.parametrize(
    "head",
    [
        [str(i) for i in range(1_000)],  # distinct numbers first: the column parsed as it is
        [f"u{i:05d}" for i in range(1_000)],  # an ID that never repeats: the column parsed as it is
        ["a", "b", "7", None] * 250,  # repeats: each distinct text once, unless most cells are distinct
    ],
)
@pytest.mark.parametrize(
    "tail", [["7", "x", "-0", None, "1e400", " 3 "] * 1_000, [f"t{i}" for i in range(9_000)]]
)
def test_a_column_reads_as_to_numeric_does_whatever_its_first_cells(head, tail):
    _assert_same(pd.Series(head + tail, dtype="str"))
    _assert_same(pd.Series(head + tail, dtype="object", name="id"))


def test_a_cell_that_cannot_be_hashed_is_read_as_to_numeric_reads_it():
    _assert_same(pd.Series([[1], "a", "2"] * 600, dtype=object))
