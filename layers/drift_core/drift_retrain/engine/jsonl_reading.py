"""Read JSON Lines batches (``.jsonl``, ``.jsonl.gz``): one JSON object per line, streamed in blocks.

The bytes come through the same opening as CSV (:func:`batch_source.open_source`: gzip, the read limits,
what the file is from its first bytes). Each block of whole lines is parsed by the standard library's C
decoder in one call; a block that does not parse is parsed again line by line to name the bad line.
Keys are the columns (a key absent from a record is a missing value); values are typed as CSV's would be
(:mod:`typed_columns`), and an object or array value is refused with the column's name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np
import pandas as pd

from drift_retrain.echo import echo
from drift_retrain.engine.batch_header import check_header
from drift_retrain.engine.batch_source import Source, open_source
from drift_retrain.engine.read_limits import ReadLimits
from drift_retrain.engine.reading import BLOCK_BYTES, CsvBatch, typed_labels_setting_aside
from drift_retrain.engine.record_scan import MAX_RECORD_BYTES
from drift_retrain.engine.row_sampler import RowSampler
from drift_retrain.engine.schema import CATEGORICAL, Schema
from drift_retrain.engine.typed_columns import as_csv_values
from drift_retrain.exceptions import InvalidBatchError

__all__ = ["read_jsonl"]


def read_jsonl(
    source: Source,
    *,
    schema: Schema | None = None,
    label: str | None = None,
    max_rows: int | None = None,
    seed: int = 0,
    block_bytes: int = BLOCK_BYTES,
    limits: ReadLimits | None = None,
) -> CsvBatch:
    """Read JSON Lines as :func:`~drift_retrain.engine.reading.read_csv` reads a CSV (same arguments).

    Raises
    ------
    InvalidBatchError
        ``invalid_json``, ``unsupported_column``, ``not_utf8``, ``no_line_breaks``, ``empty_file``, a
        header code, a value code, or a limit's.
    """
    stream, compressed = open_source(source, limits)
    columns: list[str] = []
    sampler = RowSampler(max_rows, seed)
    try:
        for records, lines in _record_blocks(stream, block_bytes):
            frame = _typed(pd.DataFrame(records, dtype=object), schema)
            new = [str(c) for c in frame.columns if c not in columns]
            if new:
                columns.extend(new)
                _check_new_columns(columns, schema, label)
            _refuse_nested(frame, lines)
            sampler.add(as_csv_values(frame, schema, lines), lines)
    finally:
        stream.close()
    if not columns and sampler.rows_read == 0:
        raise InvalidBatchError("empty_file", "the file is empty: expected one JSON object per line")
    check_header(columns, schema, label)
    frame, line_of_row, rows_read = sampler.result(columns)
    frame = frame.reindex(columns=columns)
    set_aside: dict[str, dict] = {}
    if schema is not None:
        frame, line_of_row, set_aside = typed_labels_setting_aside(frame, line_of_row, schema)
    return CsvBatch(
        frame=frame,
        columns=columns,
        rows_read=rows_read,
        compressed=compressed,
        schema=schema,
        line_of_row=line_of_row,
        set_aside=set_aside,
    )


def _check_new_columns(columns: list[str], schema: Schema | None, label: str | None) -> None:
    """A key the model does not know fails as soon as it is seen (a missing one only at the end)."""
    if schema is None:
        return
    known = {*schema.feature_names, schema.label}
    if any(c not in known for c in columns):
        check_header(columns, schema, label)


def _record_blocks(stream: BinaryIO, block_bytes: int) -> Iterator[tuple[list[dict], np.ndarray]]:
    """Blocks of parsed records and their line numbers (blank lines skipped)."""
    carry, first_line = b"", 1
    while True:
        chunk = stream.read(block_bytes)
        data = carry + chunk
        if not chunk:
            if data.strip():
                yield _parse(data, first_line)
            return
        end = data.rfind(b"\n")
        if end < 0:
            if len(data) > MAX_RECORD_BYTES:
                raise InvalidBatchError(
                    "no_line_breaks",
                    f"no line break in the first {MAX_RECORD_BYTES // 2**20} MiB: JSON Lines holds one "
                    "object per line",
                    line=first_line,
                )
            carry = data
            continue
        block, carry = data[: end + 1], data[end + 1 :]
        records, lines = _parse(block, first_line)
        first_line += block.count(b"\n")
        if records:
            yield records, lines


def _parse(block: bytes, first_line: int) -> tuple[list[dict], np.ndarray]:
    raw_lines = block.split(b"\n")
    numbered = [(first_line + i, line) for i, line in enumerate(raw_lines) if line.strip()]
    texts = [_text(line, number) for number, line in numbered]
    lines = np.array([number for number, _ in numbered], dtype=np.int64)
    try:
        records = json.loads("[" + ",".join(texts) + "]")
    except ValueError:
        records = None
    if (
        not isinstance(records, list)
        or len(records) != len(texts)
        or not all(isinstance(r, dict) for r in records)
    ):
        records = [_one(text, number) for (number, _), text in zip(numbered, texts, strict=True)]
    return records, lines


def _text(line: bytes, number: int) -> str:
    try:
        return line.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise InvalidBatchError(
            "not_utf8",
            f"line {number}: byte 0x{line[exc.start]:02x} is not valid UTF-8; save the file as UTF-8",
            line=number,
        ) from exc


def _one(text: str, number: int) -> dict:
    try:
        record = json.loads(text)
    except ValueError as exc:
        raise InvalidBatchError(
            "invalid_json",
            f"line {number}: not valid JSON ({exc}) near {echo(text[:80])}: JSON Lines holds one object per line",
            line=number,
        ) from exc
    if not isinstance(record, dict):
        raise InvalidBatchError(
            "invalid_json",
            f'line {number}: a JSON {type(record).__name__}, not an object ({{"column": value, ...}})',
            line=number,
        )
    return record


def _typed(frame: pd.DataFrame, schema: Schema | None) -> pd.DataFrame:
    """JSON numbers as numbers, except in the schema's text columns, where ``0`` stays ``"0"``."""
    text = set(schema.names_of(CATEGORICAL)) | {schema.label} if schema is not None else set()
    for name in frame.columns:
        present = frame[name].dropna()
        if name in text or present.empty:
            continue
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
            frame[name] = pd.to_numeric(frame[name])
    return frame


def _refuse_nested(frame: pd.DataFrame, lines: np.ndarray) -> None:
    for name in frame.columns:
        values = frame[name]
        if values.dtype != object:
            continue
        nested = np.flatnonzero(values.map(lambda v: isinstance(v, (dict, list))).to_numpy(dtype=bool))
        if len(nested):
            line = int(lines[nested[0]])
            raise InvalidBatchError(
                "unsupported_column",
                f"line {line}, column {echo(name)}: a JSON {type(values.iloc[nested[0]]).__name__} value; a "
                "batch holds flat columns (numbers, text, booleans): flatten it or leave it out",
                line=line,
                column=str(name),
            )
