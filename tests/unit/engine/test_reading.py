"""The CSV reader: accepted encodings and layouts, and one specific error per kind of bad input."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pandas as pd
import pytest

from drift_retrain.engine.reading import read_csv
from drift_retrain.engine.schema import ColumnSpec, Schema
from drift_retrain.exceptions import InvalidBatchError

SCHEMA = Schema(
    columns=(ColumnSpec("age", "numeric"), ColumnSpec("city", "categorical")),
    label="y",
    task="binary",
    classes=("0", "1"),
)
GOOD = b"y,age,city\n1,34,paris\n0,51.5,lyon\n,40,\n"


def test_reads_rows_with_schema_types():
    batch = read_csv(GOOD, schema=SCHEMA)
    assert batch.rows_read == 3
    assert batch.frame["age"].tolist() == [34.0, 51.5, 40.0]
    assert batch.frame["city"].iloc[0] == "paris"
    assert pd.isna(batch.frame["city"].iloc[2])
    assert batch.frame["y"].tolist()[:2] == ["1", "0"]
    assert pd.isna(batch.frame["y"].iloc[2])
    assert batch.sampling == {"method": "all_rows", "rows_read": 3, "rows_used": 3, "compressed": False}


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda b: gzip.compress(b), id="gzip"),
        pytest.param(lambda b: b"\xef\xbb\xbf" + b, id="utf8-bom"),
        pytest.param(lambda b: b.replace(b"\n", b"\r\n"), id="crlf"),
        pytest.param(lambda b: b.replace(b"\n", b"\r"), id="cr-only"),
        pytest.param(lambda b: b.rstrip(b"\n"), id="no-final-newline"),
        pytest.param(lambda b: b.replace(b"\n", b"\n\n"), id="blank-lines"),
    ],
)
def test_accepted_variants_give_the_same_frame(variant):
    expected = read_csv(GOOD, schema=SCHEMA).frame
    got = read_csv(variant(GOOD), schema=SCHEMA).frame
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True))


def test_columns_may_come_in_any_order_and_label_may_be_absent():
    batch = read_csv(b"city,age\nrome,20\n", schema=SCHEMA)
    assert list(batch.frame.columns) == ["city", "age"]
    assert batch.frame["age"].tolist() == [20.0]


def test_quoted_fields_with_commas_and_newlines():
    batch = read_csv(b'y,age,city\n1,3,"new\nyork, ny"\n0,4,"a ""b"""\n', schema=SCHEMA)
    assert batch.frame["city"].tolist() == ["new\nyork, ny", 'a "b"']


def test_reads_from_a_non_seekable_stream_in_small_blocks():
    class Stream(io.RawIOBase):
        def __init__(self, data):
            self.data = io.BytesIO(data)

        def readable(self):
            return True

        def read(self, size=-1):
            return self.data.read(min(size, 7) if size and size > 0 else -1)

    body = b"y,age,city\n" + b"".join(b"1,%d,c%d\n" % (i, i % 3) for i in range(500))
    batch = read_csv(Stream(body), schema=SCHEMA, block_bytes=64)
    assert batch.rows_read == 500
    assert batch.frame["age"].tolist() == list(map(float, range(500)))


