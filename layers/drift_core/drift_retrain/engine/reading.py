"""Read CSV batches (plain or gzip, UTF-8 with or without BOM, LF or CRLF) with specific errors.

The file is read as a stream in blocks that end on record boundaries, so memory stays bounded whatever
its size: each block is checked (UTF-8, fields per record), parsed by pandas' C parser, and kept in a
uniform sample of at most ``max_rows`` rows. Every problem becomes an ``InvalidBatchError`` naming the
line and column, so a bad file can be quarantined with a reason a person can act on.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np
import pandas as pd

from drift_retrain.engine.batch_header import check_header
from drift_retrain.engine.batch_source import Source, open_source
from drift_retrain.engine.schema import CATEGORICAL, Schema, canonical_labels
from drift_retrain.exceptions import InvalidBatchError

__all__ = [
    "BLOCK_BYTES",
    "MAX_RECORD_BYTES",
    "CsvBatch",
    "Source",
    "read_csv",
]


#: 2 MiB blocks: measured on a 200k x 26 batch, 8 MiB blocks cost 64 MB more peak memory and 0.2 s more.
BLOCK_BYTES = 2 * 1024 * 1024
#: A single record longer than this is not a CSV record we can trust (and would defeat bounded memory).
MAX_RECORD_BYTES = 64 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"
_QUOTE, _COMMA, _NL, _CR = 34, 44, 10, 13


@dataclass
class CsvBatch:
    """A parsed batch: the (possibly sampled) rows, and how they were obtained."""

    frame: pd.DataFrame
    columns: list[str]
    rows_read: int
    compressed: bool
    schema: Schema | None = None
    line_of_row: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))

    @property
    def sampled(self) -> bool:
        return len(self.frame) < self.rows_read

    @property
    def sampling(self) -> dict:
        """How the rows were obtained, for the report: streamed whole or a uniform sample."""
        return {
            "method": "uniform_sample" if self.sampled else "all_rows",
            "rows_read": self.rows_read,
            "rows_used": len(self.frame),
            "compressed": self.compressed,
        }


def read_csv(
    source: Source,
    *,
    schema: Schema | None = None,
    label: str | None = None,
    max_rows: int | None = None,
    seed: int = 0,
    block_bytes: int = BLOCK_BYTES,
) -> CsvBatch:
    """Read a CSV with a header row.

    Parameters
    ----------
    source:
        Bytes, a path, or a binary file object (read as a stream, e.g. an S3 ``StreamingBody``).
    schema:
        When given, the header must hold exactly the schema's features (any order) and optionally its
        label; numeric features must parse as numbers; categorical ones are kept as text.
        When ``None`` (training data), pandas infers the types and ``label`` (default: the first column)
        must be present.
    max_rows:
        Keep a uniform random sample of at most this many rows (``seed`` fixes it); ``None`` keeps all.

    Raises
    ------
    InvalidBatchError
        With a specific code: ``empty_file``, ``no_rows``, ``not_utf8``, ``corrupt_gzip``,
        ``duplicate_columns``, ``missing_columns``, ``extra_columns``, ``renamed_columns``,
        ``missing_label``, ``ragged_row``, ``unterminated_quote``, ``not_numeric``, ``unknown_class``,
        ``not_numeric_label``.
    """
    stream, compressed = open_source(source)
    try:
        blocks = _record_blocks(stream, block_bytes)
        header_block = _first_block(blocks)
        columns, first = _take_header(header_block)
        check_header(columns, schema, label)
        sampler = _Sampler(max_rows, seed)
        parse = _BlockParser(columns, schema)
        for block in _chain(first, blocks):
            frame, lines = parse(block)
            sampler.add(frame, lines)
    finally:
        stream.close()
    frame, line_of_row, rows_read = sampler.result(columns)
    if rows_read == 0:
        raise InvalidBatchError("no_rows", "the file has a header row but no data rows")
    if schema is not None:
        _check_labels(frame, line_of_row, schema)
    return CsvBatch(
        frame=frame,
        columns=columns,
        rows_read=rows_read,
        compressed=compressed,
        schema=schema,
        line_of_row=line_of_row,
    )


# ----------------------------------------------------------------------------------- record blocks


@dataclass
class _Block:
    """Whole records only: the bytes, and per non-blank record its first line number and field count."""

    data: bytes
    starts: np.ndarray
    ends: np.ndarray
    lines: np.ndarray
    fields: np.ndarray


def _record_blocks(stream: BinaryIO, block_bytes: int) -> Iterator[_Block]:
    carry = b""
    next_line = 1
    first = True
    while True:
        try:
            chunk = stream.read(block_bytes)
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            # Only decompression errors mean a bad file; other OSErrors (a network read timing out)
            # propagate so the caller retries instead of quarantining a good file.
            raise InvalidBatchError("corrupt_gzip", f"the gzip data is corrupt or truncated: {exc}") from exc
        if first:
            if chunk.startswith(_BOM):
                chunk = chunk[len(_BOM) :]
            first = False
        if not chunk:
            if carry.strip(b"\r\n\t "):
                if not carry.endswith(b"\n"):
                    carry += b"\n"
                cut = _last_record_end(carry)
                if cut < 0:
                    raise InvalidBatchError(
                        "unterminated_quote",
                        f"line {next_line}: a quoted field is never closed",
                        line=next_line,
                    )
                yield _scan(carry, next_line)
            return
        buffer = carry + chunk
        cut = _last_record_end(buffer)
        if cut < 0:
            if len(buffer) > MAX_RECORD_BYTES:
                raise InvalidBatchError(
                    "unterminated_quote",
                    f"line {next_line}: a record runs past {MAX_RECORD_BYTES // 2**20} MiB "
                    "(an unclosed quote?)",
                    line=next_line,
                )
            carry = buffer
            continue
        block, carry = buffer[: cut + 1], buffer[cut + 1 :]
        scanned = _scan(block, next_line)
        next_line += block.count(b"\n")
        yield scanned


def _last_record_end(buffer: bytes) -> int:
    """Offset of the last newline outside quotes, or -1."""
    if b'"' not in buffer:
        return buffer.rfind(b"\n")
    arr = np.frombuffer(buffer, np.uint8)
    inside = (np.cumsum(arr == _QUOTE) & 1).astype(bool)
    ends = np.flatnonzero((arr == _NL) & ~inside)
    return int(ends[-1]) if len(ends) else -1


def _scan(data: bytes, first_line: int) -> _Block:
    arr = np.frombuffer(data, np.uint8)
    try:
        if len(arr) and arr.max() >= 0x80:  # pure ASCII is valid UTF-8: skip the decoding copy
            data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        bad = data[exc.start : exc.start + 1].hex()
        raise InvalidBatchError(
            "not_utf8",
            f"line {line}: byte 0x{bad} is not valid UTF-8; save the file as UTF-8",
            line=line,
        ) from exc
    newline = arr == _NL
    comma = arr == _COMMA
    quoted = b'"' in data
    if quoted:
        inside = (np.cumsum(arr == _QUOTE) & 1).astype(bool)
        record_end = newline & ~inside
        comma &= ~inside
    else:
        record_end = newline
    ends = np.flatnonzero(record_end)
    starts = np.concatenate(([0], ends[:-1] + 1))
    commas = np.diff(np.searchsorted(np.flatnonzero(comma), ends), prepend=0)
    length = ends - starts
    blank = (length == 0) | ((length == 1) & (arr[np.minimum(starts, len(arr) - 1)] == _CR))
    if quoted:  # a quoted field may span lines: count the newlines before each record
        lines = first_line + np.searchsorted(np.flatnonzero(newline), starts)
    else:
        lines = first_line + np.arange(len(starts))
    keep = ~blank
    return _Block(data, starts[keep], ends[keep], lines[keep], commas[keep] + 1)


def _first_block(blocks: Iterator[_Block]) -> _Block:
    for block in blocks:
        if len(block.starts):
            return block
    raise InvalidBatchError("empty_file", "the file is empty: expected a header row and data rows")


def _chain(first: _Block | None, rest: Iterator[_Block]) -> Iterator[_Block]:
    if first is not None:
        yield first
    yield from rest


def _take_header(block: _Block) -> tuple[list[str], _Block | None]:
    start, end = int(block.starts[0]), int(block.ends[0])
    text = block.data[start:end].decode("utf-8").rstrip("\r")
    try:
        columns = [name.strip() for name in next(csv.reader([text]))]
    except csv.Error as exc:  # never let the csv module's error escape: it is not a quarantine reason
        if "\r" in text:
            raise InvalidBatchError(
                "carriage_return",
                "header: a carriage return (CR) inside the header, or CR-only line endings: "
                "save the file with LF or CRLF line endings",
            ) from exc
        raise InvalidBatchError("unparseable_header", f"header: {exc}") from exc
    rest = _Block(block.data, block.starts[1:], block.ends[1:], block.lines[1:], block.fields[1:])
    return columns, (rest if len(rest.starts) else None)


# ------------------------------------------------------------------------------------ block parsing


class _BlockParser:
    """Turns checked blocks into frames with the schema's types."""

    def __init__(self, columns: list[str], schema: Schema | None):
        self.columns = columns
        self.schema = schema
        self.text_columns: list[str] = []
        self.numeric_columns: list[str] = []
        if schema is not None:
            self.text_columns = [c for c in columns if c in schema.names_of(CATEGORICAL) or c == schema.label]
            self.numeric_columns = [c for c in columns if c not in self.text_columns]

    def __call__(self, block: _Block) -> tuple[pd.DataFrame, np.ndarray]:
        wrong = np.flatnonzero(block.fields != len(self.columns))
        if len(wrong):
            i = int(wrong[0])
            line = int(block.lines[i])
            raise InvalidBatchError(
                "ragged_row",
                f"line {line}: expected {len(self.columns)} fields (as in the header), found {int(block.fields[i])}",
                line=line,
            )
        if not len(block.starts):
            return pd.DataFrame(columns=self.columns), block.lines
        body = block.data[int(block.starts[0]) :]
        frame = pd.read_csv(
            io.BytesIO(body),
            header=None,
            names=self.columns,
            dtype=dict.fromkeys(self.text_columns, str),
            encoding="utf-8",
            engine="c",
            skip_blank_lines=True,
            low_memory=False,
        )
        if len(frame) != len(block.starts):  # pragma: no cover - guards our record scan against pandas
            raise InvalidBatchError(
                "unparseable", f"lines {block.lines[0]}-{block.lines[-1]}: could not split the records"
            )
        for name in self.numeric_columns:
            frame[name] = _as_numbers(frame[name], name, block.lines)
        return frame, block.lines


