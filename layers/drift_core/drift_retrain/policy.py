"""The retrain policy: when is drift worth a new model? Pure function of the check's findings."""

from __future__ import annotations

from dataclasses import dataclass, field

from drift_retrain.config import DriftConfig


@dataclass
class Decision:
    retrain: bool
    reasons: list[str] = field(default_factory=list)
    alert: bool = False
    blocked_by: str | None = None


def decide(
    config: DriftConfig,
    *,
    drifted_features: list[str],
    feature_count: int,
    concept_detected: bool,
    concept_summary: str,
    label_drifted: bool,
    labelled_rows: int,
) -> Decision:
    """Retrain on concept drift, on drift of enough features, or of any important feature.

    Only with at least ``min_labelled_rows`` labelled rows to train on: otherwise (an unlabelled batch
    above all) the drift is an alert, never a retrain, and ``blocked_by`` says why.
    """
    reasons = []
    if concept_detected:
        reasons.append(f"concept drift: {concept_summary}")
    share = len(drifted_features) / feature_count if feature_count else 0.0
    if drifted_features and share >= config.feature_drift_share:
        reasons.append(
            f"feature drift on {len(drifted_features)} of {feature_count} features "
            f"({share:.0%} >= {config.feature_drift_share:.0%})"
        )
    important = [name for name in drifted_features if name in config.important_features]
    if important:
        reasons.append(f"important features drifted: {', '.join(important)}")
    alert = bool(reasons or drifted_features or label_drifted)
    if reasons and labelled_rows < config.min_labelled_rows:
        blocked = (
            f"{labelled_rows} labelled rows in the batch; a retrain needs at least {config.min_labelled_rows}"
        )
        return Decision(retrain=False, reasons=reasons, alert=True, blocked_by=blocked)
    return Decision(retrain=bool(reasons), reasons=reasons, alert=alert)
