"""Regression corpus of issue 9: each kind of input the sweep found, with the reason it must get.

Every entry once got a misleading reason (a Parquet file as ``not_utf8``, NUL bytes as
``renamed_columns``, a CR inside a field as "unparseable lines 2-5001") or none at all (``inf`` counted as
missing, a gzip bomb read in full). docs/bad-input.md's tables are this corpus in words.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile

import numpy as np
import pytest
from support.paths import ROOT

from drift_retrain.engine import record_scan
from drift_retrain.engine.read_limits import ReadLimits, human_bytes
from drift_retrain.engine.reading import READ_REASONS, read_csv
from drift_retrain.engine.schema import ColumnSpec, Schema
from drift_retrain.exceptions import ConfigError, InvalidBatchError

SCHEMA = Schema(
    columns=(ColumnSpec("age", "numeric"), ColumnSpec("city", "categorical")),
    label="y",
    task="binary",
    classes=("0", "1"),
)
GOOD = b"y,age,city\n1,34,paris\n0,51.5,lyon\n,40,\n"


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("batch.csv", data)
    return buffer.getvalue()


# (id, bytes, code, fragment of the message)
CORPUS = [
    # what the file is
    (
        "parquet",
        b"PAR1\x15\x04\x15\x00\x15\x00" + b"\x00" * 40 + b"PAR1",
        "parquet",
        "looks like a Parquet file",
    ),
    ("parquet-in-gzip", gzip.compress(b"PAR1\x15\x04" + b"\x00" * 40), "parquet", "inside the gzip"),
    ("zip", _zip(GOOD), "zip_archive", "zip archive"),
    ("xlsx", b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 30, "zip_archive", ".xlsx"),
    ("xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 30, "binary_file", "Excel (.xls)"),
    ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "binary_file", "PDF"),
    ("bzip2", bz2.compress(GOOD), "unsupported_compression", "bzip2"),
    ("xz", lzma.compress(GOOD), "unsupported_compression", "xz"),
    ("zstd", b"\x28\xb5\x2f\xfd" + b"\x00" * 20, "unsupported_compression", "zstd"),
    ("gzip-twice", gzip.compress(gzip.compress(GOOD)), "unsupported_compression", "gzip inside gzip"),
    ("corrupt-gzip", gzip.compress(GOOD)[:-12], "corrupt_gzip", "corrupt or truncated"),
    ("utf16-bom", GOOD.decode().encode("utf-16"), "utf16", "UTF-16 byte-order mark"),
    ("utf16-be-no-bom", GOOD.decode().encode("utf-16-be"), "utf16", "every other byte is NUL"),
    ("utf32", GOOD.decode().encode("utf-32"), "utf16", "UTF-32"),
    ("nul-only", b"\x00" * 5000, "binary_file", "only NUL (0x00) bytes"),
    (
        "random-binary",
        bytes(np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8)),
        "binary_file",
        "binary data",
    ),
    # the text
    ("latin1", b"y,age,city\n1,3,caf\xe9\n", "not_utf8", "line 2: byte 0xe9"),
    ("nul-in-category", b"y,age,city\n1,3,pa\x00ris\n", "nul_byte", "line 2: a NUL byte"),
    (
        "cr-inside-field",
        b"y,age,city\n" + b"1,3,a\rb\n" * 5000,
        "carriage_return",
        "line 2: a carriage return",
    ),
    ("cr-in-header", b"y,a\rge,city\n1,3,a\n", "carriage_return", "line 1"),
    (
        "stray-quote",
        b"y,age,city\n1,3,5'10\"\n",
        "stray_quote",
        "line 2: a double quote inside an unquoted field",
    ),
    ("text-after-quote", b'y,age,city\n1,3,"a"b\n', "stray_quote", "text after the closing quote"),
    ("stray-quote-no-final-newline", b'y,age,city\n1,34,pa"ris', "stray_quote", "line 2"),
    (
        "unclosed-quote",
        b'y,age,city\n1,3,"paris\n0,4,lyon\n',
        "unterminated_quote",
        "line 2: a quoted field is never closed",
    ),
    # the rows
    ("inf", b"y,age,city\n1,inf,a\n", "infinite_value", "line 2, column 'age': 'inf' is not a finite number"),
    ("minus-infinity", b"y,age,city\n1,3,a\n0,-Infinity,b\n", "infinite_value", "line 3"),
    ("1e400", b"y,age,city\n1,3,a\n0,1e400,b\n", "infinite_value", "'1e400'"),
    ("inf-label-regression", b"y,age,city\ninf,3,a\n", "infinite_value", "column 'y'"),
    # issue 19: a boolean in a numeric column is quoted as the file writes it
    ("true-in-numeric", b"y,age,city\n1,true,a\n", "not_numeric", "column 'age': 'true' is not a number"),
    ("TRUE-among-numbers", b"y,age,city\n1,3,a\n1,TRUE,a\n", "not_numeric", "line 3, column 'age': 'TRUE'"),
    # issue 19: what the file is, said by name instead of "'age' looks renamed to 'y;age;city'"
    ("semicolons", b"y;age;city\n1;3;a\n", "wrong_delimiter", "separated by semicolons (';')"),
    ("tabs", b"y\tage\tcity\n1\t3\ta\n", "wrong_delimiter", "separated by tabs"),
    ("pipes", b"y|age|city\n1|3|a\n", "wrong_delimiter", "separated by pipes"),
    ("excel-sep-line", b"sep=,\ny,age,city\n1,3,a\n", "excel_sep_line", "Excel's separator hint 'sep=,'"),
    ("excel-sep-semicolon", b"sep=;\ny;age;city\n1;3;a\n", "excel_sep_line", "remove that line"),
    # issue 19: limits on what one record costs
    (
        "huge-cell",
        b"y,age,city\n1,3,a\n0,4," + b"b" * (1024 * 1024 + 1) + b"\n",
        "cell_too_large",
        "line 3, column 'city'",
    ),
    (
        "huge-header-cell",
        b"y,age,city," + b"c" * (1024 * 1024 + 1) + b"\n1,3,a,b\n",
        "cell_too_large",
        "line 1",
    ),
    (
        "too-many-columns",
        b"y,age,city," + b",".join(b"c%d" % i for i in range(10_000)) + b"\n",
        "too_many_columns",
        "10,003 columns, over MAX_COLUMNS=10,000",
    ),
    ("renamed-label", b"Y,age,city\n1,3,a\n", "renamed_columns", "label column 'y' looks renamed to 'Y'"),
]
REGRESSION = Schema(columns=SCHEMA.columns, label="y", task="regression")


@pytest.mark.parametrize(("data", "code", "fragment"), [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS])
def test_each_kind_gets_the_reason_that_names_it(data, code, fragment):
    schema = (
        REGRESSION if "regression" in fragment or (code == "infinite_value" and b"inf,3" in data) else SCHEMA
    )
    with pytest.raises(InvalidBatchError) as caught:
        read_csv(data, schema=schema, block_bytes=4096)
    assert (caught.value.code, fragment in str(caught.value)) == (code, True), str(caught.value)
    assert code in READ_REASONS


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(GOOD.replace(b"\n", b"\r"), id="cr-only-line-endings"),
        pytest.param(GOOD.rstrip(b"\n"), id="no-final-newline"),
        pytest.param(b'y,age,city\n1,34,paris\n0,51.5,"lyon"', id="no-final-newline-quoted"),
        pytest.param(b'y,age,city\n1,34,paris\n0,51.5,"ly""on"\n', id="doubled-quote"),
        pytest.param(b'y,age,city\n1,34,"pa\rris"\n0,51.5,b\n', id="cr-inside-quotes"),
        pytest.param(gzip.compress(GOOD.replace(b"\n", b"\r\n")), id="gzip-crlf"),
    ],
)
def test_what_csv_allows_is_read(data):
    batch = read_csv(data, schema=SCHEMA)
    assert batch.rows_read >= 2
    assert batch.frame["age"].tolist()[:2] == [34.0, 51.5]


def test_text_looking_signatures_count_only_before_binary_bytes():
    # A header that merely starts with the letters of a signature is a header.
    schema = Schema(columns=(ColumnSpec("PAR1", "numeric"), ColumnSpec("ORCID", "categorical")), label="y", task="binary", classes=("0", "1"))  # fmt: skip
    assert read_csv(b"PAR1,ORCID,y\n1,a,0\n", schema=schema).rows_read == 1


def test_no_line_breaks_and_an_unclosed_quote_are_told_apart(monkeypatch):
    monkeypatch.setattr(record_scan, "MAX_RECORD_BYTES", 4096)
    with pytest.raises(InvalidBatchError) as no_breaks:
        read_csv(b"y,age,city," * 1000, schema=SCHEMA, block_bytes=1024)
    assert no_breaks.value.code == "no_line_breaks"
    with pytest.raises(InvalidBatchError) as unclosed:
        read_csv(b'y,age,city\n1,3,"' + b"a\n" * 3000, schema=SCHEMA, block_bytes=1024)
    assert (unclosed.value.code, unclosed.value.line) == ("unterminated_quote", 2)


# ------------------------------------------------------------------------------------------ limits


def _rows(n: int) -> bytes:
    return b"y,age,city\n" + b"1,34,paris\n" * n


def test_a_gzip_bomb_stops_at_the_ratio_guard():
    bomb = gzip.compress(_rows(200_000), 9)  # 2.2 MB of identical rows in about 5 kB
    limits = ReadLimits(ratio_check_after_bytes=256 * 1024)
    with pytest.raises(InvalidBatchError) as caught:
        read_csv(bomb, schema=SCHEMA, limits=limits, block_bytes=64 * 1024)
    assert caught.value.code == "compression_ratio"
    assert "MAX_COMPRESSION_RATIO=100" in str(caught.value)
    # Below the point where the ratio is judged, a small repetitive file is harmless and read.
    assert read_csv(bomb, schema=SCHEMA).rows_read == 200_000


def test_decompressed_and_object_sizes_are_bounded_while_reading():
    data = _rows(10_000)
    with pytest.raises(InvalidBatchError) as expanded:
        read_csv(gzip.compress(data), schema=SCHEMA, limits=ReadLimits(max_decompressed_bytes=50_000))
    assert expanded.value.code == "decompressed_too_large"
    with pytest.raises(InvalidBatchError) as stored:
        read_csv(io.BytesIO(data), schema=SCHEMA, limits=ReadLimits(max_object_bytes=50_000))
    assert stored.value.code == "object_too_large" and "at least 107.4 KiB" in str(stored.value)
    assert read_csv(data, schema=SCHEMA, limits=ReadLimits(max_object_bytes=len(data))).rows_read == 10_000


def test_limits_are_read_from_the_environment():
    assert ReadLimits.from_env({}) == ReadLimits()
    assert ReadLimits.from_env({"MAX_OBJECT_BYTES": "10", "MAX_COMPRESSION_RATIO": "2.5"}) == ReadLimits(
        max_object_bytes=10, max_compression_ratio=2.5
    )
    with pytest.raises(ConfigError, match="MAX_DECOMPRESSED_BYTES='big'"):
        ReadLimits.from_env({"MAX_DECOMPRESSED_BYTES": "big"})
    with pytest.raises(ConfigError, match="MAX_COMPRESSION_RATIO must be >= 1"):
        ReadLimits(max_compression_ratio=0.5)
    assert human_bytes(2 * 1024**3) == "2.0 GiB (2,147,483,648 bytes)" and human_bytes(12) == "12 bytes"


# ------------------------------------------------------------------------------------ echo caps


def test_a_huge_cell_is_echoed_capped():
    cell = "x" * 10_000_000
    with pytest.raises(InvalidBatchError) as caught:
        read_csv(f"y,age,city\n1,{cell},a\n".encode(), schema=SCHEMA, limits=ReadLimits(max_cell_bytes=2**24))
    assert caught.value.code == "not_numeric"
    assert "(10,000,000 characters)" in str(caught.value) and len(str(caught.value)) < 400


def test_a_huge_column_name_is_echoed_capped_in_the_message_and_the_column():
    name = "c" * 1_000_000
    with pytest.raises(InvalidBatchError) as caught:
        read_csv(f"y,age,{name}\n1,3,b\n".encode(), schema=SCHEMA)
    assert caught.value.code == "renamed_columns"
    assert len(str(caught.value)) <= 2100 and len(caught.value.column) < 250
    [warning] = read_csv(f"y,age,city,{name}\n1,3,a,b\n".encode(), schema=SCHEMA).warnings
    assert warning["code"] == "extra_columns" and len(warning["message"]) < 400


# ------------------------------------------------------------------------------------------ docs


@pytest.mark.parametrize("doc", ["docs/bad-input.md", "docs/drift-report.md"])
def test_every_reason_code_is_documented(doc):
    text = (ROOT / doc).read_text(encoding="utf-8")
    assert [code for code in READ_REASONS if f"`{code}`" not in text] == []
