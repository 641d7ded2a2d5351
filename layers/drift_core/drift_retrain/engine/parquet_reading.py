"""Read Parquet batches one row group at a time (fastparquet), with the CSV reader's reasons and limits.

Parquet keeps its index at the end of the file, so a stream that cannot seek (an S3 body) is first
spooled to a temporary file (memory up to ``SPOOL_MEMORY_BYTES``, then the disk), counted against
``MAX_OBJECT_BYTES`` on the way. The footer is then checked before any data is decoded: every column
must be flat (numbers, text, dictionary-encoded text, booleans, timestamps or decimals), every codec one
the reader has, and the row groups' uncompressed size within ``MAX_DECOMPRESSED_BYTES`` and
``MAX_COMPRESSION_RATIO``. Rows are then decoded one row group at a time into the same uniform sample
as CSV (``RowSampler``), so memory is one row group plus the sample whatever the file's size. Values are
typed as CSV's would be (:mod:`typed_columns`); row numbers (from 1) stand where CSV messages say "line".
The footer is checked before fastparquet decodes it (:mod:`parquet_footer`) and the pages are decoded
in a child process (:mod:`parquet_pages`): fastparquet's decoders trust their input, and a damaged file
must be a reason, never a dead process.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from drift_retrain.echo import echo
from drift_retrain.engine.batch_header import check_header
from drift_retrain.engine.batch_source import Source
from drift_retrain.engine.parquet_footer import FooterError, check_footer
from drift_retrain.engine.parquet_pages import decoded_row_groups
from drift_retrain.engine.read_limits import ReadLimits, human_bytes
from drift_retrain.engine.reading import CsvBatch, typed_labels_setting_aside
from drift_retrain.engine.row_sampler import RowSampler
from drift_retrain.engine.schema import Schema
from drift_retrain.engine.typed_columns import as_csv_values
from drift_retrain.exceptions import InvalidBatchError

__all__ = ["PARQUET_MAGIC", "SPOOL_MEMORY_BYTES", "read_parquet"]

PARQUET_MAGIC = b"PAR1"
#: A spooled stream stays in memory up to this size, then moves to a temporary file.
SPOOL_MEMORY_BYTES = 8 * 1024 * 1024
_COPY_BYTES = 1024 * 1024

# Parquet's converted types and physical types that matter here (parquet.thrift).
_BYTE_ARRAY, _FIXED_LEN_BYTE_ARRAY = 6, 7
_TEXT_CONVERTED = {0, 4, 19}  # UTF8, ENUM, JSON
_DECIMAL = 5
_REPEATED = 2
_CODECS = {
    0: "UNCOMPRESSED",
    1: "SNAPPY",
    2: "GZIP",
    3: "LZO",
    4: "BROTLI",
    5: "LZ4",
    6: "ZSTD",
    7: "LZ4_RAW",
}


def read_parquet(
    source: Source,
    *,
    schema: Schema | None = None,
    label: str | None = None,
    max_rows: int | None = None,
    seed: int = 0,
    limits: ReadLimits | None = None,
) -> CsvBatch:
    """Read a Parquet file as :func:`~drift_retrain.engine.reading.read_csv` reads a CSV (same arguments).

    Raises
    ------
    InvalidBatchError
        ``parquet_truncated``, ``parquet_corrupt_footer``, ``parquet_corrupt_data``,
        ``parquet_unsupported_codec``, ``unsupported_column``, a header code, a value code, or a limit's.
    """
    limits = limits or ReadLimits()
    with _seekable(source, limits) as file:
        parquet, columns = _open(file, limits)
        check_header(columns, schema, label)
        sampler = RowSampler(max_rows, seed)
        with _rows_not_lines():
            for frame, rows in _row_groups(parquet):
                sampler.add(as_csv_values(frame, schema, rows), rows)
    frame, line_of_row, rows_read = sampler.result(columns)
    if rows_read == 0:
        raise InvalidBatchError("no_rows", "the Parquet file has a schema but no rows")
    set_aside: dict[str, dict] = {}
    if schema is not None:
        with _rows_not_lines():
            frame, line_of_row, set_aside = typed_labels_setting_aside(frame, line_of_row, schema)
    return CsvBatch(
        frame=frame,
        columns=columns,
        rows_read=rows_read,
        compressed=True,
        schema=schema,
        line_of_row=line_of_row,
        set_aside=set_aside,
    )


@contextmanager
def _rows_not_lines() -> Iterator[None]:
    """A value's message names its row (from 1): a Parquet file has no lines."""
    try:
        yield
    except InvalidBatchError as error:
        if error.line is None or not str(error).startswith(f"line {error.line}"):
            raise
        message = f"row {error.line}" + str(error)[len(f"line {error.line}") :]
        raise InvalidBatchError(error.code, message, line=error.line, column=error.column) from error


class _seekable:
    """The source as a seekable binary file: a path or seekable stream as is, else spooled (counted)."""

    def __init__(self, source: Source, limits: ReadLimits):
        self.source, self.limits = source, limits
        self.file: BinaryIO | None = None
        self.owned = True

    def __enter__(self) -> BinaryIO:
        source = self.source
        if isinstance(source, (bytes, bytearray)):
            self.file = io.BytesIO(bytes(source))
        elif isinstance(source, str) or hasattr(source, "__fspath__"):
            try:
                self.file = open(source, "rb")
            except OSError as exc:
                raise InvalidBatchError("unreadable", f"cannot open {source}: {exc.strerror}") from exc
        elif _can_seek(source):
            self.file, self.owned = source, False
        else:
            self.file = _spool(source, self.limits)
        self.file.seek(0, io.SEEK_END)
        size = self.file.tell()
        self.file.seek(0)
        self.limits.check_object_size(size)
        return self.file

    def __exit__(self, *exc_info: object) -> None:
        if self.file is not None and self.owned:
            self.file.close()


