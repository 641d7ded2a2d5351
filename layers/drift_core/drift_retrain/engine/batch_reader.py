"""One entry point for every batch format: CSV, Parquet or JSON Lines, chosen by name and first bytes.

The name (an S3 key, a path) says what the writer meant; the first bytes say what the file is. They
must agree: a ``.csv`` that is Parquet, or a ``.parquet`` that is text, is refused with
``wrong_extension`` (a pipeline writing the wrong format is a bug a person should see, not guess past).
A name without a known suffix is read by its bytes: ``PAR1`` is Parquet, ``{`` JSON Lines, anything
else CSV. A
:class:`~drift_retrain.engine.partition_reading.Partition` (a folder of parts) is read part by part into
one batch.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from drift_retrain.engine.batch_source import Source
from drift_retrain.engine.jsonl_reading import read_jsonl
from drift_retrain.engine.parquet_reading import PARQUET_MAGIC, read_parquet
from drift_retrain.engine.partition_reading import Partition, read_partition
from drift_retrain.engine.read_limits import ReadLimits
from drift_retrain.engine.reading import MIN_TRAINING_ROWS, CsvBatch, read_csv, read_training
from drift_retrain.engine.schema import Schema, infer_schema
from drift_retrain.exceptions import InvalidBatchError

__all__ = ["FORMATS", "format_of", "read_batch", "read_training_data"]

#: Suffix -> format. Gzip is recognised from the bytes (CSV and JSON Lines may be gzipped).
FORMATS = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".jsonl.gz": "jsonl",
    ".ndjson": "jsonl",
    ".ndjson.gz": "jsonl",
}


def format_of(name: str | None) -> str | None:
    """The format a name's suffix says (``None`` when it says none)."""
    if not name:
        return None
    lower = str(name).lower()
    return next(
        (fmt for suffix, fmt in sorted(FORMATS.items(), key=lambda s: -len(s[0])) if lower.endswith(suffix)),
        None,
    )


def read_batch(
    source: Source | Partition,
    *,
    name: str | None = None,
    schema: Schema | None = None,
    label: str | None = None,
    max_rows: int | None = None,
    seed: int = 0,
    limits: ReadLimits | None = None,
) -> CsvBatch:
    """Read a batch in whichever format it is (arguments as :func:`~drift_retrain.engine.reading.read_csv`).

    ``name`` is the object's key or path (a path ``source`` names itself).
    """
    options: dict[str, Any] = {
        "schema": schema,
        "label": label,
        "max_rows": max_rows,
        "seed": seed,
        "limits": limits,
    }
    if isinstance(source, Partition):
        return read_partition(source, read_batch, **options)
    fmt, source = _detect(source, name)
    if fmt == "parquet":
        return read_parquet(source, **options)
    if fmt == "jsonl":
        return read_jsonl(source, **options)
    return read_csv(source, **options)


def read_training_data(
    source: Source | Partition,
    *,
    name: str | None = None,
    label: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    max_rows: int | None = None,
    seed: int = 0,
    limits: ReadLimits | None = None,
    min_rows: int = MIN_TRAINING_ROWS,
) -> CsvBatch:
    """Training data in whichever format it is, with the schema inferred from it (``result.schema``).

    CSV goes through :func:`~drift_retrain.engine.reading.read_training` (kinds from the cells' text, the
    cell rules batches are checked with); Parquet and JSON Lines are typed by their readers as their CSV
    twin would be, and the schema is inferred from those columns. ``min_rows`` is CSV's least number
    of labelled rows (``reading.read_training``).
    """
    overrides = dict(overrides or {})
    label = label or overrides.get("label")
    if not isinstance(source, Partition):
        fmt, source = _detect(source, name)
        if fmt == "csv":
            return read_training(
                source,
                label=label,
                overrides=overrides,
                max_rows=max_rows,
                seed=seed,
                limits=limits,
                min_rows=min_rows,
            )
    batch = read_batch(source, name=name, label=label, max_rows=max_rows, seed=seed, limits=limits)
    return replace(batch, schema=infer_schema(batch.frame, label=label, overrides=overrides))


def _detect(source: Source, name: str | None) -> tuple[str, Source]:
    """The format (``csv``, ``parquet``, ``jsonl``) from the name and the first bytes, which must agree."""
    if name is None and isinstance(source, (str, Path)):
        name = str(source)
    said = format_of(name)
    head, source = _head(source)
    is_parquet = head.startswith(PARQUET_MAGIC)
    if said in ("csv", "jsonl") and is_parquet:
        raise _wrong(name, said, "a Parquet file (it starts with PAR1)")
    if said == "parquet" and not is_parquet:
        raise _wrong(name, said, "not Parquet (it does not start with PAR1)")
    if is_parquet:
        return "parquet", source
    if said == "jsonl" or (said is None and head.lstrip().startswith(b"{")):
        return "jsonl", source
    return "csv", source


def _wrong(name: str | None, said: str, what: str) -> InvalidBatchError:
    suffix = {"csv": "CSV", "jsonl": "JSON Lines", "parquet": "Parquet"}[said]
    return InvalidBatchError(
        "wrong_extension",
        f"{name} is named as {suffix} but its bytes are {what}: name the file by its format "
        "(.csv, .csv.gz, .parquet, .jsonl, .jsonl.gz)",
    )


def _head(source: Source) -> tuple[bytes, Source]:
    """The first bytes, and a source that still starts at the beginning (S3 bodies cannot seek)."""
    if isinstance(source, (bytes, bytearray)):
        return bytes(source[:4]), source
    if isinstance(source, (str, Path)):
        try:
            with open(source, "rb") as file:
                return file.read(4), source
        except OSError:
            return b"", source  # the reader says ``unreadable``
    peek = getattr(source, "peek", None)
    if peek is not None:
        return bytes(peek(4)[:4]), source
    try:
        if source.seekable():
            at = source.tell()
            head = source.read(4)
            source.seek(at)
            return head, source
    except (AttributeError, OSError, ValueError):
        pass
    buffered = io.BufferedReader(source)  # type: ignore[arg-type]
    return bytes(buffered.peek(4)[:4]), buffered
