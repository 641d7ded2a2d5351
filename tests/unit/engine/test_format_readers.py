"""Parquet and JSON Lines batches: read as their CSV twin reads, and every bad file with its own reason."""

from __future__ import annotations

import gzip
import io
import json
import struct
from pathlib import Path

import fastparquet
import numpy as np
import pandas as pd
import pytest

from drift_retrain.engine import parquet_reading
from drift_retrain.engine.batch_reader import read_batch, read_training_data
from drift_retrain.engine.read_limits import ReadLimits
from drift_retrain.engine.read_reasons import READ_REASONS
from drift_retrain.engine.reading import read_csv, read_training
from drift_retrain.engine.roles import TIMESTAMP
from drift_retrain.engine.schema import ColumnSpec, Schema, infer_schema
from drift_retrain.exceptions import InvalidBatchError

FILES = Path(__file__).resolve().parent / "parquet_files"
SCHEMA = Schema(
    columns=(
        ColumnSpec("age", "numeric"),
        ColumnSpec("city", "categorical"),
        ColumnSpec("member", "categorical"),
    ),
    label="y",
    task="binary",
    classes=("0", "1"),
)
FRAME = pd.DataFrame(
    {
        "y": [1, 0, 1, 0, None],
        "age": [34.0, 51.5, 40.0, None, 22.0],
        "city": ["paris", "lyon", None, "paris", "nice"],
        "member": [True, False, None, True, False],
    }
)
#: The same rows as a CSV export writes them: booleans as true/false.
CSV = b"y,age,city,member\n1,34.0,paris,true\n0,51.5,lyon,false\n1,40.0,,\n0,,paris,true\n,22.0,nice,false\n"


def parquet_bytes(frame: pd.DataFrame = FRAME, *, row_group: int = 2, **options) -> bytes:
    frame = frame.copy()
    if "member" in frame:
        frame["member"] = frame["member"].astype("boolean")
    if "city" in frame and options.pop("dictionary", True):
        frame["city"] = frame["city"].astype("category")  # dictionary-encoded, as Spark writes text
    buffer = io.BytesIO()
    fastparquet.write(buffer, frame, row_group_offsets=row_group, compression="SNAPPY", **options)
    return buffer.getvalue()


def jsonl_bytes(frame: pd.DataFrame = FRAME) -> bytes:
    rows = [{k: v for k, v in row.items() if not pd.isna(v)} for row in frame.to_dict("records")]
    return "".join(json.dumps(r) + "\n" for r in rows).encode()


def code_of(data: bytes, name: str, **kwargs) -> InvalidBatchError:
    with pytest.raises(InvalidBatchError) as caught:
        read_batch(data, name=name, **kwargs)
    assert caught.value.code in READ_REASONS
    return caught.value


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("b.parquet", parquet_bytes()),
        ("b.parquet (plain text columns)", parquet_bytes(dictionary=False)),
        ("b.jsonl", jsonl_bytes()),
        ("b.jsonl.gz", gzip.compress(jsonl_bytes())),
    ],
)
def test_a_batch_reads_the_same_in_every_format(name, data):
    expected = read_csv(CSV, schema=SCHEMA).frame
    batch = read_batch(data, name=name.split(" ")[0], schema=SCHEMA)
    pd.testing.assert_frame_equal(batch.frame, expected, check_dtype=False)
    assert batch.frame["member"].tolist()[:2] == ["true", "false"]  # the textual mapping of booleans
    assert batch.rows_read == 5


def test_training_data_infers_the_same_schema_from_parquet_as_from_csv():
    def kinds(schema):
        return [(c.name, c.kind, c.role) for c in schema.columns], schema.label, schema.classes

    assert kinds(read_training_data(parquet_bytes(), name="t.parquet", label="y").schema) == kinds(
        read_training(CSV, label="y", min_rows=1).schema
    )


def test_a_class_the_model_never_saw_is_set_aside_in_parquet_as_in_csv():
    batch = read_batch(parquet_bytes(FRAME.assign(y=[1, 7, 0, 1, 0])), name="b.parquet", schema=SCHEMA)
    assert batch.set_aside["unknown_class"]["rows"] == 1 and len(batch.frame) == 4


def test_a_key_the_model_does_not_know_is_read_as_text_not_refused():
    batch = read_batch(
        b'{"y": 1, "age": 2, "city": "a", "member": true, "zip": "x"}\n', name="b.jsonl", schema=SCHEMA
    )
    assert batch.frame["age"].tolist() == [2.0]


