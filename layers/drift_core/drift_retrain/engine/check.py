"""One drift check: read and validate a batch (``run_check``), then test features, label and concept and
apply the policy (``check_frame``, shared with the check of captured traffic in ``drift_retrain.capture``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pandas as pd

from drift_retrain.engine.batch_reader import read_batch
from drift_retrain.engine.champion import ConceptDrift, Predictor, concept_drift, refresh_due
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.distributions import numeric_distributions
from drift_retrain.engine.drift import batch_drift
from drift_retrain.engine.partition_reading import Partition
from drift_retrain.engine.policy import decide
from drift_retrain.engine.read_limits import ReadLimits
from drift_retrain.engine.reading import Source
from drift_retrain.engine.report import DriftReport

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
) -> DriftReport:
    """Check one batch (CSV, Parquet, JSON Lines, or a partition of parts) against a baseline profile.

    Raises ``InvalidBatchError`` when the file cannot be checked (the caller quarantines it; see
    ``DriftReport.invalid`` for the matching report). ``predictor`` scores labelled rows with the
    champion for the concept-drift test; without one that test is skipped and the report says so.
    ``recovery_used`` is how many follow-up retrains the serving model has already had (the caller counts
    them; see ``policy.decide``). ``limits`` bound the bytes read (default ``ReadLimits()``). ``on_frame``
    sees the rows as read, once (the A/B look scores them on both variants without reading twice).
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
) -> DriftReport:
    """The check proper, on rows already read: what a CSV batch and captured traffic share.

    ``frame`` holds the schema's features and, when known, its label (missing where unlabelled);
    ``rows`` and ``sampling`` say how the rows were obtained (``CsvBatch.sampling``'s shape);
    ``input_warnings`` and ``set_aside`` are what the reader let pass or left out (``CsvBatch``'s);
    ``lines`` the file line of each row when the reader kept them (``CsvBatch.line_of_row``).
    """
    set_aside = set_aside or {}
    features, labels_drift = batch_drift(profile, frame, config)
    label = profile.schema.label
    labelled_rows = int(frame[label].notna().sum()) if label in frame.columns else 0
    concept: ConceptDrift = concept_drift(profile, frame, predictor, config, lines=lines)
    drifted = [f.name for f in features if f.drifted]
    decision = decide(
        config,
        drifted_features=drifted,
        feature_count=len(features),
        concept_detected=concept.detected,
        concept_summary=concept.summary(),
        label_drifted=bool(labels_drift and labels_drift.drifted),
        labelled_rows=labelled_rows,
        gap_detected=concept.gap_detected,
        gap_summary=concept.gap_summary(),
        recovery_used=recovery_used,
        refresh_summary=refresh_due(profile, concept, labelled_rows),
    )
    alerts = _input_alerts(set_aside, profile.schema.classes)
    if alerts:  # an alert, never a retrain on its own: a model cannot learn a class from one batch
        decision = replace(decision, alert=True)
    return DriftReport(
        status="ok",
        batch_id=batch_id,
        source=source_name,
        config=config,
        rows=rows,
        sampling=sampling,
        labelled_rows=labelled_rows,
        features=features,
        label_drift=labels_drift,
        concept=concept,
        decision=decision,
        distributions=numeric_distributions(profile, frame, features),
        input_warnings=input_warnings or [],
        set_aside=set_aside,
        alerts=alerts,
        profile={
            "created_at": profile.created_at,
            "rows": profile.rows,
            "format_version": profile.format_version,
            **{k: v for k, v in profile.metadata.items() if k in ("model_name", "source", "training_job")},
        },
    )


def _input_alerts(set_aside: dict[str, dict], classes: tuple[str, ...]) -> list[dict]:
    """``label_classes_changed`` when rows held labels the model never saw (they were set aside)."""
    unknown = set_aside.get("unknown_class")
    if not unknown:
        return []
    new = list(unknown["classes"])
    return [
        {
            "code": "label_classes_changed",
            "new_classes": new,
            "rows": unknown["rows"],
            "message": f"{unknown['rows']:,} rows have labels the model never saw ({', '.join(map(repr, new))}; "
            f"it knows {list(classes)}): they were set aside and the rest checked. A model for the new class "
            "set starts with a bootstrap run on a seed file that holds them (docs/bad-input.md)",
        }
    ]
