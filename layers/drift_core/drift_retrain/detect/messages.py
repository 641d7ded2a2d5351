"""The text of DetectDrift's notification for a checked batch: what drifted, and what was done."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drift_retrain.aws.objects import ObjectRef
from drift_retrain.detect.context import Outcome

__all__ = ["drift_message"]


def drift_message(batch: ObjectRef, report: Mapping[str, Any], report_key: str, outcome: Outcome) -> str:
    concept = report.get("concept_drift") or {}
    lines = [
        f"Batch: {batch.uri} (batch id {report.get('batch_id')})",
        f"Rows: {report.get('rows')}, labelled: {report.get('labelled_rows')}",
        f"Drifted features ({len(report.get('drifted_features') or [])} of {len(report.get('features') or [])}): "
        + (", ".join(report.get("drifted_features") or []) or "none"),
        "Concept drift: "
        + (
            f"{'DETECTED' if concept.get('detected') else 'not detected'} (error rate {concept.get('error_rate')} "
            f"vs baseline {concept.get('baseline_error_rate')}, p={concept.get('p_value')})"
            if concept.get("tested")
            else f"not tested ({concept.get('reason')})"
        ),
    ]
    if report.get("retrain"):
        lines.append("Retrain: " + "; ".join(report.get("retrain_reasons") or []))
        if outcome.execution is not None:
            state = "already running/ran (duplicate event)" if outcome.execution.duplicate else "started"
            lines.append(f"Execution {outcome.execution.name}: {state}")
    elif report.get("retrain_blocked_by"):
        lines.append(f"No retrain: {report['retrain_blocked_by']}")
    else:
        lines.append("No retrain: the policy did not fire")
    lines.append(f"Report: s3://{batch.bucket}/{report_key}")
    return "\n".join(lines)