def test_parquet_types_map_to_the_schema_as_a_pipeline_writes_them():
    # pyarrow's file: ZSTD, dictionary-encoded text, a UTC timestamp, nullable integers, two row groups.
    batch = read_batch(FILES / "pyarrow_flat.parquet", label="y")
    schema = infer_schema(batch.frame, label="y")
    kinds = {c.name: (c.kind, c.role) for c in schema.columns}
    assert kinds == {
        "age": ("numeric", "feature"),
        "city": ("categorical", "feature"),
        "seen": ("categorical", TIMESTAMP),
        "member": ("categorical", "feature"),
    }
    assert batch.frame["seen"].tolist()[:3] == [
        "1970-01-01T00:00:00.000",
        "1970-01-02T00:00:00.000",
        "1970-01-02T01:00:00.000",
    ]
    assert batch.frame["age"].isna().tolist() == [False, False, True, False]


def test_row_groups_are_decoded_one_at_a_time_into_the_sample(monkeypatch):
    frame = pd.DataFrame(
        {"y": np.arange(1000) % 2, "age": np.arange(1000.0), "city": ["a"] * 1000, "member": [True] * 1000}
    )
    sizes = []
    real = parquet_reading._row_groups

    def counted(parquet):
        for group, rows in real(parquet):
            sizes.append(len(group))
            yield group, rows

    monkeypatch.setattr(parquet_reading, "_row_groups", counted)
    batch = read_batch(
        parquet_bytes(frame, row_group=100), name="b.parquet", schema=SCHEMA, max_rows=50, seed=1
    )
    assert sizes == [100] * 10  # never the whole file at once
    assert (len(batch.frame), batch.rows_read, batch.sampling["method"]) == (50, 1000, "uniform_sample")
    assert batch.frame["age"].nunique() == 50 and batch.frame["age"].max() > 500  # drawn from every group


def _with_codec(data: bytes, codec: int) -> bytes:
    """``data`` with its first data column's codec set to ``codec`` in the footer (3 = LZO)."""
    footer_length = struct.unpack("<i", data[-8:-4])[0]
    metadata = fastparquet.ParquetFile(io.BytesIO(data)).fmd
    metadata.row_groups[0].columns[1].meta_data.codec = codec
    footer = metadata.to_bytes()
    return data[: len(data) - 8 - footer_length] + footer + struct.pack("<i", len(footer)) + b"PAR1"


def _clobber_footer(data: bytes) -> bytes:
    """``data`` with the start of its footer (the schema) overwritten."""
    start = len(data) - 8 - struct.unpack("<i", data[-8:-4])[0]
    return data[:start] + b"\xff" * 24 + data[start + 24 :]


