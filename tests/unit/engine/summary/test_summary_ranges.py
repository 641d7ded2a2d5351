"""A CSV summarised in byte ranges cut at any offsets: every row read exactly once, and the merged counts
equal one pass over the file; a file with a line break inside a quoted cell is refused, never miscounted."""

from __future__ import annotations

import io
import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from summary_support import champion, draw, profile
from support.examples import examples
from test_summary_merge import assert_same_counts

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.csv_ranges import byte_ranges
from drift_retrain.engine.summary import merge_summaries, summarize_range, summarize_source
from drift_retrain.exceptions import InvalidBatchError

CONFIG = DriftConfig()
CUTS = settings(
    max_examples=examples(40), derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def csv_bytes(rows: int, seed: int, *, crlf: bool) -> bytes:
    """Rows of every kind of column, some cells quoted (a comma and doubled quotes in a level)."""
    frame = draw(rows, np.random.default_rng(seed))
    frame["c"] = frame["c"].replace("e", 'e, "quoted"')
    return frame.to_csv(index=False, lineterminator="\r\n" if crlf else "\n").encode()


def edges(size: int, cuts: list[int]) -> list[tuple[int, int]]:
    points = sorted({0, size, *(c % (size + 1) for c in cuts)})
    return [(a, b) for a, b in itertools.pairwise(points) if b > a]


def in_ranges(data: bytes, ranges: list[tuple[int, int]]):
    return [
        summarize_range(
            profile(), io.BytesIO(data), CONFIG, key="big.csv", start=a, end=b, predictor=champion
        )
        for a, b in ranges
    ]


@CUTS
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(30, 600),
    cuts=st.lists(st.integers(0, 2**40), max_size=12),
    crlf=st.booleans(),
)
def test_ranges_cut_anywhere_read_every_row_once_and_merge_to_one_pass(seed, rows, cuts, crlf):
    data = csv_bytes(rows, seed, crlf=crlf)
    whole = summarize_source(profile(), data, CONFIG, predictor=champion, part="whole")
    parts = in_ranges(data, edges(len(data), cuts))

    read = [p for p in parts if p is not None]
    assert sum(p.rows_read for p in read) == whole.rows_read == rows
    assert_same_counts(merge_summaries(read), whole)
    names = [p.parts[0] for p in read]
    assert names == sorted(names) and len(set(names)) == len(names)  # byte order: merged as one pass reads
    assert all(p.kinds == whole.kinds for p in read)


@CUTS
@given(seed=st.integers(0, 2**32 - 1), cuts=st.lists(st.integers(0, 2**40), max_size=8))
def test_a_line_break_inside_a_quoted_cell_is_refused_by_some_range_whatever_the_cuts(seed, cuts):
    frame = draw(200, np.random.default_rng(seed))
    frame.loc[int(seed % 200), "c"] = "two\nlines"
    data = frame.to_csv(index=False).encode()
    refused = []
    for start, end in edges(len(data), cuts):
        try:
            in_ranges(data, [(start, end)])
        except InvalidBatchError as error:
            refused.append(error.code)
    assert "csv_not_splittable" in refused


@pytest.mark.parametrize(("size", "most"), [(1, 1), (10, 3), (1000, 1000), (1001, 1000), (5_000_003, 65_536)])
def test_byte_ranges_cover_the_file_each_at_most_the_limit(size, most):
    ranges = byte_ranges(size, most)
    assert ranges[0][0] == 0 and ranges[-1][1] == size
    assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
    assert all(0 < end - start <= most for start, end in ranges)
    assert len(ranges) == -(-size // most)


def test_a_range_within_one_line_reads_nothing_and_a_header_only_file_reads_no_rows():
    data = csv_bytes(50, 1, crlf=False)
    assert in_ranges(data, [(5, 6)]) == [None]  # inside the header line: it belongs to the first range
    header = data.split(b"\n", 1)[0] + b"\n"
    assert in_ranges(header, [(0, len(header))]) == [None]


def test_rows_of_a_new_class_at_the_end_of_the_file_are_set_aside_whichever_range_they_are_in():
    """A file sorted by label, its new class last: the range holding only that class sets its rows aside
    (as one pass does) instead of refusing the whole file; a file of nothing else is still refused."""
    frame = draw(400, np.random.default_rng(3)).dropna(subset=["y"]).reset_index(drop=True)
    frame.loc[len(frame) // 2 :, "y"] = "7"  # the model knows 0 and 1
    data = frame.to_csv(index=False).encode()
    whole = summarize_source(profile(), data, CONFIG, predictor=champion, part="whole")
    middle = data.index(b"\n", data.index(b",7\n") - 40) + 1  # a range starting near the new class
    parts = [p for p in in_ranges(data, [(0, middle), (middle, len(data))]) if p is not None]

    merged = merge_summaries(parts)
    assert merged.rows == whole.rows and merged.set_aside == whole.set_aside
    assert merged.set_aside["unknown_class"]["rows"] == len(frame) - len(frame) // 2
    assert_same_counts(merged, whole)

    only_new = frame.iloc[len(frame) // 2 :].to_csv(index=False).encode()
    with pytest.raises(InvalidBatchError) as refused:
        summarize_source(profile(), only_new, CONFIG, predictor=champion)  # one object: refused as before
    assert refused.value.code == "unknown_class"
    (kept,) = in_ranges(only_new, [(0, len(only_new))])  # a range: set aside, the reduce step refuses
    assert kept.rows == 0 and kept.set_aside["unknown_class"]["rows"] == len(frame) - len(frame) // 2
