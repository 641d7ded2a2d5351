"""Read CSV batches (plain or gzip, UTF-8 with or without BOM, LF, CRLF or CR) with specific errors.

The file is read as a stream in blocks that end on record boundaries, so memory stays bounded whatever
its size: each block is checked (``record_scan``: UTF-8, NUL bytes, quotes, carriage returns, fields per
record), parsed by pandas' C parser, and kept in a uniform sample of at most ``max_rows`` rows; the
bytes read are bounded by ``ReadLimits``. Every column is read as text and turned into values by ``cell_text`` (one definition
for training data and batches: the kinds inferred from a training file are the kinds its batches are
checked against, cell by cell). Every problem becomes an ``InvalidBatchError`` whose code is
one of ``READ_REASONS`` and whose message names the line and column, so a bad file can be quarantined
with a reason a person can act on. Nothing else escapes, except errors of the stream itself (a network
read failing), which say nothing about the file.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.echo import clip, echo
from drift_retrain.engine.batch_header import HeaderCheck, check_column_count, check_header
from drift_retrain.engine.batch_source import Source, open_source
from drift_retrain.engine.cell_text import missing_in_numeric, numbers_from_text, text_na_values
from drift_retrain.engine.kind_inference import infer_kind
from drift_retrain.engine.read_limits import ReadLimits
from drift_retrain.engine.read_reasons import READ_REASONS
from drift_retrain.engine.record_scan import (
    MAX_RECORD_BYTES,
    Block,
    first_block,
    record_blocks,
    record_fields,
    without_first,
)
from drift_retrain.engine.row_sampler import RowSampler
from drift_retrain.engine.schema import (
    NUMERIC,
    Schema,
    canonical_codes,
    canonical_labels,
    infer_schema,
    labels_from_codes,
)
from drift_retrain.exceptions import InvalidBatchError

__all__ = [
    "BLOCK_BYTES",
    "MAX_RECORD_BYTES",
    "MIN_TRAINING_ROWS",
    "READ_REASONS",
    "CsvBatch",
    "ReadLimits",
    "Source",
    "check_labelled",
    "merge_set_aside",
    "read_csv",
    "read_training",
    "unknown_class_refusal",
]


#: 2 MiB blocks: measured on a 200k x 26 batch, 8 MiB blocks cost 64 MB more peak memory and 0.2 s more.
BLOCK_BYTES = 2 * 1024 * 1024
#: Fewer labelled training rows than this make no baseline: a KS test against 30 values cannot see a
#: shift smaller than about a third of the data's spread, and a holdout of a few rows says nothing.
MIN_TRAINING_ROWS = 30


def _zeros_and_ones(values: np.ndarray) -> bool:
    head = values[:64]  # most columns fail on their first values: no pass over the whole column
    if not np.all((head == 0.0) | (head == 1.0) | np.isnan(head)):
        return False
    return bool(np.all((values == 0.0) | (values == 1.0) | np.isnan(values)))


def _has_boolean_word(data: bytes) -> bool:
    """Whether the words pandas' C parser reads as booleans (and casts to 1.0/0.0 in a float column)
    appear at all (a fast test; the column is then read again as text): any ``true`` or ``false`` in
    any case, found from the block's ``e``s without a lowered copy of the block (5x faster)."""
    low = np.frombuffer(data, np.uint8) | 0x20  # ASCII letters in lower case (other bytes never match)
    ends = np.flatnonzero(low[3:] == ord("e")) + 3
    if ((low[ends - 1] == ord("u")) & (low[ends - 2] == ord("r")) & (low[ends - 3] == ord("t"))).any():
        return True
    ends = ends[ends >= 4]
    return bool(
        (
            (low[ends - 1] == ord("s"))
            & (low[ends - 2] == ord("l"))
            & (low[ends - 3] == ord("a"))
            & (low[ends - 4] == ord("f"))
        ).any()
    )