def test_sampling_keeps_a_uniform_subset_in_file_order():
    body = b"y,age,city\n" + b"".join(b"1,%d,a\n" % i for i in range(20_000))
    batch = read_csv(body, schema=SCHEMA, max_rows=1000, seed=3, block_bytes=4096)
    ages = batch.frame["age"].to_numpy()
    assert batch.rows_read == 20_000 and len(ages) == 1000 and batch.sampled
    assert np.all(np.diff(ages) > 0)
    # uniform: each tenth of the file holds about a tenth of the sample
    counts = np.bincount((ages // 2000).astype(int), minlength=10)
    assert counts.min() > 60 and counts.max() < 140
    assert batch.sampling["method"] == "uniform_sample"
    assert np.array_equal(batch.line_of_row, ages.astype(int) + 2)


def test_sampling_is_repeatable_with_the_same_seed():
    body = b"y,age,city\n" + b"".join(b"1,%d,a\n" % i for i in range(5000))
    first = read_csv(body, schema=SCHEMA, max_rows=100, seed=1, block_bytes=1024).frame
    second = read_csv(body, schema=SCHEMA, max_rows=100, seed=1, block_bytes=1024).frame
    pd.testing.assert_frame_equal(first, second)


BAD_INPUTS = [
    ("empty", b"", "empty_file", "empty"),
    ("only-blank-lines", b"\n\r\n\n", "empty_file", "empty"),
    ("header-only", b"y,age,city\n", "no_rows", "no data rows"),
    ("missing-column", b"y,age\n1,3\n", "missing_columns", "['city']"),
    ("renamed-column", b"y,Age,city\n1,3,a\n", "renamed_columns", "'age' looks renamed to 'Age'"),
    ("duplicate-column", b"y,age,age,city\n1,3,3,a\n", "duplicate_columns", "['age']"),
    ("unnamed-column", b"y,,city\n1,3,a\n", "missing_column_name", "column 2 has no name"),
    ("too-many-fields", b"y,age,city\n1,3,a\n1,3,a,x\n", "ragged_row", "line 3: expected 3 fields"),
    ("too-few-fields", b"y,age,city\n1,3,a\n1,3\n", "ragged_row", "found 2"),
    ("not-a-number", b"y,age,city\n1,3,a\n0,old,b\n", "not_numeric", "line 3, column 'age': 'old'"),
    ("boolean-in-numeric", b"y,age,city\n1,True,a\n", "not_numeric", "column 'age': 'True' is not a number"),
    ("true-in-numeric", b"y,age,city\n1,3,a\n0,true,b\n", "not_numeric", "line 3, column 'age': 'true' is"),
    (
        "false-in-numeric",
        b"y,age,city\n1,3,a\n0,FALSE,b\n",
        "not_numeric",
        "line 3, column 'age': 'FALSE' is",
    ),
    ("not-utf8", b"y,age,city\n1,3,caf\xe9\n", "not_utf8", "line 2: byte 0xe9"),
    ("utf16", "y,age,city\n1,3,a\n".encode("utf-16"), "utf16", "UTF-16"),
    ("unclosed-quote", b'y,age,city\n1,3,"a\n0,4,b\n', "unterminated_quote", "never closed"),
    ("corrupt-gzip", gzip.compress(GOOD)[:-12], "corrupt_gzip", "gzip"),
    ("garbage-gzip", b"\x1f\x8b" + b"\x00" * 40, "corrupt_gzip", "gzip"),
    ("unknown-class", b"y,age,city\n7,3,a\n", "unknown_class", "new classes ['7']"),
    # A csv.Error used to escape here: DetectDrift crashed and the next retrain failed on the file.
    (
        "cr-in-header",
        b"y,a\rge,city\n1,3,a\n",
        "carriage_return",
        "line 1: a carriage return (CR) inside a field",
    ),
]


@pytest.mark.parametrize(
    ("data", "code", "fragment"), [b[1:] for b in BAD_INPUTS], ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_inputs_raise_specific_errors(data, code, fragment):
    with pytest.raises(InvalidBatchError) as caught:
        read_csv(data, schema=SCHEMA)
    assert caught.value.code == code
    assert fragment in str(caught.value)


def test_error_line_numbers_count_physical_lines_across_blocks():
    rows = b"".join(b"1,%d,a\n" % i for i in range(3000))
    body = b"y,age,city\n" + rows + b"0,oops,b\n"
    with pytest.raises(InvalidBatchError) as caught:
        read_csv(body, schema=SCHEMA, block_bytes=1000)
    assert caught.value.line == 3002
    assert caught.value.column == "age"


def test_a_record_with_256_more_fields_is_still_ragged():
    """Fields are counted per record as bytes (modulo 256), checked against the block's total."""
    header = b"y,age,city," + b",".join(b"c%d" % i for i in range(297)) + b"\n"
    good = b"1,3,a," + b",".join(b"x" for _ in range(297)) + b"\n"
    wide = Schema(
        columns=(*SCHEMA.columns, *(ColumnSpec(f"c{i}", "categorical") for i in range(297))),
        label="y",
        task="binary",
        classes=("0", "1"),
    )
    assert read_csv(header + good * 3, schema=wide).rows_read == 3  # 299 commas a record: exact
    narrow = b"y,age,city\n1,3,a\n1,3,a" + b",x" * 256 + b"\n"
    with pytest.raises(InvalidBatchError) as caught:
        read_csv(narrow, schema=SCHEMA)
    assert caught.value.code == "ragged_row"
    assert "line 3: expected 3 fields (as in the header), found 259" in str(caught.value)


def test_missing_markers_in_a_later_block_read_as_with_one_block():
    """The shared missing cells give way to the numeric columns' own when a block holds ``NA``."""
    rows = [b"1,%d,NA\n" % i for i in range(400)] + [b"0,NA,b\n", b"1,null,NA\n", b"0,7,\n"]
    body = b"y,age,city\n" + b"".join(rows)
    whole = read_csv(body, schema=SCHEMA).frame
    blocks = read_csv(body, schema=SCHEMA, block_bytes=256).frame
    pd.testing.assert_frame_equal(blocks, whole)
    assert whole["age"].isna().sum() == 2 and (whole["city"] == "NA").sum() == 401


def test_an_infinite_value_is_named_wherever_it_is():
    body = b"y,age,city\n" + b"1,3,a\n" * 50 + b"0,1e400,b\n"
    with pytest.raises(InvalidBatchError) as caught:
        read_csv(body, schema=SCHEMA, block_bytes=128)
    assert caught.value.code == "infinite_value"
    assert "line 52, column 'age': '1e400'" in str(caught.value)


def test_training_data_without_schema_infers_types_and_needs_the_label():
    batch = read_csv(b"y,age,city\n" + b"1,3,a\n0,4,b\n" * 15)
    assert batch.frame["age"].dtype.kind in "if"
    with pytest.raises(InvalidBatchError, match="label column 'target' not found"):
        read_csv(b"y,age\n1,3\n", label="target")


def test_regression_labels_must_be_numbers():
    schema = Schema(columns=(ColumnSpec("x", "numeric"),), label="price", task="regression")
    assert read_csv(b"price,x\n1.5,2\n,3\n", schema=schema).frame["price"].iloc[0] == 1.5
    with pytest.raises(InvalidBatchError) as caught:
        read_csv(b"price,x\ncheap,2\n", schema=schema)
    assert caught.value.code == "not_numeric"


def test_read_errors_of_the_stream_propagate_instead_of_condemning_the_file():
    class Flaky(io.RawIOBase):
        """Gives a few bytes, then times out like botocore's ReadTimeoutError (an OSError)."""

        def __init__(self):
            self.data = io.BytesIO(b"y,age,city\n1,3,a\n")

        def readable(self):
            return True

        def read(self, size=-1):
            chunk = self.data.read(min(size, 4) if size and size > 0 else -1)
            if not chunk:
                raise TimeoutError("read timed out")
            return chunk

    with pytest.raises(TimeoutError):  # not InvalidBatchError: the file is fine, the network is not
        read_csv(Flaky(), schema=SCHEMA, block_bytes=8)