def _as_numbers(values: pd.Series, name: str, lines: np.ndarray) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values if values.dtype == np.float64 else values.astype(np.float64)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = np.flatnonzero(numbers.isna().to_numpy() & values.notna().to_numpy())
    if len(bad) == 0 and pd.api.types.is_bool_dtype(values):
        bad = np.array([0])
    if len(bad):
        i = int(bad[0])
        line = int(lines[i])
        raise InvalidBatchError(
            "not_numeric",
            f"line {line}, column {name!r}: {values.iloc[i]!r} is not a number (the column is numeric)",
            line=line,
            column=name,
        )
    return numbers.astype(np.float64)


def _check_labels(frame: pd.DataFrame, line_of_row: np.ndarray, schema: Schema) -> None:
    if schema.label not in frame.columns:
        return
    values = frame[schema.label]
    if schema.is_classification:
        canonical = canonical_labels(values)
        unknown = np.flatnonzero(canonical.notna().to_numpy() & ~canonical.isin(schema.classes).to_numpy())
        if len(unknown):
            i = int(unknown[0])
            raise InvalidBatchError(
                "unknown_class",
                f"line {int(line_of_row[i])}, label {schema.label!r}: {values.iloc[i]!r} is not one of the "
                f"model's classes {list(schema.classes)}",
                line=int(line_of_row[i]),
                column=schema.label,
            )
        frame[schema.label] = canonical
    else:
        frame[schema.label] = _as_numbers(values, schema.label, line_of_row)