@dataclass
class CsvBatch:
    """A parsed batch: the (possibly sampled) rows, and how they were obtained."""

    frame: pd.DataFrame
    columns: list[str]
    rows_read: int
    compressed: bool
    schema: Schema | None = None
    line_of_row: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    #: What the reader let pass with a warning (``extra_columns``), for the report's ``input_warnings``.
    warnings: list[dict] = field(default_factory=list)
    #: Rows left out of the check by reason: ``{"unknown_class": {"rows", "classes", "first_line"}}``.
    set_aside: dict[str, dict] = field(default_factory=dict)

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
    limits: ReadLimits | None = None,
) -> CsvBatch:
    """Read a CSV with a header row.

    Parameters
    ----------
    source:
        Bytes, a path, or a binary file object (read as a stream, e.g. an S3 ``StreamingBody``).
    schema:
        When given, the header must hold the schema's features (any order; other columns are left out
        with an ``extra_columns`` warning) and optionally its label; numeric features must parse as
        finite numbers; categorical ones are kept as text; rows whose label is not one of the model's
        classes are set aside (``CsvBatch.set_aside``). When ``None`` (training data), this is
        ``read_training``: the schema is inferred from the text and ``label`` (default: the first
        column) must be present.
    max_rows:
        Keep a uniform random sample of at most this many rows (``seed`` fixes it); ``None`` keeps all.
    limits:
        Object size, decompressed size, compression ratio, columns and cell size bounds (default:
        ``ReadLimits()``).

    Raises
    ------
    InvalidBatchError
        With a code from ``READ_REASONS`` (docs/bad-input.md).
    """
    if schema is None:
        return read_training(
            source, label=label, max_rows=max_rows, seed=seed, block_bytes=block_bytes, limits=limits
        )
    return _read(source, schema, schema.label, schema.missing_markers, max_rows, seed, block_bytes, limits)


def read_training(
    source: Source,
    *,
    label: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    max_rows: int | None = None,
    seed: int = 0,
    block_bytes: int = BLOCK_BYTES,
    limits: ReadLimits | None = None,
    min_rows: int = MIN_TRAINING_ROWS,
) -> CsvBatch:
    """Read training data as text, infer its schema from that text, and type it by that schema.

    ``overrides`` are a schema file's (``schema.load_schema_overrides``): they apply before the values
    are typed, so a column forced categorical keeps its text (``001`` stays ``001``). Fewer than
    ``min_rows`` labelled rows raise ``too_few_rows``. The result's ``schema`` is the inferred one, and
    its frame holds exactly what a batch read with that schema would hold for the same rows.
    """
    overrides = dict(overrides or {})
    label = label or overrides.get("label")
    markers = tuple(overrides.get("missing_markers") or ())
    text = _read(source, None, label, markers, max_rows, seed, block_bytes, limits)
    frame = text.frame
    kinds = {name: infer_kind(frame[name], markers) for name in text.columns}
    schema = infer_schema(frame, label=label, overrides=overrides, kinds=kinds)
    for spec in schema.columns:
        if spec.kind != NUMERIC:
            continue
        cells = frame[spec.name]
        parsed = kinds[spec.name].numbers
        frame[spec.name] = numbers_from_text(
            cells if parsed is None else parsed,
            spec.name,
            text.line_of_row,
            markers,
            lambda i, cells=cells: str(cells.iloc[i]),
        )
    frame[schema.label] = _typed_labels(frame[schema.label], schema, text.line_of_row)
    check_labelled(int(frame[schema.label].notna().sum()), schema.label, min_rows)
    text.schema = schema
    return text


def check_labelled(labelled: int, label: str, min_rows: int = MIN_TRAINING_ROWS) -> None:
    """Raise ``too_few_rows`` for training data with fewer than ``min_rows`` labelled rows."""
    if labelled < min_rows:
        raise InvalidBatchError(
            "too_few_rows",
            f"training data: {labelled:,} labelled rows; a baseline needs at least {min_rows:,} "
            "(MIN_TRAINING_ROWS): too few rows to tell drift from chance",
            column=label,
        )


