"""Property-based fuzzing of the CSV reader: whatever the bytes, a batch or a specific ``InvalidBatchError``.

DetectDrift quarantines on ``InvalidBatchError`` and nothing else; any other exception used to make Lambda
retry and drop the event (finding 1 of issue 9). These properties feed the reader arbitrary bytes, CSV-ish
text built from the characters that matter (quotes, separators, CR, LF, NUL, non-ASCII), the same under
gzip, and well-formed CSV that must come back exactly.

Bounded for CI: ``derandomize=True`` (examples derived from the test, no database), a fixed number of
examples per property (a few seconds each). ``FUZZ_EXAMPLES=20000 FUZZ_RANDOM=1`` runs a longer, randomised
search locally.
"""

from __future__ import annotations

import gzip
import os

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.examples import examples

from drift_retrain.engine.read_limits import ReadLimits
from drift_retrain.engine.reading import READ_REASONS, read_csv
from drift_retrain.engine.schema import ColumnSpec, Schema
from drift_retrain.exceptions import InvalidBatchError, SchemaError

SCHEMA = Schema(
    columns=(ColumnSpec("age", "numeric"), ColumnSpec("city", "categorical")),
    label="y",
    task="binary",
    classes=("0", "1"),
)
TEXT_SCHEMA = Schema(
    columns=(ColumnSpec("a", "categorical"), ColumnSpec("b", "categorical")),
    label="y",
    task="multiclass",
    classes=("x", "y", "z"),
)
#: The reader's guards that a well-behaved scan never reaches: hitting one is a bug, not a reason.
GUARDS = {"unparseable"}
EXAMPLES = examples(int(os.environ.get("FUZZ_EXAMPLES", "300")))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
#: Pieces of CSV-ish text: every byte class the record scan treats specially, and some values.
TOKENS = st.sampled_from(
    [",", '"', '""', "\n", "\r\n", "\r", " ", "\t", "\x00", "a", "1", "0", "2.5", "-3", "inf", "1e400",
     "nan", "NA", "é", "\ufeff", "\x1f\x8b", "PAR1", "x" * 300]
)  # fmt: skip


def _outcome(data: bytes, **kwargs) -> str:
    """``"ok"`` or the error code; any other exception fails the property."""
    try:
        batch = read_csv(data, **kwargs)
    except SchemaError as error:  # training data (no schema given) that cannot define one: said so
        assert "schema" not in kwargs and str(error), error
        return "schema"
    except InvalidBatchError as error:
        assert error.code in READ_REASONS, f"unlisted reason {error.code!r}: {error}"
        assert error.code not in GUARDS, f"guard {error.code!r} reached: {error}"
        assert str(error), "an error needs a message"
        assert len(str(error)) <= 2100
        return error.code
    assert batch.rows_read >= len(batch.frame) >= 1
    assert len(batch.line_of_row) == len(batch.frame)
    return "ok"


@settings(
    FUZZ, max_examples=examples(3) * EXAMPLES
)  # cheap: most random bytes are refused from their first KiB
@given(data=st.binary(max_size=600), block=st.integers(8, 300))
def test_any_bytes_give_a_batch_or_a_listed_reason(data, block):
    _outcome(data, schema=SCHEMA, block_bytes=block)
    _outcome(data, block_bytes=block)


@FUZZ
@given(
    body=st.lists(TOKENS, max_size=60).map("".join),
    header=st.one_of(st.sampled_from(["y,age,city", "city,age"]), st.lists(TOKENS, max_size=12).map("".join)),
)
def test_csv_ish_text_gives_a_batch_or_a_listed_reason(body, header):
    data = (header + "\n" + body).encode("utf-8")
    for block in (16, 4096):
        _outcome(data, schema=SCHEMA, block_bytes=block)
    _outcome(data, label="city")


@FUZZ
@given(body=st.lists(TOKENS, max_size=40).map("".join))
def test_gzip_compressed_text_gives_the_same_outcome(body):
    data = ("y,age,city\n" + body).encode("utf-8")
    assert _outcome(gzip.compress(data), schema=SCHEMA) == _outcome(data, schema=SCHEMA)


@FUZZ
@given(data=st.binary(min_size=2, max_size=400))
def test_a_limit_stops_the_read_with_its_reason_before_anything_else(data):
    # The size limit is checked on the first bytes read, before what they are is judged.
    limits = ReadLimits(max_object_bytes=len(data) // 2)
    assert _outcome(data, schema=SCHEMA, limits=limits) == "object_too_large"


#: Field values that survive a round trip (pandas reads its NA spellings, like "NA", as missing).
VALUE = st.text(alphabet=st.sampled_from(list('ab ,"\n\r\té1-')), min_size=1, max_size=12).filter(
    lambda v: v.strip() not in {"", "NA", "N/A", "nan", "NaN", "null", "None", "n/a", "-nan"}
)


def _quoted(value: str) -> str:
    """RFC 4180 quoting (the csv module leaves a CR unquoted when the line terminator is LF)."""
    if any(c in value for c in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


@FUZZ
@given(
    rows=st.lists(st.tuples(st.sampled_from(["x", "y", "z"]), VALUE, VALUE), min_size=1, max_size=20),
    terminator=st.sampled_from(["\n", "\r\n"]),
    block=st.integers(16, 512),
)
def test_well_formed_csv_comes_back_exactly(rows, terminator, block):
    text = "".join(",".join(map(_quoted, row)) + terminator for row in [("y", "a", "b"), *rows])
    batch = read_csv(text.encode("utf-8"), schema=TEXT_SCHEMA, block_bytes=block)
    expected = pd.DataFrame(rows, columns=["y", "a", "b"])
    pd.testing.assert_frame_equal(batch.frame.reset_index(drop=True), expected, check_dtype=False)


@pytest.mark.parametrize("terminator", ["\n", "\r\n", "\r"])
def test_every_line_ending_reads_the_same_rows(terminator):
    data = terminator.join(["y,age,city", "1,3,a", '0,4,"b c"', ""]).encode()
    batch = read_csv(data, schema=SCHEMA)
    assert batch.frame["city"].tolist() == ["a", "b c"]
