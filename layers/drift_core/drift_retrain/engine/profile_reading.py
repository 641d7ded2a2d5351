"""Training data read piece by piece into one profile: a folder of part files, a large CSV's byte ranges.

Each piece (a part file, or a byte range of a plain CSV of more than ``part_bytes``) is read, profiled
(``profile_parts.profile_part``) and merged into the running profile before the next is read, so memory
is one piece's rows plus the merged counts. The schema is inferred from the first piece, as from a
whole file; every later piece is read with it, as a batch is. A later piece that lacks a column, has
one the first lacks, or has text in a numeric column is refused, naming the piece
(``partition_schema_mismatch``, or the reader's code such as ``not_numeric``); classes the first piece
lacks join the schema's classes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from drift_retrain.echo import echo
from drift_retrain.engine.batch_reader import read_batch, read_training_data
from drift_retrain.engine.category_profile import LevelPart
from drift_retrain.engine.csv_ranges import HEAD_BYTES, RangeLines, byte_ranges, cuttable, range_name
from drift_retrain.engine.partition_reading import Part, check_parts_agree, column_kinds
from drift_retrain.engine.profile_parts import ProfilePart, profile_part
from drift_retrain.engine.read_limits import ReadLimits
from drift_retrain.engine.reading import MIN_TRAINING_ROWS, CsvBatch, check_labelled
from drift_retrain.engine.schema import Schema, with_classes
from drift_retrain.exceptions import InvalidBatchError

__all__ = ["DEFAULT_PART_BYTES", "PieceDone", "profile_pieces", "training_pieces"]

#: A plain CSV larger than this is profiled in byte ranges of about this size.
DEFAULT_PART_BYTES = 256 * 1024 * 1024
_HEADER_CODES = ("missing_columns", "missing_label", "renamed_columns")


@dataclass(frozen=True)
class PieceDone:
    """Progress: piece ``index`` (1-based) of ``total`` profiled, its rows and seconds."""

    index: int
    total: int
    name: str
    rows: int
    seconds: float


def training_pieces(path: Path, part_bytes: int | None = DEFAULT_PART_BYTES) -> list[Part]:
    """The pieces of ``path``: its part files by name (a folder; names starting ``_`` or ``.`` are
    markers and sidecars, skipped), each plain CSV of more than ``part_bytes`` cut into byte ranges
    (``None`` or 0: never cut)."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(("_", ".")))
        if not files:
            raise InvalidBatchError("empty_partition", f"{path} has no part files")
    else:
        files = [path]
    return [piece for file in files for piece in _file_pieces(file, part_bytes)]


def _file_pieces(file: Path, part_bytes: int | None) -> list[Part]:
    try:
        size = file.stat().st_size
        with open(file, "rb") as stream:
            head = stream.read(HEAD_BYTES)
    except OSError as exc:
        raise InvalidBatchError("unreadable", f"cannot open {file}: {exc.strerror}") from exc
    if not part_bytes or size <= part_bytes or not cuttable(str(file), head):
        return [Part(str(file), size, lambda file=file: open(file, "rb"))]
    return [
        Part(range_name(str(file), start, end), end - start, _range_opener(file, start, end))
        for start, end in byte_ranges(size, part_bytes)
    ]


def _range_opener(file: Path, start: int, end: int) -> Callable[[], Any]:
    @contextmanager
    def opened() -> Iterator[BinaryIO]:
        with open(file, "rb") as raw:
            yield RangeLines(raw, start, end)  # type: ignore[misc]

    return opened


