"""A partition (``incoming/<batch>/part-*``) read as one batch: each part in turn, one sample of them all.

Each part is read by the reader for its format with the batch's limits (``MAX_OBJECT_BYTES`` is a
per-part limit) and sampled to ``max_rows``; the parts' samples are merged into one sample of at most
``max_rows`` rows in which every row of the partition has about the same chance (each part's rows are
weighted by how many rows each sampled row stands for: weighted reservoir sampling, Efraimidis and
Spirakis' A-Res), so memory stays at one part's read plus the sample. The parts must agree: the same
columns, each numeric in every part or in none (``partition_schema_mismatch``, naming the part). A bad
part fails the whole batch with its reason, prefixed by the part's name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from drift_retrain.echo import echo
from drift_retrain.engine.reading import CsvBatch, merge_set_aside, unknown_class_refusal
from drift_retrain.exceptions import InvalidBatchError

__all__ = ["Part", "Partition", "check_parts_agree", "column_kinds", "read_partition", "set_aside_only"]


@dataclass(frozen=True)
class Part:
    """One part file: its name (key or path), size, and how to open it as a binary stream."""

    name: str
    size: int | None
    open: Callable[[], AbstractContextManager[BinaryIO]]
    etag: str | None = None


@dataclass(frozen=True)
class Partition:
    """The parts of one batch, in the order they are read (by name)."""

    where: str
    parts: Sequence[Part]


@dataclass
class PartitionBatch(CsvBatch):
    """A partition's batch: its ``sampling`` (in the report) names every part read, so a part that
    arrives later can be told it was not."""

    parts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sampling(self) -> dict[str, Any]:
        return {**super().sampling, "parts": self.parts}


def read_partition(partition: Partition, read_one: Callable[..., CsvBatch], **options: Any) -> CsvBatch:
    """Read every part with ``read_one(stream, name=..., **options)`` into one batch (see the module)."""
    if not partition.parts:
        raise InvalidBatchError("empty_partition", f"{partition.where} has no parts")
    max_rows, seed = options.get("max_rows"), options.get("seed", 0)
    rng = np.random.default_rng(seed)
    pool: list[tuple[pd.DataFrame, np.ndarray, np.ndarray]] = []
    first: tuple[str, dict[str, bool]] | None = None
    rows_read, compressed, read = 0, False, []
    set_aside: dict[str, dict[str, Any]] = {}
    limits = options.get("limits")
    for part in partition.parts:
        if limits is not None:
            limits.check_object_size(part.size)
        batch = _read_part(part, read_one, options)
        set_aside = merge_set_aside(set_aside, batch.set_aside)
        if batch.frame.empty and batch.rows_read == 0:  # every row of the part set aside
            read.append({"key": part.name, "etag": part.etag, "rows": 0})
            continue
        kinds = column_kinds(batch)
        if first is None:
            first = (part.name, kinds)
        else:
            check_parts_agree(first, part.name, kinds)
        weight = batch.rows_read / max(1, len(batch.frame))
        keys = rng.random(len(batch.frame)) ** (1.0 / weight)
        pool.append((batch.frame.reset_index(drop=True), batch.line_of_row, keys))
        rows_read += batch.rows_read
        read.append({"key": part.name, "etag": part.etag, "rows": batch.rows_read})
        compressed = compressed or batch.compressed
        pool = _keep(pool, max_rows)
    if first is None:  # no part kept a row: refused as one file of them would be
        raise unknown_class_refusal(set_aside, options["schema"])
    frame = pd.concat([f for f, _, _ in pool], ignore_index=True)
    columns = list(first[1])
    return PartitionBatch(
        parts=read,
        frame=frame.reindex(columns=columns),
        columns=columns,
        rows_read=rows_read,
        compressed=compressed,
        schema=options.get("schema"),
        line_of_row=np.concatenate([lines for _, lines, _ in pool]),
        set_aside=set_aside,
    )


def _read_part(part: Part, read_one: Callable[..., CsvBatch], options: dict[str, Any]) -> CsvBatch:
    """One part's batch; a part whose every labelled row has a class the model never saw is only set
    aside (an empty batch), as those rows would be in one file holding every part."""
    try:
        with part.open() as stream:
            return read_one(stream, name=part.name, **options)
    except InvalidBatchError as error:
        if getattr(error, "set_aside", None):
            return set_aside_only(error, options.get("schema"))
        raise InvalidBatchError(
            error.code, f"part {echo(part.name)}: {error}", line=error.line, column=error.column
        ) from error


def column_kinds(batch: CsvBatch) -> dict[str, bool]:
    """The columns a part was read with, each numeric or not: what the parts of a partition must share."""
    return {c: bool(pd.api.types.is_numeric_dtype(batch.frame[c])) for c in batch.columns}


def check_parts_agree(first: tuple[str, dict[str, bool]], name: str, kinds: dict[str, bool]) -> None:
    """Raise ``partition_schema_mismatch`` naming part ``name`` and the first column it disagrees on
    with ``first`` (the first part's name and ``column_kinds``)."""
    first_name, first_kinds = first
    missing = [c for c in first_kinds if c not in kinds]
    extra = [c for c in kinds if c not in first_kinds]
    typed = [c for c in kinds if c in first_kinds and kinds[c] != first_kinds[c]]
    if not (missing or extra or typed):
        return
    said = []
    if missing:
        said.append(f"lacks columns {echo(missing)}")
    if extra:
        said.append(f"has columns {echo(extra)} that {echo(first_name)} lacks")
    if typed:
        said.append(f"has columns {echo(typed)} numeric in one part and text in the other")
    raise InvalidBatchError(
        "partition_schema_mismatch",
        f"part {echo(name)} disagrees with part {echo(first_name)}: it {'; it '.join(said)}; every part of "
        "a partition holds the same columns with the same types",
        column=(missing or extra or typed)[0],
    )


def _keep(
    pool: list[tuple[pd.DataFrame, np.ndarray, np.ndarray]], max_rows: int | None
) -> list[tuple[pd.DataFrame, np.ndarray, np.ndarray]]:
    """The ``max_rows`` rows with the largest keys (all of them when there is no limit)."""
    total = sum(len(f) for f, _, _ in pool)
    if max_rows is None or total <= max_rows:
        return pool
    keys = np.concatenate([k for _, _, k in pool])
    threshold = np.partition(keys, total - max_rows)[total - max_rows]
    kept, taken = [], 0
    for frame, lines, part_keys in pool:
        mask = part_keys >= threshold
        if taken + int(mask.sum()) > max_rows:  # ties at the threshold: keep the first ones
            over = taken + int(mask.sum()) - max_rows
            mask[np.flatnonzero(mask)[len(np.flatnonzero(mask)) - over :]] = False
        taken += int(mask.sum())
        kept.append((frame[mask].reset_index(drop=True), lines[mask], part_keys[mask]))
    return kept


def set_aside_only(error: InvalidBatchError, schema: Any) -> CsvBatch:
    """An empty batch that records what ``error`` (``unknown_class``) set aside."""
    columns = [*schema.feature_names, schema.label] if schema is not None else []
    return CsvBatch(
        frame=pd.DataFrame({c: pd.Series([], dtype=object) for c in columns}),
        columns=columns,
        rows_read=0,
        compressed=False,
        schema=schema,
        set_aside=dict(error.set_aside),
    )