def _can_seek(stream: Any) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _spool(stream: BinaryIO, limits: ReadLimits) -> BinaryIO:
    spooled = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_BYTES)  # noqa: SIM115 - the caller closes it
    total = 0
    try:
        while chunk := stream.read(_COPY_BYTES):
            total += len(chunk)
            if total > limits.max_object_bytes:
                raise limits.object_too_large(total, at_least=True)
            spooled.write(chunk)
    except BaseException:
        spooled.close()
        raise
    spooled.seek(0)
    return spooled  # type: ignore[return-value]


def _open(file: BinaryIO, limits: ReadLimits) -> tuple[Any, list[str]]:
    """The footer, checked: closing magic, decodable metadata, flat columns, known codecs, sizes."""
    import fastparquet  # imported on use: CSV-only invocations do not pay for it

    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(max(0, size - 4))
    tail = file.read(4)
    file.seek(0)
    if size < 12 or tail != PARQUET_MAGIC:
        raise InvalidBatchError(
            "parquet_truncated",
            f"the Parquet file is cut short ({size:,} bytes, and it does not end with PAR1): an "
            "interrupted upload or copy; write it again",
        )
    file.seek(size - 8)
    footer_size = int.from_bytes(file.read(4), "little", signed=True)
    try:
        if not 0 < footer_size <= size - 12:
            raise FooterError(f"its length field says {footer_size:,} bytes, in a file of {size:,}")
        file.seek(size - 8 - footer_size)
        check_footer(file.read(footer_size))
        file.seek(0)
        parquet = fastparquet.ParquetFile(file)
        columns = [str(c) for c in parquet.columns]
        # A damaged footer can decode with fields of the wrong types: these checks meet them first.
        _check_columns(parquet)
        _check_chunks(parquet, size, limits)
    except InvalidBatchError:
        raise
    except Exception as exc:  # fastparquet raises many kinds for a bad footer; each means the same
        raise InvalidBatchError(
            "parquet_corrupt_footer",
            f"the Parquet footer (its schema and row-group index) cannot be decoded: {type(exc).__name__}: "
            f"{echo(str(exc))}; write the file again",
        ) from exc
    return parquet, columns


def _check_columns(parquet: Any) -> None:
    for name, element in parquet.schema.root.children.items():
        why = _unsupported(element)
        if why:
            raise InvalidBatchError(
                "unsupported_column",
                f"column {echo(name)} is {why}: a batch holds flat columns (numbers, text, booleans, "
                "timestamps); flatten it or leave it out",
                column=str(name),
            )


def _unsupported(element: Any) -> str | None:
    if getattr(element, "children", None) or (element.num_children or 0) > 0:
        converted = element.converted_type
        return "a map" if converted in (1, 2) else "a list" if converted == 3 else "nested (a struct)"
    if element.repetition_type == _REPEATED:
        return "a list (a repeated field)"
    logical = element.logicalType
    if element.type in (_BYTE_ARRAY, _FIXED_LEN_BYTE_ARRAY):
        text = element.converted_type in _TEXT_CONVERTED or (
            logical is not None
            and any(getattr(logical, kind, None) is not None for kind in ("STRING", "ENUM", "JSON"))
        )
        decimal = element.converted_type == _DECIMAL or (
            logical is not None and getattr(logical, "DECIMAL", None) is not None
        )
        if not (text or decimal):
            return "binary (bytes without a text or decimal annotation)"
    return None


def _check_chunks(parquet: Any, size: int, limits: ReadLimits) -> None:
    uncompressed = 0
    for group in parquet.row_groups:
        for chunk in group.columns:
            meta = chunk.meta_data
            codec = _CODECS.get(meta.codec, str(meta.codec))
            if codec not in _decompressors():
                raise InvalidBatchError(
                    "parquet_unsupported_codec",
                    f"column {echo('.'.join(meta.path_in_schema))} is {codec}-compressed, which the reader "
                    f"cannot decompress; write the file with SNAPPY, GZIP, ZSTD, LZ4 or BROTLI",
                    column=".".join(meta.path_in_schema),
                )
            start = min(o for o in (meta.dictionary_page_offset, meta.data_page_offset) if o is not None)
            if start + meta.total_compressed_size > size:
                raise InvalidBatchError(
                    "parquet_truncated",
                    f"column {echo('.'.join(meta.path_in_schema))}'s data ends past the end of the file "
                    f"({size:,} bytes): the file was cut short; write it again",
                )
            uncompressed += meta.total_uncompressed_size
    if uncompressed > limits.max_decompressed_bytes:
        raise InvalidBatchError(
            "decompressed_too_large",
            f"the Parquet data expands to {human_bytes(uncompressed)}, past MAX_DECOMPRESSED_BYTES="
            f"{human_bytes(limits.max_decompressed_bytes)}: split it into smaller batches",
        )
    if uncompressed >= limits.ratio_check_after_bytes and uncompressed > limits.max_compression_ratio * size:
        raise limits.compression_ratio(uncompressed, size)


def _decompressors() -> set[str]:
    from fastparquet import compression

    return set(compression.decompressions)


def _row_groups(parquet: Any) -> Iterator[tuple[pd.DataFrame, np.ndarray]]:
    first = 1
    for frame in decoded_row_groups(parquet):
        rows = np.arange(first, first + len(frame), dtype=np.int64)
        first += len(frame)
        frame.index = pd.RangeIndex(len(frame))
        yield frame, rows