def _read(
    source: Source,
    schema: Schema | None,
    label: str | None,
    markers: tuple[str, ...],
    max_rows: int | None,
    seed: int,
    block_bytes: int,
    limits: ReadLimits | None,
) -> CsvBatch:
    limits = limits or ReadLimits()
    stream, compressed = open_source(source, limits)
    try:
        blocks = record_blocks(stream, block_bytes)
        header_block = first_block(blocks)
        check_column_count(int(header_block.fields[0]), limits.max_columns)
        columns = _header(header_block, limits)
        header = check_header(columns, schema, label)
        sampler = RowSampler(max_rows, seed)
        parse = _BlockParser(columns, header, schema, markers, limits)
        rest = without_first(header_block)
        if rest is not None:
            sampler.add(*parse(rest))
        for block in blocks:
            sampler.add(*parse(block))
    finally:
        stream.close()
    frame, line_of_row, rows_read = sampler.result(header.used)
    if rows_read == 0 and parse.unknown.counts:
        raise parse.unknown.refusal(schema)
    set_aside = parse.unknown.set_aside()
    if rows_read == 0:
        raise InvalidBatchError("no_rows", "the file has a header row but no data rows")
    return CsvBatch(
        frame=frame,
        columns=header.used,
        rows_read=rows_read,
        compressed=compressed,
        schema=schema,
        line_of_row=line_of_row,
        warnings=header.warnings,
        set_aside=set_aside,
    )


def _header(block: Block, limits: ReadLimits) -> list[str]:
    names = record_fields(block, 0)
    for position, name in enumerate(names, start=1):
        if len(name) > limits.max_cell_bytes // 4 and len(name.encode("utf-8")) > limits.max_cell_bytes:
            raise limits.cell_too_large(1, f"{position} (the header)", len(name.encode("utf-8")))
    return [name.strip() for name in names]


