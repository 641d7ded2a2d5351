"""The check of a summarised batch: the tests run once, on merged counts, into the usual ``DriftReport``.

What ``engine.check.check_frame`` returns for rows read in one piece, and what the reduce step of a
Distributed Map returns for the merged summaries of a batch's parts.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from drift_retrain.engine import drift as drift_tests
from drift_retrain.engine.champion import ConceptDrift, concept_from_counts, refresh_due
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.distributions import binned_distributions
from drift_retrain.engine.policy import decide
from drift_retrain.engine.report import DriftReport
from drift_retrain.engine.summary.partial import PartialSummary

__all__ = ["check_summary", "input_alerts"]


def check_summary(
    summary: PartialSummary,
    profile,
    config: DriftConfig,
    *,
    batch_id: str | None = None,
    source_name: str | None = None,
    recovery_used: int = 0,
    sampling: dict[str, Any] | None = None,
) -> DriftReport:
    """Test a (merged) summary against ``profile`` and decide, as ``run_check`` does for one object.

    ``sampling`` replaces the summary's own account of how its rows were obtained (captured traffic has
    its own).
    """
    if summary.profile != str(profile.created_at):
        raise ValueError(
            f"the summary was counted against the profile of {summary.profile!r}, not {profile.created_at!r}"
        )
    features = drift_tests.feature_tests_from(profile, summary.columns, config)
    labels_drift = (
        None if summary.label is None else drift_tests.label_from_counts(profile, summary.label, config)
    )
    drift_tests.decide_together([*features, *([labels_drift] if labels_drift is not None else [])], config)
    labelled_rows = drift_tests.labelled_rows(summary.label)
    concept: ConceptDrift = concept_from_counts(profile, summary.concept, config)
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
    alerts = input_alerts(summary.set_aside, profile.schema.classes)
    if alerts:  # an alert, never a retrain on its own: a model cannot learn a class from one batch
        decision = replace(decision, alert=True)
    return DriftReport(
        status="ok",
        batch_id=batch_id,
        source=source_name,
        config=config,
        rows=summary.rows_read,
        sampling=summary.sampling if sampling is None else sampling,
        labelled_rows=labelled_rows,
        features=features,
        label_drift=labels_drift,
        concept=concept,
        decision=decision,
        distributions=binned_distributions(profile, summary.columns),
        input_warnings=list(summary.input_warnings),
        set_aside=dict(summary.set_aside),
        alerts=alerts,
        profile={
            "created_at": profile.created_at,
            "rows": profile.rows,
            "format_version": profile.format_version,
            **{k: v for k, v in profile.metadata.items() if k in ("model_name", "source", "training_job")},
        },
    )


def input_alerts(set_aside: dict[str, dict], classes: tuple[str, ...]) -> list[dict]:
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
