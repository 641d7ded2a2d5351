"""One drift check: read and validate a batch (``run_check``), then test features, label and concept and
apply the policy (``check_frame``, shared with the check of captured traffic in ``drift_retrain.capture``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from drift_retrain.engine.champion import ConceptDrift, Predictor, concept_drift
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.distributions import numeric_distributions
from drift_retrain.engine.drift import feature_drift, label_drift
from drift_retrain.engine.policy import decide
from drift_retrain.engine.read_limits import ReadLimits
from drift_retrain.engine.reading import Source, read_csv
from drift_retrain.engine.report import DriftReport

__all__ = ["Predictor", "check_frame", "run_check"]


def run_check(
    source: Source,
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
    """Check one batch against a baseline profile.

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
    batch = read_csv(source, schema=profile.schema, max_rows=config.max_rows, seed=config.seed, limits=limits)
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
) -> DriftReport:
    """The check proper, on rows already read: what a CSV batch and captured traffic share.

    ``frame`` holds the schema's features and, when known, its label (missing where unlabelled);
    ``rows`` and ``sampling`` say how the rows were obtained (``CsvBatch.sampling``'s shape).
    """
    features = feature_drift(profile, frame, config)
    label = profile.schema.label
    labels = frame[label] if label in frame.columns else None
    labelled_rows = int(labels.notna().sum()) if labels is not None else 0
    labels_drift = label_drift(profile, labels, config) if labelled_rows else None
    concept: ConceptDrift = concept_drift(profile, frame, predictor, config)
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
    )
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
        distributions=numeric_distributions(profile, frame),
        profile={
            "created_at": profile.created_at,
            "rows": profile.rows,
            "format_version": profile.format_version,
            **{k: v for k, v in profile.metadata.items() if k in ("model_name", "source", "training_job")},
        },
    )