class _BlockParser:
    """Turns checked blocks into frames: text, or the schema's types with labels checked."""

    def __init__(
        self,
        columns: list[str],
        header: HeaderCheck,
        schema: Schema | None,
        markers: tuple[str, ...],
        limits: ReadLimits,
    ):
        self.columns, self.used, self.schema, self.markers = columns, header.used, schema, markers
        self.limits = limits
        self.numeric_columns: list[str] = []
        if schema is not None:
            numeric = set(schema.names_of(NUMERIC))
            self.numeric_columns = [c for c in self.used if c in numeric]
        self.text_columns = [c for c in self.used if c not in self.numeric_columns]
        self.na_values = {c: text_na_values(markers) for c in self.text_columns} | {
            c: missing_in_numeric(markers) for c in self.numeric_columns
        }
        # Every column's missing cells as one list (pandas prepares a per-column dict on every call,
        # a few milliseconds a block): exact while no numeric column holds a numeric-only marker
        # (``NA``, ``null``...), since none of those parses as a number and the parse then fails.
        self.shared_na: list[str] | None = text_na_values(markers)
        self.unknown = UnknownClasses()

    def __call__(self, block: Block) -> tuple[pd.DataFrame, np.ndarray]:
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
            return pd.DataFrame(columns=self.used), block.lines
        self._check_cells(block)
        try:
            frame = self._parse_numbers(block)
            self._retext_booleans(block, frame)
        except ValueError:  # a numeric column holds text: read it as text to name the cell
            frame = self._parse(block, numbers=False)
        if len(frame) != len(block.starts):  # pragma: no cover - guards our record scan against pandas
            raise InvalidBatchError(
                "unparseable", f"lines {block.lines[0]}-{block.lines[-1]}: could not split the records"
            )
        for name in self._to_type(frame):
            frame[name] = numbers_from_text(
                frame[name], name, block.lines, self.markers, lambda i, n=name: self._raw(block, i, n)
            )
        if self.schema is None or self.schema.label not in frame.columns:
            return frame, block.lines
        return self.unknown.typed(frame, block.lines, self.schema, self.markers)

    def _to_type(self, frame: pd.DataFrame) -> list[str]:
        """The numeric columns ``numbers_from_text`` must see: those not parsed as float64, and all of
        them when a parsed number is infinite (a clean block then costs one ``isinf`` per column, no
        conversion or assignment; ``numbers_from_text`` names the bad cell, in column order)."""
        columns = [frame[c] for c in self.numeric_columns]
        if any(s.dtype == np.float64 and np.isinf(s.to_numpy()).any() for s in columns):
            return self.numeric_columns
        return [c for c, s in zip(self.numeric_columns, columns, strict=True) if s.dtype != np.float64]

    def _retext_booleans(self, block: Block, frame: pd.DataFrame) -> None:
        """pandas reads a numeric column whose every cell in a block is ``true``/``false`` as 1.0/0.0:
        such columns are read again as text, so the cell is refused as ``not_numeric``."""
        suspects = [c for c in self.numeric_columns if _zeros_and_ones(frame[c].to_numpy())]
        if suspects and _has_boolean_word(block.data):  # the cheap test on the parsed numbers first
            text = self._parse(block, numbers=False, columns=suspects)
            for name in suspects:
                frame[name] = text[name]

    def _parse_numbers(self, block: Block) -> pd.DataFrame:
        """The block with numeric columns as float64: with the shared missing cells until a block
        needs the numeric columns' own, then with the per-column sets (a ``ValueError`` from both
        means a cell is not a number)."""
        if self.shared_na is not None:
            try:
                return self._parse(block, numbers=True, na_values=self.shared_na)
            except ValueError:
                self.shared_na = None
        return self._parse(block, numbers=True)

    def _parse(
        self,
        block: Block,
        *,
        numbers: bool,
        columns: list[str] | None = None,
        na_values: list[str] | None = None,
    ) -> pd.DataFrame:
        dtype = dict.fromkeys(self.text_columns, str)
        if numbers:
            dtype |= dict.fromkeys(self.numeric_columns, np.float64)
        else:
            dtype |= dict.fromkeys(self.numeric_columns, str)
        used = self.used if columns is None else columns
        frame = pd.read_csv(
            io.BytesIO(block.data[int(block.starts[0]) :]),
            header=None,
            names=self.columns,
            usecols=used,
            dtype=dtype,
            na_values=self.na_values if na_values is None else na_values,
            keep_default_na=False,
            encoding="utf-8",
            engine="c",
            skip_blank_lines=True,
            low_memory=False,
        )
        return frame if list(frame.columns) == used else frame[used]

    def _check_cells(self, block: Block) -> None:
        """``cell_too_large`` before pandas sees a record holding a cell over ``max_cell_bytes``."""
        cap = self.limits.max_cell_bytes
        for i in np.flatnonzero((block.ends - block.starts) > cap)[:100]:
            for position, cell in enumerate(record_fields(block, int(i))):
                size = len(cell.encode("utf-8")) if len(cell) * 4 > cap else len(cell)
                if size > cap:
                    line = int(block.lines[int(i)])
                    raise self.limits.cell_too_large(line, echo(self.columns[position]), size)

    def _raw(self, block: Block, index: int, name: str) -> str:
        return record_fields(block, index)[self.columns.index(name)]