GOOD = parquet_bytes()
# (id, bytes, name, code, fragment)
CORPUS = [
    ("truncated", GOOD[: len(GOOD) // 2], "b.parquet", "parquet_truncated", "cut short"),
    ("footer", _clobber_footer(GOOD), "b.parquet", "parquet_corrupt_footer", "footer"),
    (
        "footer-length",
        GOOD[:-8] + struct.pack("<i", 10**6) + b"PAR1",
        "b.parquet",
        "parquet_corrupt_footer",
        "footer",
    ),
    ("lzo", _with_codec(GOOD, 3), "b.parquet", "parquet_unsupported_codec", "LZO-compressed"),
    (
        "nested",
        (FILES / "nested.parquet").read_bytes(),
        "b.parquet",
        "unsupported_column",
        "'city' is nested",
    ),
    ("list", (FILES / "list.parquet").read_bytes(), "b.parquet", "unsupported_column", "'city' is a list"),
    ("map", (FILES / "map.parquet").read_bytes(), "b.parquet", "unsupported_column", "'city' is a map"),
    (
        "binary",
        (FILES / "binary.parquet").read_bytes(),
        "b.parquet",
        "unsupported_column",
        "'city' is binary",
    ),
    ("csv-named-parquet", CSV, "b.parquet", "wrong_extension", "not Parquet"),
    ("parquet-named-csv", GOOD, "b.csv", "wrong_extension", "a Parquet file"),
    ("parquet-named-jsonl", GOOD, "b.jsonl", "wrong_extension", "a Parquet file"),
    ("no-rows", parquet_bytes(FRAME.iloc[:0]), "b.parquet", "no_rows", "no rows"),
    ("missing-column", parquet_bytes(FRAME.drop(columns="age")), "b.parquet", "missing_columns", "age"),
    (
        "text-in-numeric",
        parquet_bytes(FRAME.assign(age=["1", "x", "2", "3", "4"])),
        "b.parquet",
        "not_numeric",
        "'x'",
    ),
    ("inf", parquet_bytes(FRAME.assign(age=[1.0, np.inf, 2, 3, 4])), "b.parquet", "infinite_value", "row 2"),
    ("unknown-class", parquet_bytes(FRAME.assign(y=[7, 7, 8, 7, None])), "b.parquet", "unknown_class", "'7'"),
    ("jsonl-not-json", b'{"y": 1, "age": 2}\n{"y": 1,\n', "b.jsonl", "invalid_json", "line 2"),
    ("jsonl-array", b'{"y": 1, "age": 2}\n[1, 2]\n', "b.jsonl", "invalid_json", "line 2: a JSON list"),
    (
        "jsonl-nested",
        b'{"y": 1, "age": 2, "city": {"n": 1}}\n',
        "b.jsonl",
        "unsupported_column",
        "column 'city'",
    ),
    ("jsonl-list", b'{"y": 1, "age": 2, "city": [1]}\n', "b.jsonl", "unsupported_column", "a JSON list"),
    ("jsonl-latin1", b'{"y": 1, "age": 2, "city": "caf\xe9"}\n', "b.jsonl", "not_utf8", "line 1"),
    ("jsonl-missing-key", b'{"y": 1, "city": "x"}\n', "b.jsonl", "missing_columns", "age"),
    ("jsonl-text-in-numeric", b'{"y": 1, "age": "old"}\n', "b.jsonl", "not_numeric", "line 1"),
    ("jsonl-empty", b"\n\n", "b.jsonl", "empty_file", "empty"),
]


@pytest.mark.parametrize(
    ("data", "name", "code", "fragment"), [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS]
)
def test_each_bad_file_gets_its_own_reason(data, name, code, fragment):
    error = code_of(data, name, schema=SCHEMA)
    assert (error.code, fragment in str(error)) == (code, True), str(error)


def test_the_read_limits_hold_for_parquet():
    too_big = code_of(GOOD, "b.parquet", schema=SCHEMA, limits=ReadLimits(max_object_bytes=100))
    assert too_big.code == "object_too_large"
    expands = code_of(GOOD, "b.parquet", schema=SCHEMA, limits=ReadLimits(max_decompressed_bytes=100))
    assert expands.code == "decompressed_too_large"


def test_a_stream_that_cannot_seek_is_spooled_and_counted(monkeypatch):
    class Unseekable(io.RawIOBase):
        def __init__(self, data: bytes):
            self.inner = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buffer):
            chunk = self.inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    monkeypatch.setattr(parquet_reading, "SPOOL_MEMORY_BYTES", 64)  # to the disk after 64 bytes
    batch = read_batch(io.BufferedReader(Unseekable(GOOD)), name="b.parquet", schema=SCHEMA)
    assert batch.rows_read == 5
    error = code_of(
        io.BufferedReader(Unseekable(GOOD)), "b.parquet", limits=ReadLimits(max_object_bytes=len(GOOD) - 1)
    )
    assert error.code == "object_too_large"


def test_an_unnamed_source_is_read_by_its_bytes():
    assert read_batch(GOOD, schema=SCHEMA).rows_read == 5
    assert read_batch(jsonl_bytes(), schema=SCHEMA).rows_read == 5
    assert read_batch(CSV, schema=SCHEMA).rows_read == 5


def test_jsonl_keys_may_be_sparse_and_lines_blank():
    data = b'{"y": 1, "age": 3}\n\n{"age": 4, "city": "x", "member": true}\n'
    batch = read_batch(data, name="b.jsonl", schema=SCHEMA, max_rows=None)
    assert batch.frame["city"].tolist()[1] == "x" and pd.isna(batch.frame["city"].tolist()[0])
    assert batch.line_of_row.tolist() == [1, 3]


class _Decoder:
    """A stand-in for ``fastparquet.ParquetFile`` whose decoding, in the child, does ``action``."""

    def __init__(self, action):
        self.action = action

    def iter_row_groups(self):
        yield pd.DataFrame({"a": [1.0, 2.0]})
        self.action()
        yield pd.DataFrame({"a": [3.0]})


def test_a_decoder_that_crashes_costs_only_its_child_and_names_the_file():
    import os
    import signal

    from drift_retrain.engine.parquet_pages import decoded_row_groups

    groups = decoded_row_groups(_Decoder(lambda: os.kill(os.getpid(), signal.SIGSEGV)))
    assert len(next(groups)) == 2
    with pytest.raises(InvalidBatchError) as caught:
        next(groups)
    assert caught.value.code == "parquet_corrupt_data" and "near row 3" in str(caught.value)


def test_a_decoder_that_never_finishes_a_row_group_is_a_damaged_file(monkeypatch):
    import threading

    from drift_retrain.engine import parquet_pages

    monkeypatch.setattr(parquet_pages, "ROW_GROUP_SECONDS", 0.2)
    groups = parquet_pages.decoded_row_groups(_Decoder(threading.Event().wait))  # blocks for ever
    next(groups)
    with pytest.raises(InvalidBatchError) as caught:
        next(groups)
    assert caught.value.code == "parquet_corrupt_data" and "did not finish a row group" in str(caught.value)


def test_a_decoder_that_exits_without_an_answer_is_an_error_to_retry_not_a_bad_file():
    import os

    from drift_retrain.engine import parquet_pages

    groups = parquet_pages.decoded_row_groups(_Decoder(lambda: os._exit(3)))
    next(groups)
    with pytest.raises(parquet_pages.ParquetDecoderStalledError):
        next(groups)
