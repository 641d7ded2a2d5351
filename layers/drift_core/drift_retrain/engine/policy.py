"""The retrain policy: when is drift worth a new model? Pure function of the check's findings.

A retrain costs a training job, transforms and an endpoint update; it pays only when the serving model
lost accuracy. So the default policy retrains on performance evidence alone (ARCHITECTURE section 6,
"cost-aware retraining"): the champion's error on the batch's labelled rows is significantly above its
own holdout (concept drift), or above the reference error of the regime before the latest change (a
partial recovery), or the serving model learnt its change from a small sample and several times as many
post-change rows are labelled now (a refresh: ``champion.refresh_due``; once per serving model, and only
as its first follow-up: a rejected refresh says more rows did not help). The last two are follow-ups,
bounded by ``max_recovery_retrains`` per serving model. Feature drift raises an alert with the report;
with ``retrain_on="performance_or_features"`` it retrains too (opt-in).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drift_retrain.engine.config import DriftConfig

__all__ = ["CHALLENGER", "FEATURES", "PERFORMANCE", "REFRESH", "Decision", "decide"]

#: ``Decision.trigger`` values: what evidence started the retrain (the training window follows from it):
#: ``refresh`` trains on every row since the serving model's change, not only the rows it got wrong.
PERFORMANCE, FEATURES, REFRESH = "performance", "features", "refresh"
#: A retrain without loss evidence: one ``newest`` candidate, when the serving error's trend says a fresh
#: model should gain (``engine.challenger``; DetectDrift decides it, with its state, after this policy).
CHALLENGER = "challenger"


@dataclass
class Decision:
    retrain: bool
    reasons: list[str] = field(default_factory=list)
    alert: bool = False
    blocked_by: str | None = None
    #: ``performance`` (the serving model got worse: train on post-change rows), ``refresh`` or ``features``.
    trigger: str | None = None
    #: Follow-up retrains already spent on the serving model, and the bound (gap retrains only).
    recovery: dict[str, int] | None = None
    #: True when this retrain is a follow-up (a gap or a refresh; the caller records it for the bound).
    follow_up: bool = False


def _feature_reasons(config: DriftConfig, drifted: list[str], feature_count: int) -> list[str]:
    reasons = []
    share = len(drifted) / feature_count if feature_count else 0.0
    if drifted and share >= config.feature_drift_share:
        reasons.append(
            f"feature drift on {len(drifted)} of {feature_count} features "
            f"({share:.0%} >= {config.feature_drift_share:.0%})"
        )
    important = [name for name in drifted if name in config.important_features]
    if important:
        reasons.append(f"important features drifted: {', '.join(important)}")
    return reasons


def decide(
    config: DriftConfig,
    *,
    drifted_features: list[str],
    feature_count: int,
    concept_detected: bool,
    concept_summary: str,
    label_drifted: bool,
    labelled_rows: int,
    gap_detected: bool = False,
    gap_summary: str = "",
    recovery_used: int = 0,
    refresh_summary: str = "",
) -> Decision:
    """Retrain on lost performance (and, opt-in, on feature drift); see the module docstring.

    Only with at least ``min_labelled_rows`` labelled rows to train on: otherwise (an unlabelled batch
    above all) the drift is an alert, never a retrain, and ``blocked_by`` says why. ``refresh_summary``
    (non-empty when a refresh is due) says why the serving model's sample was small.
    """
    reasons: list[str] = []
    notes: list[tuple[str, str]] = []  # (why no retrain, what was seen)
    recovery = None
    if concept_detected:
        reasons.append(f"concept drift: {concept_summary}")
    elif gap_detected or (refresh_summary and not recovery_used):  # one refresh, and only as the first
        recovery = {"used": recovery_used, "max": config.max_recovery_retrains}
        seen = f"performance gap: {gap_summary}" if gap_detected else f"refresh: {refresh_summary}"
        if recovery_used < config.max_recovery_retrains:
            reasons.append(
                f"{seen}; follow-up retrain {recovery_used + 1} of {config.max_recovery_retrains} for this model"
            )
        else:
            notes.append(
                (
                    f"the {config.max_recovery_retrains} follow-up retrains for this model are spent",
                    f"{seen}; the model keeps serving until a new change",
                )
            )
    refresh = bool(refresh_summary) and not (concept_detected or gap_detected or recovery_used)
    trigger = (REFRESH if refresh else PERFORMANCE) if reasons else None
    feature_reasons = _feature_reasons(config, drifted_features, feature_count)
    if feature_reasons and config.retrain_on == "performance_or_features":
        reasons.extend(feature_reasons)
        trigger = trigger or FEATURES
    elif feature_reasons:
        notes.append(
            (
                "feature drift alone does not retrain (RETRAIN_ON=performance): a retrain needs evidence "
                "that the serving error rose",
                "; ".join(feature_reasons),
            )
        )
    alert = bool(reasons or drifted_features or label_drifted)
    if reasons and labelled_rows < config.min_labelled_rows:
        blocked = (
            f"{labelled_rows} labelled rows in the batch; a retrain needs at least {config.min_labelled_rows}"
        )
        return Decision(retrain=False, reasons=reasons, alert=True, blocked_by=blocked, recovery=recovery)
    if not reasons and notes:
        return Decision(
            retrain=False,
            reasons=[seen for _, seen in notes],
            alert=alert,
            blocked_by="; ".join(why for why, _ in notes),
            recovery=recovery,
        )
    follow_up = bool(reasons) and not concept_detected and recovery is not None
    return Decision(
        retrain=bool(reasons),
        reasons=reasons,
        alert=alert,
        trigger=trigger,
        recovery=recovery,
        follow_up=follow_up and recovery_used < config.max_recovery_retrains,
    )
