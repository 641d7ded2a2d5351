"""DetectDrift's side of the challenger (``engine.challenger``): its state, its cost, its mark on the report.

The state (the serving model's recent errors, the batches since the last challenge or retrain, the jobs
spent today) is one object, ``reports/challenger/state.json``, updated by read-modify-write with
``If-Match`` on the ETag read (``If-None-Match`` when first written): two batches checked at once both
count, and only one of them can spend the day's last job. The state remembers each batch's decision, so a
repeated delivery (the report's write lost, Lambda's retry) gets the same one and spends nothing twice.

Before the check, :func:`wants_probe` reads the state to say whether this batch could start a challenger
(due, within the day's budget): only then does the check fit the probe (``engine.probe``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from drift_retrain.aws.ab_record import read_record, update_record
from drift_retrain.detect.context import DetectSettings
from drift_retrain.engine.challenger import CHALLENGE, Batch, Point, Probe, advance, off_block, probe_due
from drift_retrain.engine.metric_names import is_rate
from drift_retrain.engine.policy import CHALLENGER
from drift_retrain.layout import CHALLENGER_STATE_KEY
from drift_retrain.workflow.shared.strategies import training_jobs

__all__ = ["apply_challenger", "wants_probe"]

logger = logging.getLogger(__name__)


def _today(now: datetime | None) -> str:
    return (now or datetime.now(UTC)).strftime("%Y-%m-%d")


def wants_probe(
    clients: Any,
    settings: DetectSettings,
    bucket: str,
    serving_model: str,
    *,
    deferred: bool,
    now: datetime | None = None,
) -> bool:
    """Whether the check should fit the probe: the challenger is on, no A/B test holds retrains back, and
    the state says a challenge is due within the day's budget (one S3 read; off: none)."""
    if not settings.challenger.on or deferred:
        return False
    found = read_record(clients.s3, settings.data_bucket or bucket, CHALLENGER_STATE_KEY)
    return probe_due(
        found[0] if found is not None else {},
        settings.challenger,
        model=serving_model,
        today=_today(now),
        challenge_jobs=training_jobs(settings.candidate_strategies, CHALLENGER, settings.algorithm_count),
    )


def apply_challenger(
    clients: Any,
    settings: DetectSettings,
    bucket: str,
    batch_id: str,
    report: dict[str, Any],
    serving_model: str,
    *,
    deferred: bool,
    probe: Probe | None = None,
    now: datetime | None = None,
    serving_algorithm: str | None = None,
) -> None:
    """Add the ``challenger`` block to ``report`` and, when a challenge runs, make it a retrain of kind
    ``challenger`` (the caller records it and starts the execution as for any retrain).
    ``serving_algorithm`` outside the configured ones adds the job that refreshes its family."""
    challenger = settings.challenger
    if not challenger.on:
        report["challenger"] = off_block()
        return
    concept = report.get("concept_drift") or {}
    measured = concept.get("tested") and concept.get("error") is not None and concept.get("rows")
    batch = Batch(
        batch_id=batch_id,
        model=serving_model,
        point=Point(float(concept["error"]), int(concept["rows"])) if measured else None,
        labelled_rows=int(report.get("labelled_rows") or 0),
        retrains=bool(report.get("retrain")) and not deferred,
        deferred=deferred,
        probe=probe if measured else None,
    )
    config = settings.drift
    today = _today(now)
    # an upper bound: a probe's challenger trains one Linear Learner (``plan_algorithms``)
    outside = bool(serving_algorithm) and serving_algorithm not in settings.algorithms
    decided: dict[str, Any] = {}

    def change(state: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        new, block, changed = advance(
            state,
            batch,
            challenger,
            today=today,
            challenge_jobs=training_jobs(
                settings.candidate_strategies, CHALLENGER, settings.algorithm_count, serving_outside=outside
            ),
            retrain_jobs=training_jobs(
                settings.candidate_strategies,
                report.get("retrain_trigger"),
                settings.algorithm_count,
                serving_outside=outside,
            )
            if batch.retrains
            else 0,
            regression=not is_rate(concept.get("metric")),
            concept_margin=config.concept_margin,
            loss_margin=config.concept_loss_margin,
            alpha=config.alpha,
            min_labelled_rows=config.min_labelled_rows,
        )
        decided.clear()
        decided.update(block)
        return new, changed

    update_record(clients.s3, settings.data_bucket or bucket, change, key=CHALLENGER_STATE_KEY, create={})
    report["challenger"] = dict(decided)
    logger.info(
        "Challenger",
        extra={"batch_id": batch_id, "decision": decided.get("decision"), "why": decided.get("why")},
    )
    if decided.get("decision") == CHALLENGE:
        report["retrain"] = True
        report["retrain_trigger"] = CHALLENGER
        report["retrain_reasons"] = [f"challenger: {decided['why'].removeprefix('challenger started: ')}"]
        report["retrain_blocked_by"] = None
