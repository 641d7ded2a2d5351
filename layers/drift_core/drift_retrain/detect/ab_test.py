"""DetectDrift's part of an A/B test: score a labelled batch on both variants, add the evidence, decide.

While ``ab/current.json`` exists the endpoint serves champion and candidate side by side and the
workflow waits on the record's task token. For each labelled batch (at most ``MAX_PREDICTION_ROWS``
rows, drawn as the concept test draws them) DetectDrift:

1. asks each variant for the same rows (``InvokeEndpoint`` with ``TargetVariant``) and turns the answers
   into per-row losses (0/1 errors, squared errors for regression);
2. adds the paired losses to the record under the batch revision (``key@etag``: a duplicate event adds
   nothing) with a conditional write, re-reading on a lost race;
3. completes the task when the test decided (``{"decision": ..., "evidence": ...}``), or sends a
   heartbeat when it did not (the workflow's HeartbeatSeconds is the longest gap between labelled
   batches). A duplicate event for an already decided batch sends the decision again: a completion
   lost to a crash is repaired, and a second one is answered ``TaskTimedOut`` and ignored.

A variant that cannot answer decides the test at once: the other variant wins, with that reason. When
the champion variant fails, the candidate (which already won the offline paired test, the bar of a
plain promotion) takes the traffic: sending users back to a failing variant is the unsafe choice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from drift_retrain.aws.ab_record import complete_task, heartbeat, update_record
from drift_retrain.aws.endpoint import EndpointPredictor
from drift_retrain.engine.ab_evidence import (
    CANDIDATE,
    CHAMPION,
    add_batch,
    batch_ref,
    evidence_summary,
    set_decision,
    written_before_start,
)
from drift_retrain.engine.champion import bounded_rows
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.metric_names import concept_metric
from drift_retrain.engine.performance import prediction_losses
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.engine.stats.sequential import PairedLosses, paired_losses
from drift_retrain.exceptions import ChampionUnavailableError, PredictionError

__all__ = ["AbLook", "VariantFailure", "ab_look", "decide_on_failure", "resend_decision", "score_variants"]

logger = logging.getLogger(__name__)

ABANDONED = "the waiting execution no longer waits (its task is closed)"


@dataclass(frozen=True)
class VariantFailure:
    """A variant that could not score the batch (the other one wins the test)."""

    role: str
    reason: str


@dataclass
class AbLook:
    """What one batch did to the A/B test (part of DetectDrift's response)."""

    batch: str
    rows: int = 0
    added: bool = False
    decision: dict[str, Any] | None = None
    completed: bool = False
    heartbeat: bool = False
    summary: dict[str, Any] | None = None
    skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch": self.batch,
            "rows": self.rows,
            "added": self.added,
            "decision": self.decision,
            "completed": self.completed,
            "heartbeat": self.heartbeat,
            "evidence": self.summary,
            "skipped": self.skipped,
        }


def score_variants(
    labelled: pd.DataFrame, profile: BaselineProfile, predictors: dict[str, EndpointPredictor]
) -> PairedLosses | VariantFailure:
    """Per-row losses of both variants on the same labelled rows."""
    schema = profile.schema
    losses = {}
    for role in (CHAMPION, CANDIDATE):
        try:
            predictions = predictors[role](labelled[schema.feature_names])
            losses[role] = prediction_losses(
                schema.task, labelled[schema.label].to_numpy(), predictions, schema.classes
            )
        except (ChampionUnavailableError, PredictionError) as error:
            return VariantFailure(role, str(error))
    return paired_losses(losses[CHAMPION], losses[CANDIDATE])


def decide_on_failure(
    record: dict[str, Any], failure: VariantFailure, now: datetime
) -> tuple[dict[str, Any], bool]:
    """The other variant wins when one cannot answer (unless the test has decided already)."""
    winner = CHAMPION if failure.role == CANDIDATE else CANDIDATE
    return set_decision(record, winner, f"{failure.role} variant failed: {failure.reason}", now)


def _labelled(frame: pd.DataFrame, profile: BaselineProfile, config: DriftConfig) -> pd.DataFrame:
    label = profile.schema.label
    if label not in frame.columns:
        return frame.iloc[0:0]
    return bounded_rows(frame[frame[label].notna()], config)


def _metric(profile: BaselineProfile) -> str:
    return concept_metric(profile.schema.task)


def ab_look(
    clients: Any,
    bucket: str,
    record: dict[str, Any],
    *,
    frame: pd.DataFrame,
    profile: BaselineProfile,
    config: DriftConfig,
    predictors: dict[str, EndpointPredictor],
    key: str,
    etag: str | None,
    version_id: str | None = None,
    written: datetime | None = None,
    now: datetime | None = None,
) -> AbLook:
    """Add one batch's evidence to the running A/B test and answer the waiting workflow (only a batch
    ``written`` after the test started counts: an older one may have trained the candidate)."""
    now = now or datetime.now(UTC)
    look = AbLook(batch=batch_ref(key, etag, version_id))
    if written_before_start(record, written):
        look.skipped = (
            "the batch was written before the test started (its rows may have trained the candidate)"
        )
        logger.info("A/B look skipped", extra=look.to_dict())
        return look
    labelled = _labelled(frame, profile, config)
    if labelled.empty and not record.get("decision"):
        look.skipped = "the batch has no labelled rows"
        return look
    scored = score_variants(labelled, profile, predictors) if not labelled.empty else PairedLosses()
    look.rows = len(labelled)
    if isinstance(scored, VariantFailure):
        logger.warning("A/B variant failed", extra={"role": scored.role, "reason": scored.reason})
        result = update_record(clients.s3, bucket, lambda current: decide_on_failure(current, scored, now))
    else:
        metric = _metric(profile)
        result = update_record(
            clients.s3, bucket, lambda current: add_batch(current, look.batch, scored, metric=metric, now=now)
        )
    if result is None:
        look.skipped = "the A/B test ended while the batch was scored"
        return look
    updated, look.added = result
    look.decision = updated.get("decision")
    look.summary = evidence_summary(updated)
    token = updated["task_token"]
    if look.decision:
        look.completed = _complete(clients, token, look)
    elif look.added:
        look.heartbeat = heartbeat(clients.stepfunctions, token)
        if not look.heartbeat:  # nobody waits any more (the execution was stopped): stop deferring retrains
            update_record(clients.s3, bucket, lambda current: set_decision(current, CHAMPION, ABANDONED, now))
    logger.info("A/B look", extra=look.to_dict())
    return look


def resend_decision(
    clients: Any, record: dict[str, Any], *, key: str, etag: str | None, version_id: str | None
) -> AbLook:
    """A duplicate delivery of a batch whose report exists: its evidence was added before the report was
    written, so only a decision is sent again (a completion lost to a crash is repaired; a second one
    is answered ``TaskTimedOut`` and ignored)."""
    look = AbLook(batch=batch_ref(key, etag, version_id), decision=record.get("decision"))
    look.summary = evidence_summary(record)
    if look.decision:
        look.completed = _complete(clients, record["task_token"], look)
    return look


def _complete(clients: Any, token: str, look: AbLook) -> bool:
    output = {
        "decision": look.decision["winner"],
        "reason": look.decision["reason"],
        "evidence": look.summary,
    }
    return complete_task(clients.stepfunctions, token, output)