def profile_pieces(
    pieces: Sequence[Part],
    *,
    label: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    limits: ReadLimits | None = None,
    on_piece: Callable[[PieceDone], None] | None = None,
) -> ProfilePart:
    """Every piece profiled in order and merged (see the module); raises ``InvalidBatchError``."""
    overrides = dict(overrides or {})
    merged: ProfilePart | None = None
    first: tuple[str, dict[str, bool]] | None = None
    schema: Schema | None = None
    for index, piece in enumerate(pieces, start=1):
        started = time.perf_counter()
        if schema is None:
            batch = _read_first(piece, label, overrides, limits, single=len(pieces) == 1)
            if batch is None:
                continue
            schema = batch.schema
            assert schema is not None
            first = (piece.name, column_kinds(batch))
        else:
            assert first is not None
            batch, schema = _read_later(piece, schema, first, overrides.get("task"), limits)
            if batch is None:
                continue
        part = profile_part(batch.frame, schema, name=piece.name)
        merged = part if merged is None else merged.merge(part)
        if on_piece is not None:
            on_piece(
                PieceDone(index, len(pieces), piece.name, len(batch.frame), time.perf_counter() - started)
            )
    if merged is None or schema is None:
        raise InvalidBatchError("no_rows", "the training data has a header row but no data rows")
    merged = replace(merged, schema=schema)
    label_part = merged.label
    labelled = label_part.levels.counts.sum() if isinstance(label_part, LevelPart) else label_part.count
    check_labelled(int(labelled), schema.label, MIN_TRAINING_ROWS)
    return merged


def _read_first(
    piece: Part, label: str | None, overrides: dict[str, Any], limits: ReadLimits | None, *, single: bool
) -> CsvBatch | None:
    """The first piece, its schema inferred; ``None`` when a piece of several has no rows."""
    try:
        with piece.open() as stream:
            return read_training_data(
                stream,
                name=piece.name,
                label=label,
                overrides=overrides,
                limits=limits,
                min_rows=MIN_TRAINING_ROWS if single else 0,
            )
    except InvalidBatchError as error:
        if error.code == "no_rows" and not single:
            return None
        raise _named(piece, error, single) from error


def _read_later(
    piece: Part,
    schema: Schema,
    first: tuple[str, dict[str, bool]],
    task: str | None,
    limits: ReadLimits | None,
) -> tuple[CsvBatch | None, Schema]:
    """A later piece read with the schema, widened by the classes it holds that the first lacks."""
    batch, unknown = _read_with(piece, schema, first, limits)
    if unknown:
        classes = list(unknown["classes"])
        if unknown["distinct"] > len(classes):
            raise _mismatch(piece, first, f"its labels hold {unknown['distinct']:,} classes the first lacks")
        schema = with_classes(schema, classes, task)
        batch, unknown = _read_with(piece, schema, first, limits)
        if unknown:
            raise _mismatch(piece, first, f"its labels hold classes the first lacks: {echo(classes)}")
    if batch is None:
        return None, schema
    if schema.label not in batch.columns:
        raise _mismatch(piece, first, f"it lacks the label column {echo(schema.label)}")
    for warning in batch.warnings:
        if warning.get("code") == "extra_columns":
            said = ", ".join(warning["columns"])
            raise _mismatch(piece, first, f"it has {warning['count']:,} columns the first lacks: {said}")
    check_parts_agree(first, piece.name, column_kinds(batch))
    return batch, schema


def _read_with(
    piece: Part, schema: Schema, first: tuple[str, dict[str, bool]], limits: ReadLimits | None
) -> tuple[CsvBatch | None, dict[str, Any] | None]:
    """The piece's rows (``None`` for none) and what it set aside as classes the schema lacks."""
    try:
        with piece.open() as stream:
            batch = read_batch(stream, name=piece.name, schema=schema, limits=limits)
    except InvalidBatchError as error:
        if error.code == "no_rows":
            return None, None
        if error.code == "unknown_class":  # every labelled row of a class the first piece lacks
            return None, error.set_aside["unknown_class"]
        if error.code in _HEADER_CODES:
            raise _mismatch(piece, first, str(error)) from error
        raise _named(piece, error, False) from error
    return batch, batch.set_aside.get("unknown_class")


def _mismatch(piece: Part, first: tuple[str, dict[str, bool]], said: str) -> InvalidBatchError:
    return InvalidBatchError(
        "partition_schema_mismatch",
        f"part {echo(piece.name)} disagrees with part {echo(first[0])}: {said}; the schema is inferred "
        "from the first part and every part holds the same columns with the same types",
    )


def _named(piece: Part, error: InvalidBatchError, single: bool) -> InvalidBatchError:
    if single:
        return error
    return InvalidBatchError(
        error.code, f"part {echo(piece.name)}: {error}", line=error.line, column=error.column
    )