# -------------------------------------------------------------------------------------- sampling


class _Sampler:
    """Keeps every row, or a uniform sample of ``max_rows`` rows (bottom-k of random keys)."""

    def __init__(self, max_rows: int | None, seed: int):
        self.max_rows = max_rows
        self.rng = np.random.default_rng(seed)
        self.frames: list[pd.DataFrame] = []
        self.lines: list[np.ndarray] = []
        self.keys: list[np.ndarray] = []
        self.kept = 0
        self.rows_read = 0

    def add(self, frame: pd.DataFrame, lines: np.ndarray) -> None:
        if not len(frame):
            return
        frame.index = pd.RangeIndex(self.rows_read, self.rows_read + len(frame))
        self.rows_read += len(frame)
        self.frames.append(frame)
        self.lines.append(np.asarray(lines, dtype=np.int64))
        if self.max_rows is not None:
            self.keys.append(self.rng.random(len(frame)))
        self.kept += len(frame)
        if self.max_rows is not None and self.kept > 2 * self.max_rows:
            self._compact()

    def _compact(self) -> None:
        frame = pd.concat(self.frames)
        lines = np.concatenate(self.lines)
        keys = np.concatenate(self.keys)
        keep = np.sort(np.argpartition(keys, self.max_rows - 1)[: self.max_rows])
        self.frames, self.lines, self.keys = [frame.iloc[keep]], [lines[keep]], [keys[keep]]
        self.kept = len(keep)

    def result(self, columns: list[str]) -> tuple[pd.DataFrame, np.ndarray, int]:
        if not self.frames:
            return pd.DataFrame(columns=columns), np.empty(0, dtype=np.int64), 0
        if self.max_rows is not None and self.kept > self.max_rows:
            self._compact()
        frame = self.frames[0] if len(self.frames) == 1 else pd.concat(self.frames)
        return frame, np.concatenate(self.lines), self.rows_read
