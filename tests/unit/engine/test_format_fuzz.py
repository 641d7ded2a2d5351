"""Property-based fuzzing of the Parquet and JSON Lines readers: a batch or a listed reason, nothing else.

As for CSV (``test_reading_fuzz.py``, whose settings these share): arbitrary bytes under each name,
valid Parquet files cut, flipped and overwritten anywhere (footer, pages, magic), JSON-ish text built
from the characters JSON treats specially, and well-formed JSON Lines that must come back exactly.
"""

from __future__ import annotations

import io
import json

import fastparquet
import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_reading_fuzz import FUZZ, SCHEMA

from drift_retrain.engine import parquet_pages
from drift_retrain.engine.batch_reader import read_batch
from drift_retrain.engine.read_reasons import READ_REASONS
from drift_retrain.exceptions import InvalidBatchError

#: Some damaged pages never finish decoding (fastparquet loops in ``skip_definition_bytes``): the reader
#: gives up after ``ROW_GROUP_SECONDS`` (2 minutes, sized for a large row group on Lambda). On 600-byte
#: files a second says the same, without the test waiting four minutes in real time.
STALL_SECONDS = 1.0


@pytest.fixture(scope="module", autouse=True)
def _short_stall_limit():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parquet_pages, "ROW_GROUP_SECONDS", STALL_SECONDS)
        yield


NAMES = ("b.parquet", "b.jsonl", "b.jsonl.gz", "b.csv", None)


def _outcome(data: bytes, name: str | None, **kwargs) -> str:
    try:
        batch = read_batch(data, name=name, **kwargs)
    except InvalidBatchError as error:
        assert error.code in READ_REASONS, f"unlisted reason {error.code!r}: {error}"
        assert error.code != "unparseable", str(error)
        assert str(error) and len(str(error)) <= 2100
        return error.code
    assert batch.rows_read >= len(batch.frame) >= 1
    assert len(batch.line_of_row) == len(batch.frame)
    return "ok"


def _parquet(rows: int, seed: int, compression: str = "SNAPPY") -> bytes:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "y": rng.integers(0, 2, rows),
            "age": rng.normal(size=rows),
            "city": pd.Categorical(rng.choice(["a", "b", "c"], rows)),
        }
    )
    buffer = io.BytesIO()
    fastparquet.write(buffer, frame, row_group_offsets=max(1, rows // 3), compression=compression)
    return buffer.getvalue()


#: Snappy pages, and uncompressed ones (damage then reaches the page decoders directly).
VALID = [_parquet(5, 1), _parquet(40, 2), _parquet(40, 3, "UNCOMPRESSED")]


@FUZZ
@given(data=st.binary(max_size=600), name=st.sampled_from(NAMES))
def test_any_bytes_under_any_name_give_a_batch_or_a_listed_reason(data, name):
    _outcome(data, name, schema=SCHEMA)
    _outcome(data, name)


@FUZZ
@given(
    which=st.sampled_from(range(len(VALID))),
    edits=st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=8)), min_size=1, max_size=4),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_damaged_parquet_gives_a_batch_or_a_listed_reason(which, edits, cut):
    data = bytearray(VALID[which])
    for where, patch in edits:
        at = int(where * (len(data) - 1))
        data[at : at + len(patch)] = patch
    if cut is not None:
        data = data[: int(cut * len(data))]
    _outcome(bytes(data), "b.parquet", schema=SCHEMA)
    _outcome(bytes(data), "b.parquet")


JSON_TOKENS = st.sampled_from(
    ['{', '}', '[', ']', '"', ':', ',', "\n", "\r\n", " ", '"y"', '"age"', '"city"', "1", "2.5", "-0",
     "1e400", "NaN", "Infinity", "true", "false", "null", '"é"', "\\u0000", "\x00", '"x"', "{}"]
)  # fmt: skip


@FUZZ
@given(body=st.lists(JSON_TOKENS, max_size=60).map("".join))
def test_json_ish_text_gives_a_batch_or_a_listed_reason(body):
    data = body.encode("utf-8")
    _outcome(data, "b.jsonl", schema=SCHEMA)
    _outcome(data, "b.jsonl", label="y")


VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.text(alphabet='ab ,"\n\\é1', min_size=1, max_size=8),
)


@FUZZ
@given(
    rows=st.lists(
        st.fixed_dictionaries({"y": st.sampled_from([0, 1]), "city": VALUE}), min_size=1, max_size=20
    )
)
def test_well_formed_json_lines_come_back_exactly(rows):
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    schema = SCHEMA.__class__(columns=(SCHEMA.columns[1],), label="y", task="binary", classes=("0", "1"))
    batch = read_batch(data, name="b.jsonl", schema=schema)
    spelled = {True: "true", False: "false"}
    expected = [
        None if v is None else spelled.get(v, str(v)) if isinstance(v, bool) else str(v)
        for v in (r["city"] for r in rows)
    ]
    got = [None if pd.isna(v) else v for v in batch.frame["city"]]
    assert got == expected
    assert batch.frame["y"].tolist() == [str(r["y"]) for r in rows]
