"""One drift check: read and validate a batch (``run_check``), then test features, label and concept and
apply the policy (``check_frame``, shared with the check of captured traffic in ``drift_retrain.capture``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from drift_retrain.engine.batch_reader import read_batch
from drift_retrain.engine.champion import Predictor
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.partition_reading import Partition
from drift_retrain.engine.read_limits import ReadLimits
from drift_retrain.engine.reading import Source
from drift_retrain.engine.report import DriftReport
from drift_retrain.engine.summary.check import check_summary
from drift_retrain.engine.summary.partial import summarize_frame

__all__ = ["Predictor", "check_frame", "run_check"]


def run_check(
    source: Source | Partition,
    profile,
    config: DriftConfig | None = None,
    *,
    predictor: Predictor | None = None,
    batch_id: str | None = None,
    source_name: str | None = None,
    recovery_used: int = 0,
    limits: ReadLimits | None = None,
    on_frame: Callable[[pd.DataFrame], None] | None = None,
    probe: bool = False,
) -> DriftReport:
    """Check one batch (CSV, Parquet, JSON Lines, or a partition of parts) against a baseline profile.

    Raises ``InvalidBatchError`` when the file cannot be checked (the caller quarantines it; see
    ``DriftReport.invalid`` for the matching report). ``predictor`` scores labelled rows with the
    champion for the concept-drift test; without one that test is skipped and the report says so.
    ``recovery_used`` is how many follow-up retrains the serving model has already had (the caller counts
    them; see ``policy.decide``). ``limits`` bound the bytes read (default ``ReadLimits()``). ``on_frame``
    sees the rows as read, once (the A/B look scores them on both variants without reading twice).
    ``probe`` fits the challenger's probe on the scored rows (``engine.probe``; DetectDrift asks when a
    challenge may start).
    """
    config = config or DriftConfig()
    if source_name is None and isinstance(source, (str, Path)):
        source_name = str(source)
    batch = read_batch(
        source,
        name=source_name,
        schema=profile.schema,
        max_rows=config.max_rows,
        seed=config.seed,
        limits=limits,
    )
    if on_frame is not None:
        on_frame(batch.frame)
    return check_frame(
        batch.frame,
        profile,
        config,
        predictor=predictor,
        batch_id=batch_id,
        source_name=source_name,
        recovery_used=recovery_used,
        rows=batch.rows_read,
        sampling=batch.sampling,
        input_warnings=batch.warnings,
        set_aside=batch.set_aside,
        lines=batch.line_of_row if len(batch.line_of_row) else None,
        probe=probe,
    )


def check_frame(
    frame: pd.DataFrame,
    profile,
    config: DriftConfig,
    *,
    predictor: Predictor | None,
    batch_id: str | None,
    source_name: str | None,
    recovery_used: int = 0,
    rows: int,
    sampling: dict,
    input_warnings: list[dict] | None = None,
    set_aside: dict[str, dict] | None = None,
    lines=None,
    probe: bool = False,
) -> DriftReport:
    """The check proper, on rows already read: what a CSV batch and captured traffic share.

    The rows are summarised (``summary.summarize_frame``: each numeric column binned once on its
    profile's points) and the tests run on the summary (``summary.check_summary``), as they do on the
    merged summaries of a batch checked part by part.

    ``frame`` holds the schema's features and, when known, its label (missing where unlabelled);
    ``rows`` and ``sampling`` say how the rows were obtained (``CsvBatch.sampling``'s shape);
    ``input_warnings`` and ``set_aside`` are what the reader let pass or left out (``CsvBatch``'s);
    ``lines`` the file line of each row when the reader kept them (``CsvBatch.line_of_row``).
    """
    summary = summarize_frame(
        profile,
        frame,
        config,
        predictor=predictor,
        lines=lines,
        rows_read=rows,
        input_warnings=input_warnings,
        set_aside=set_aside,
        probe=probe,
    )
    return check_summary(
        summary,
        profile,
        config,
        batch_id=batch_id,
        source_name=source_name,
        recovery_used=recovery_used,
        sampling=sampling,
    )