class UnknownClasses:
    """Rows whose label the model never saw: set aside and counted (the rest of the batch is checked),
    for the CSV parser block by block and for readers of already-parsed rows (Parquet, JSON Lines)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.first_line: int | None = None

    def typed(
        self, frame: pd.DataFrame, lines: np.ndarray, schema: Schema, markers: Sequence[str]
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """Labels typed as a CSV batch's are; a classification batch's rows of a never-seen class left out."""
        values = frame[schema.label]
        if not schema.is_classification:
            frame[schema.label] = numbers_from_text(values, schema.label, lines, markers)
            return frame, lines
        codes, names = canonical_codes(values)
        canonical = pd.Series(
            labels_from_codes(codes, names), index=values.index, name=values.name, dtype=object
        )
        unknown_name = np.array([name not in schema.classes for name in names] + [False], dtype=bool)
        unknown = unknown_name[codes]  # code -1 (missing) reads the trailing False
        frame[schema.label] = canonical
        if not unknown.any():
            return frame, lines
        self.counts.update(canonical[unknown].astype(str))
        if self.first_line is None:
            self.first_line = int(lines[np.flatnonzero(unknown)[0]])
        return frame[~unknown], lines[~unknown]

    def set_aside(self) -> dict[str, dict]:
        """The report's ``set_aside``: ``{"unknown_class": {"rows", "classes", "distinct", "first_line"}}``."""
        if not self.counts:
            return {}
        return {
            "unknown_class": {
                "rows": int(sum(self.counts.values())),
                "classes": {clip(c): n for c, n in self.counts.most_common(20)},
                "distinct": len(self.counts),
                "first_line": self.first_line,
            }
        }

    def refusal(self, schema: Schema) -> InvalidBatchError:
        """``unknown_class`` for a batch whose labelled rows all hold a class the model never saw."""
        return unknown_class_refusal(self.set_aside(), schema)


def unknown_class_refusal(set_aside: dict[str, dict], schema: Schema) -> InvalidBatchError:
    """``unknown_class`` from what was set aside. The error carries ``set_aside``: a part or byte range of
    a batch refused so is only set aside, and the batch is refused when no part kept a row."""
    unknown = set_aside["unknown_class"]
    error = InvalidBatchError(
        "unknown_class",
        f"every labelled row ({unknown['rows']:,}) has a label that is not one of the model's "
        f"classes {echo(list(schema.classes))}: new classes {echo(list(unknown['classes']))}; "
        "a model for the new class set starts with a bootstrap run on a seed file that holds them "
        "(docs/bad-input.md)",
        line=unknown.get("first_line"),
        column=schema.label,
    )
    error.set_aside = set_aside
    return error


def merge_set_aside(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Rows set aside by reason: rows and per-class counts added, the first line of the first part kept."""
    out = {reason: dict(entry) for reason, entry in a.items()}
    for reason, entry in b.items():
        have = out.get(reason)
        if have is None:
            out[reason] = dict(entry)
            continue
        classes = dict(have.get("classes") or {})
        for name, count in (entry.get("classes") or {}).items():
            classes[name] = classes.get(name, 0) + count
        top = dict(sorted(classes.items(), key=lambda c: (-c[1], c[0]))[:20])
        have.update(
            rows=int(have.get("rows", 0)) + int(entry.get("rows", 0)),
            classes=top,
            distinct=max(len(classes), int(have.get("distinct", 0)), int(entry.get("distinct", 0))),
            first_line=have.get("first_line")
            if have.get("first_line") is not None
            else entry.get("first_line"),
        )
    return out


def typed_labels_setting_aside(
    frame: pd.DataFrame, lines: np.ndarray, schema: Schema
) -> tuple[pd.DataFrame, np.ndarray, dict[str, dict]]:
    """Labels typed as the CSV reader types them, for readers of already-parsed rows (Parquet, JSON Lines).

    Rows with a class the model never saw are set aside and counted, as in a CSV batch; when every
    labelled row is such a row the batch is refused (``unknown_class``).
    """
    if schema.label not in frame.columns:
        return frame, lines, {}
    labelled = int(frame[schema.label].notna().sum())
    unknown = UnknownClasses()
    frame, lines = unknown.typed(frame, lines, schema, schema.missing_markers)
    if unknown.counts and sum(unknown.counts.values()) == labelled:
        raise unknown.refusal(schema)
    return frame, lines, unknown.set_aside()


def _typed_labels(values: pd.Series, schema: Schema, lines: np.ndarray) -> pd.Series:
    if schema.is_classification:
        return canonical_labels(values)
    return numbers_from_text(values, schema.label, lines, schema.missing_markers)
