"""A part's summary: everything one part of a batch contributes to its check, JSON-ready and mergeable.

Built from rows already read (``summarize_frame``), by reading one object (``summarize_source``) or one
byte range of a large CSV (``summarize_range``), the same way for a whole batch and for one part of a
Distributed Map: numeric columns binned on the profile's points, other columns counted by level or
time, the labels, the champion's errors on the labelled rows, and what the reader let pass or set aside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine import drift as drift_tests
from drift_retrain.engine.batch_reader import read_batch
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.csv_ranges import RangeLines, range_name
from drift_retrain.engine.partition_reading import column_kinds, set_aside_only
from drift_retrain.engine.read_limits import ReadLimits
from drift_retrain.engine.summary.columns import ColumnSummary
from drift_retrain.engine.summary.concept import ConceptCounts, count_concept
from drift_retrain.exceptions import InvalidBatchError

__all__ = ["FORMAT", "PartialSummary", "summarize_frame", "summarize_range", "summarize_source"]

#: Version of ``PartialSummary.to_json``'s document.
FORMAT = 1


@dataclass
class PartialSummary:
    """One part's (or a whole batch's) counts against one baseline profile."""

    profile: str  # the baseline's ``created_at``: parts of one batch must share it
    parts: list[str]
    rows: int  # rows summarised
    rows_read: int  # rows the reader read (more than ``rows`` when it sampled)
    compressed: bool
    columns: dict[str, ColumnSummary]
    label: ColumnSummary | None
    concept: ConceptCounts
    input_warnings: list[dict[str, Any]] = field(default_factory=list)
    set_aside: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The columns the part was read with, each numeric or not (``partition_reading.column_kinds``): the
    #: reduce step checks that the parts of a partition agree, as reading them in one Lambda does.
    kinds: dict[str, bool] = field(default_factory=dict)

    @property
    def sampling(self) -> dict[str, Any]:
        """How the rows were obtained, in ``CsvBatch.sampling``'s shape."""
        return {
            "method": "uniform_sample" if self.rows < self.rows_read else "all_rows",
            "rows_read": self.rows_read,
            "rows_used": self.rows,
            "compressed": self.compressed,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "profile": self.profile,
            "parts": list(self.parts),
            "rows": self.rows,
            "rows_read": self.rows_read,
            "compressed": self.compressed,
            "columns": {name: c.to_json() for name, c in self.columns.items()},
            "label": None if self.label is None else self.label.to_json(),
            "concept": self.concept.to_json(),
            "input_warnings": self.input_warnings,
            "set_aside": self.set_aside,
            "kinds": self.kinds,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PartialSummary:
        if data.get("format") != FORMAT:
            raise ValueError(f"partial summary format {data.get('format')!r} is not {FORMAT}")
        return cls(
            profile=str(data["profile"]),
            parts=[str(p) for p in data["parts"]],
            rows=int(data["rows"]),
            rows_read=int(data["rows_read"]),
            compressed=bool(data["compressed"]),
            columns={name: ColumnSummary.from_json(c) for name, c in data["columns"].items()},
            label=None if data.get("label") is None else ColumnSummary.from_json(data["label"]),
            concept=ConceptCounts.from_json(data["concept"]),
            input_warnings=list(data.get("input_warnings") or []),
            set_aside=dict(data.get("set_aside") or {}),
            kinds={str(k): bool(v) for k, v in (data.get("kinds") or {}).items()},
        )


def summarize_frame(
    profile,
    frame: pd.DataFrame,
    config: DriftConfig,
    *,
    predictor=None,
    part: str | None = None,
    lines: np.ndarray | None = None,
    rows_read: int | None = None,
    compressed: bool = False,
    input_warnings: list[dict[str, Any]] | None = None,
    set_aside: dict[str, dict[str, Any]] | None = None,
    kinds: dict[str, bool] | None = None,
    probe: bool = False,
) -> PartialSummary:
    """Summarise rows already read (``part`` names them when they are one part of a batch; ``probe``:
    fit the challenger's probe on the scored rows, ``count_concept``).

    ``lines`` (the file line of each row) numbers the misclassified rows; ``rows_read``, ``compressed``,
    ``input_warnings``, ``set_aside`` and ``kinds`` are the reader's (``CsvBatch``'s), when it read the rows.
    """
    label = profile.schema.label
    return PartialSummary(
        profile=str(profile.created_at),
        parts=[] if part is None else [part],
        rows=len(frame),
        rows_read=len(frame) if rows_read is None else rows_read,
        compressed=compressed,
        columns=drift_tests.summarize_columns(profile, frame),
        label=drift_tests.summarize_label(profile, frame[label]) if label in frame.columns else None,
        concept=count_concept(profile, frame, predictor, config, lines=lines, part=part, probe=probe),
        input_warnings=list(input_warnings or []),
        set_aside=dict(set_aside or {}),
        kinds=dict(kinds or {}),
    )


def summarize_source(
    profile,
    source,
    config: DriftConfig,
    *,
    predictor=None,
    part: str | None = None,
    limits: ReadLimits | None = None,
    on_frame=None,
    probe: bool = False,
) -> PartialSummary:
    """Read one object (CSV, Parquet or JSON Lines, by name and bytes) and summarise it.

    ``part`` is its key or path (a path ``source`` names itself); ``on_frame`` is given the rows read
    (the A/B look's sample, as ``run_check``'s); ``probe`` fits the challenger's probe on the part's
    scored rows (``count_concept``). Raises ``InvalidBatchError`` when the object cannot be
    checked, as ``run_check`` does.
    """
    name = part if part is not None else (str(source) if isinstance(source, (str, Path)) else None)
    batch = _read(source, name, profile, config, limits, one_of_many=part is not None)
    return _summarize_batch(
        profile, batch, config, predictor, part, lines=True, on_frame=on_frame, probe=probe
    )


def summarize_range(
    profile,
    source,
    config: DriftConfig,
    *,
    key: str,
    start: int,
    end: int,
    predictor=None,
    limits: ReadLimits | None = None,
    on_frame=None,
    probe: bool = False,
) -> PartialSummary | None:
    """Summarise the lines of the CSV ``source`` (seekable) that start in bytes ``[start, end)``
    (``engine.csv_ranges``); ``None`` when no data row does.

    Its part is :func:`~drift_retrain.engine.csv_ranges.range_name`, so a file's ranges merge in byte order.
    Its rows carry no file line (a range does not know how many lines come before it). Raises
    ``InvalidBatchError`` as ``summarize_source`` does, and ``csv_not_splittable``.
    """
    lines = RangeLines(source, start, end)
    if lines.empty:
        return None
    try:
        batch = _read(lines, key, profile, config, limits, one_of_many=True)
    except InvalidBatchError as error:
        if error.code == "no_rows":  # the whole file has none: the reduce step says so (every range empty)
            return None
        raise
    return _summarize_batch(
        profile,
        batch,
        config,
        predictor,
        range_name(key, start, end),
        lines=False,
        on_frame=on_frame,
        probe=probe,
    )


def _read(source, name: str | None, profile, config: DriftConfig, limits, *, one_of_many: bool):
    """The rows of ``source`` as the profile's schema reads them. One part (or range) of a batch whose
    every row has a class the model never saw is only set aside (``set_aside_only``): the reduce step
    refuses the batch when no part kept a row, as one file holding every part would be refused."""
    try:
        return read_batch(
            source,
            name=name,
            schema=profile.schema,
            max_rows=config.max_rows,
            seed=config.seed,
            limits=limits,
        )
    except InvalidBatchError as error:
        if not one_of_many or not getattr(error, "set_aside", None):
            raise
        return set_aside_only(error, profile.schema)


def _summarize_batch(
    profile,
    batch,
    config: DriftConfig,
    predictor,
    part: str | None,
    *,
    lines: bool,
    on_frame=None,
    probe: bool = False,
):
    if on_frame is not None:  # the rows read, for the A/B look
        on_frame(batch.frame)
    return summarize_frame(
        profile,
        batch.frame,
        config,
        predictor=predictor,
        part=part,
        lines=batch.line_of_row if lines and len(batch.line_of_row) else None,
        rows_read=batch.rows_read,
        compressed=batch.compressed,
        input_warnings=batch.warnings,
        set_aside=batch.set_aside,
        kinds=column_kinds(batch),
        probe=probe,
    )
