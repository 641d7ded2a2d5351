"""EvaluateCandidate: read every candidate's and the champion's transform outputs, pick the best, decide.

Each transform wrote ``<test file>.out`` lines of ``label,prediction`` (``DataProcessing`` joined the input
and kept its first and last fields). All outputs must hold the same held-out rows in the same order, so
the labels are compared row by row before anything is computed.

The tournament: the candidate with the lowest primary error (classification error rate, regression RMSE)
on the held-out rows leads; a candidate the paired test cannot tell from the leader at ``alpha`` is tied
with it, and the tied candidate that learned from the most rows is the best (:mod:`.selection`); a candidate whose training or transform failed is listed with its
error and left out. Decision (``decide``): the best replaces the champion when its error is lower by at
least ``min_improvement`` (relative) AND the one-sided paired test against the champion is significant
at ``alpha / k`` for ``k`` scored candidates (Bonferroni: picking the best of ``k`` must not make a lucky
draw look like a win). With no champion (first deployment) the best candidate is deployed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from drift_retrain.aws import storage
from drift_retrain.engine.performance import HoldoutPerformance, prediction_losses
from drift_retrain.layout import evaluation_report_key
from drift_retrain.reports.evaluation import render_evaluation_html
from drift_retrain.reports.model_errors import error_views
from drift_retrain.reports.publish import publish_html
from drift_retrain.workflow.evaluate_candidate.decision import (
    Decision,
    EvaluationSettings,
    decide,
    metrics_of,
    run_tournament,
)
from drift_retrain.workflow.evaluate_candidate.holdout_segments import winner_holdout_segments
from drift_retrain.workflow.evaluate_candidate.metrics import (
    PairedTest,
    correct_predictions,
    mcnemar_test,
    paired_bootstrap_test,
)
from drift_retrain.workflow.shared.exceptions import (
    NoCandidateScoredError,
    WorkflowInputError,
)
from drift_retrain.workflow.shared.payloads import EvaluationResult, Winner
from drift_retrain.workflow.shared.transform_outputs import (
    ScoredRows,
    pair_outputs,
    parse_transform_output,
    read_transform_output,
)

__all__ = [
    "Decision",
    "EvaluationSettings",
    "ScoredRows",
    "decide",
    "evaluate_candidate",
    "pair_outputs",
    "parse_transform_output",
    "read_transform_output",
]

logger = logging.getLogger(__name__)


def _losses(task: str, classes: list[str], rows: ScoredRows) -> np.ndarray:
    """The candidate's loss on each held-out row, in the profile's terms (labels back to class names)."""
    if task == "regression":
        return prediction_losses(task, rows.labels, rows.predictions)
    names = np.asarray(classes, dtype=object)[rows.labels.astype(np.int64)]
    return prediction_losses(task, names, rows.predictions, tuple(classes))


@dataclass(frozen=True)
class Scored:
    """One candidate of the tournament: its prepared item, its Map result and its scores."""

    item: Mapping[str, Any]
    result: Mapping[str, Any]
    rows: ScoredRows
    metrics: dict[str, Any]
    test: PairedTest | None


def _paired_test(
    task: str, candidate: ScoredRows, champion: ScoredRows, settings: EvaluationSettings
) -> PairedTest:
    if task == "regression":
        return paired_bootstrap_test(
            (candidate.predictions - candidate.labels) ** 2,
            (champion.predictions - champion.labels) ** 2,
            resamples=settings.bootstrap_resamples,
            seed=settings.seed,
        )
    return mcnemar_test(
        correct_predictions(task, candidate.labels, candidate.predictions),
        correct_predictions(task, champion.labels, champion.predictions),
    )


def _parse_event(event: Mapping[str, Any]) -> tuple[str, dict, list, dict, str | None]:
    try:
        execution_name = str(event["execution_name"])
        data = dict(event["data"])
        items = {str(item["id"]): item for item in data["candidates"]}
        results = list(event["transforms"]["candidates"])
        champion_uri = (event["transforms"].get("champion") or {}).get("output_uri")
    except (KeyError, TypeError) as exc:
        raise WorkflowInputError(f"evaluation event lacks {exc}") from exc
    return execution_name, data, results, items, champion_uri


def _score_all(
    s3: Any,
    task: str,
    results: list,
    items: Mapping[str, Any],
    champion: ScoredRows | None,
    expected: int | None,
    settings: EvaluationSettings,
) -> tuple[list[Scored], list[dict[str, Any]]]:
    """Scores of the candidates that produced outputs; the others with the reason they did not."""
    scored, failed = [], []
    for result in results:
        item = items.get(str(result.get("id")))
        if item is None:
            raise WorkflowInputError(
                f"the Map returned candidate {result.get('id')!r}, which was never prepared"
            )
        if result.get("status") != "scored":
            error = result.get("error") or {}
            failed.append(
                {
                    "id": item["id"],
                    "strategy": item.get("strategy"),
                    "error": error.get("Error") or "CandidateFailed",
                    "cause": str(error.get("Cause") or "")[:500],
                }
            )
            continue
        rows = read_transform_output(
            s3,
            str(result["output_uri"]),
            algorithm=str(item.get("algorithm") or "xgboost"),
            test_uri=item.get("test_uri"),
            task=task,
        )
        pair_outputs(rows, champion, expected)
        test = None if champion is None else _paired_test(task, rows, champion, settings)
        scored.append(Scored(item, result, rows, metrics_of(task, rows), test))
    return scored, failed


def _candidate_entry(candidate: Scored, primary: str) -> dict[str, Any]:
    item = candidate.item
    return {
        "id": item["id"],
        "strategy": item.get("strategy"),
        "algorithm": item.get("algorithm"),
        "model": candidate.result.get("model_name"),
        "training_job": candidate.result.get("training_job"),
        "training_seconds": candidate.result.get("training_seconds"),
        "source_model": item.get("source_model"),
        "window": item.get("window_ended"),
        "batches": len(item.get("batches") or []),
        "training_batches": list(item.get("batches") or []),
        "previous_rows": item.get("previous_rows") or 0,
        "rows": item.get("rows"),
        primary: candidate.metrics.get(primary),
        "metrics": candidate.metrics,
        "paired_test": None if candidate.test is None else candidate.test.to_dict(),
    }


#: Candidate fields the report keeps and the state machine's payload leaves out (size, and no step reads them).
_REPORT_ONLY = ("metrics", "paired_test", "training_batches", "previous_rows")


def _trigger_entry(trigger: Any) -> dict[str, Any] | None:
    """What started the run (the verified ``$.trigger``), so the page links back to its drift report."""
    if not isinstance(trigger, Mapping):
        return None
    batch = trigger.get("batch") if isinstance(trigger.get("batch"), Mapping) else {}
    report = trigger.get("report") if isinstance(trigger.get("report"), Mapping) else {}
    return {
        "bootstrap": bool(trigger.get("bootstrap")),
        "batch_key": batch.get("key"),
        "batch_id": batch.get("batch_id"),
        "report_key": report.get("key"),
    }


def _winner(candidate: Scored) -> dict[str, Any]:
    """What the endpoint update and PromoteModel need of the winning candidate."""
    item, result = candidate.item, candidate.result
    return {
        "id": item["id"],
        "strategy": item.get("strategy"),
        "model_name": result.get("model_name"),
        "training_job": result.get("training_job"),
        "model_artifacts": result.get("model_artifacts"),
        "candidate_profile": item.get("candidate_profile"),
        "raw_training_data": item.get("raw_training_data"),
        "source_model": item.get("source_model"),
        "window_ended": item.get("window_ended"),
        "batches": item.get("batches") or [],
        "rows": item.get("rows"),
        "algorithm": item.get("algorithm"),
        "training_image": item.get("training_image"),
    }


def _error_views(
    task: str, classes: list, scored: list[Scored], champion: ScoredRows | None
) -> dict[str, Any]:
    """Confusion matrices (or residual histograms) of every scored candidate and the champion."""
    models = {str(c.item["id"]): (c.rows.labels, c.rows.predictions) for c in scored}
    if champion is not None:
        models["champion"] = (champion.labels, champion.predictions)
    return error_views(task, classes, models)


def evaluate_candidate(
    s3: Any, bucket: str, settings: EvaluationSettings, event: Mapping[str, Any]
) -> dict[str, Any]:
    """Score every candidate and the champion on the same rows; write ``reports/evaluation/<execution>.json``.

    Raises
    ------
    WorkflowInputError, NoCandidateScoredError, TransformOutputMissingError, TransformOutputFormatError,
    PredictionCountMismatchError, LabelMismatchError, StorageError (drift_retrain.aws.exceptions)
    """
    execution_name, data, results, items, champion_uri = _parse_event(event)
    task = str(data.get("task"))
    expected = (data.get("test") or {}).get("rows")
    expected = int(expected) if expected is not None else None
    champion = None
    if champion_uri:
        fmt = data.get("champion_transform") or {}
        champion = read_transform_output(
            s3,
            champion_uri,
            algorithm=str(fmt.get("algorithm") or "xgboost"),
            test_uri=(data.get("test") or {}).get("champion_uri"),
            task=task,
        )
    scored, failed = _score_all(s3, task, results, items, champion, expected, settings)
    if not scored:
        causes = "; ".join(f"{f['id']} ({f['strategy']}): {f['error']}: {f['cause']}" for f in failed)
        raise NoCandidateScoredError(f"no candidate could be trained and scored: {causes or 'none prepared'}")
    t = run_tournament(
        task, settings, scored, champion, lambda a, b: _paired_test(task, a.rows, b.rows, settings).p_value
    )
    best = t.best
    classes = list(data.get("classes") or [])
    losses = _losses(task, classes, best.rows)
    holdout = HoldoutPerformance.from_losses(task, losses)
    segments = winner_holdout_segments(s3, bucket, data, best.item, best.rows.labels, losses)
    winner = Winner(**_winner(best)).to_dict()
    key = evaluation_report_key(execution_name)
    champion_entry = None
    if champion is not None:
        model = (event.get("champion") or {}).get("model_name")
        champion_entry = {"model": model, "output": champion_uri, "metrics": t.champion_metrics}
    report = {
        "execution_name": execution_name,
        "execution_arn": event.get("execution_arn"),
        "trigger": _trigger_entry(event.get("trigger")),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "task": task,
        "primary_metric": t.primary,
        "rows": len(best.rows.labels),
        "time_order": (data.get("test") or {}).get("time_order"),
        "candidates": [_candidate_entry(c, t.primary) for c in scored],
        "failed_candidates": failed,
        "best": winner,
        "candidate": {"model": winner["model_name"], "output": best.rows.source, "metrics": best.metrics},
        "champion": champion_entry,
        "paired_test": None if best.test is None else best.test.to_dict(),
        "settings": {
            "min_improvement": settings.min_improvement,
            "alpha": settings.alpha,
            "alpha_per_candidate": t.alpha_per_candidate,
        },
        "decision": t.decision.decision,
        "promote": t.decision.promote,
        "relative_improvement": t.decision.relative_improvement,
        "reasons": t.reasons,
        "candidate_holdout": holdout.to_dict(),
        "manifest": data.get("manifest"),
        "error_views": _error_views(task, classes, scored, champion),
    }
    storage.put_json(s3, bucket, key, report)
    publish_html(s3, bucket, key, render_evaluation_html, report)
    logger.info("evaluated candidates", extra={"decision": t.decision.decision, "reasons": t.reasons})
    return EvaluationResult(
        promote=t.decision.promote,
        decision=t.decision.decision,
        reasons=t.reasons,
        primary_metric=t.primary,
        relative_improvement=t.decision.relative_improvement,
        candidate=best.metrics,
        champion=t.champion_metrics,
        candidates=[
            {k: v for k, v in _candidate_entry(c, t.primary).items() if k not in _REPORT_ONLY} for c in scored
        ],
        failed_candidates=failed,
        winner=winner,
        paired_test=None if best.test is None else {"name": best.test.name, "p_value": best.test.p_value},
        candidate_holdout=holdout.to_dict(),
        rows=len(best.rows.labels),
        report={"bucket": bucket, "key": key, "uri": storage.s3_uri(bucket, key)},
        candidate_holdout_segments=segments,
    ).to_dict()
