"""EvaluateCandidate: read every candidate's and the champion's transform outputs, pick the best, decide.

Each transform wrote ``<test file>.out`` lines of ``label,prediction`` (``DataProcessing`` joined the input
and kept its first and last fields). All outputs must hold the same held-out rows in the same order, so
the labels are compared row by row before anything is computed.

The tournament: the candidate with the lowest primary error (classification error rate, regression RMSE)
on the held-out rows is the best; a candidate whose training or transform failed is listed with its
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
from drift_retrain.engine.performance import HoldoutPerformance
from drift_retrain.env import env_value
from drift_retrain.layout import EVALUATION_PREFIX
from drift_retrain.reports.evaluation import render_evaluation_html
from drift_retrain.reports.model_errors import error_views
from drift_retrain.reports.publish import publish_html
from drift_retrain.workflow.exceptions import (
    NoCandidateScoredError,
    WorkflowInputError,
)
from drift_retrain.workflow.metrics import (
    PairedTest,
    classification_metrics,
    correct_predictions,
    mcnemar_test,
    paired_bootstrap_test,
    regression_metrics,
)
from drift_retrain.workflow.naming import s3_safe
from drift_retrain.workflow.payloads import EvaluationResult, Winner
from drift_retrain.workflow.transform_outputs import (
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


@dataclass(frozen=True)
class EvaluationSettings:
    min_improvement: float = 0.01
    alpha: float = 0.05
    bootstrap_resamples: int = 2000
    seed: int = 0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> EvaluationSettings:
        d = cls()
        return cls(
            min_improvement=env_value(environ, "MIN_IMPROVEMENT", d.min_improvement, float),
            alpha=env_value(environ, "COMPARISON_ALPHA", d.alpha, float),
            bootstrap_resamples=env_value(environ, "BOOTSTRAP_RESAMPLES", d.bootstrap_resamples, int),
            seed=env_value(environ, "EVALUATION_SEED", d.seed, int),
        )


def _metrics(task: str, rows: ScoredRows) -> dict[str, Any]:
    if task == "regression":
        return regression_metrics(rows.labels, rows.predictions)
    return classification_metrics(task, rows.labels, rows.predictions)


def _primary(task: str) -> str:
    return "rmse" if task == "regression" else "error_rate"


@dataclass(frozen=True)
class Decision:
    promote: bool
    decision: str  # promote | reject | first_deployment
    reasons: list[str]
    relative_improvement: float | None


def decide(
    task: str,
    candidate_metrics: Mapping[str, Any],
    champion_metrics: Mapping[str, Any] | None,
    test: PairedTest | None,
    settings: EvaluationSettings,
) -> Decision:
    """Promote only when the candidate is better by the margin AND significantly so on the same rows."""
    metric = _primary(task)
    candidate_value = float(candidate_metrics[metric])
    if champion_metrics is None or test is None:
        if not np.isfinite(candidate_value):
            return Decision(False, "reject", [f"candidate {metric} is not a number"], None)
        return Decision(
            True,
            "first_deployment",
            [f"no champion endpoint yet: first deployment (candidate {metric} {candidate_value:.4g})"],
            None,
        )
    champion_value = float(champion_metrics[metric])
    if champion_value > 0:
        improvement = (champion_value - candidate_value) / champion_value
    else:
        improvement = 0.0 if candidate_value <= 0 else -np.inf
    reasons = [
        f"{metric}: candidate {candidate_value:.4g} vs champion {champion_value:.4g} "
        f"({improvement:+.1%} relative, minimum {settings.min_improvement:.1%})",
        f"{test.name}: p = {test.p_value:.3g} (alpha {settings.alpha:g})",
    ]
    better = improvement >= settings.min_improvement and candidate_value < champion_value
    significant = test.p_value < settings.alpha
    if better and significant:
        return Decision(True, "promote", ["candidate wins", *reasons], float(improvement))
    why = []
    if not better:
        why.append("improvement below the minimum")
    if not significant:
        why.append("difference not significant on the paired test")
    return Decision(False, "reject", [f"champion kept: {' and '.join(why)}", *reasons], float(improvement))


def _holdout(task: str, classes: list[str], rows: ScoredRows) -> HoldoutPerformance:
    """The candidate's holdout summary in the profile's terms (labels back to class names)."""
    if task == "regression":
        return HoldoutPerformance.from_predictions(task, rows.labels, rows.predictions)
    names = np.asarray(classes, dtype=object)[rows.labels.astype(np.int64)]
    return HoldoutPerformance.from_predictions(task, names, rows.predictions, tuple(classes))


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
        scored.append(Scored(item, result, rows, _metrics(task, rows), test))
    return scored, failed


def _candidate_entry(candidate: Scored, primary: str) -> dict[str, Any]:
    item = candidate.item
    return {
        "id": item["id"],
        "strategy": item.get("strategy"),
        "algorithm": item.get("algorithm"),
        "model": candidate.result.get("model_name"),
        "training_job": candidate.result.get("training_job"),
        "source_model": item.get("source_model"),
        "window": item.get("window_ended"),
        "batches": len(item.get("batches") or []),
        "rows": item.get("rows"),
        primary: candidate.metrics.get(primary),
        "metrics": candidate.metrics,
        "paired_test": None if candidate.test is None else candidate.test.to_dict(),
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
    t = _tournament(task, settings, scored, champion)
    best = t.best
    classes = list(data.get("classes") or [])
    holdout = _holdout(task, classes, best.rows)
    winner = Winner(**_winner(best)).to_dict()
    key = f"{EVALUATION_PREFIX}{s3_safe(execution_name)}.json"
    champion_entry = None
    if champion is not None:
        model = (event.get("champion") or {}).get("model_name")
        champion_entry = {"model": model, "output": champion_uri, "metrics": t.champion_metrics}
    report = {
        "execution_name": execution_name,
        "execution_arn": event.get("execution_arn"),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "task": task,
        "primary_metric": t.primary,
        "rows": len(best.rows.labels),
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
            {k: v for k, v in _candidate_entry(c, t.primary).items() if k not in ("metrics", "paired_test")}
            for c in scored
        ],
        failed_candidates=failed,
        winner=winner,
        paired_test=None if best.test is None else {"name": best.test.name, "p_value": best.test.p_value},
        candidate_holdout=holdout.to_dict(),
        rows=len(best.rows.labels),
        report={"bucket": bucket, "key": key, "uri": storage.s3_uri(bucket, key)},
    ).to_dict()


@dataclass(frozen=True)
class _Tournament:
    """The best of the scored candidates against the champion, at alpha split across the candidates."""

    primary: str
    best: Any
    champion_metrics: dict[str, Any] | None
    decision: Any
    reasons: list[str]
    alpha_per_candidate: float


def _tournament(task: str, settings: EvaluationSettings, scored: list[Any], champion: Any) -> _Tournament:
    """Bonferroni across the candidates: picking the best of k and testing it at alpha would promote a
    model no better than the champion more often than alpha."""
    primary = _primary(task)
    best = min(scored, key=lambda c: float(c.metrics[primary]))  # first on a tie: the preferred strategy
    champion_metrics = _metrics(task, champion) if champion is not None else None
    per_candidate = EvaluationSettings(
        min_improvement=settings.min_improvement,
        alpha=settings.alpha / len(scored),
        bootstrap_resamples=settings.bootstrap_resamples,
        seed=settings.seed,
    )
    decision = decide(task, best.metrics, champion_metrics, best.test, per_candidate)
    reasons = [
        f"best of {len(scored)} candidates: {best.item['id']} ({_label(best.item)})",
        *decision.reasons,
    ]
    return _Tournament(primary, best, champion_metrics, decision, reasons, per_candidate.alpha)


def _label(item: Any) -> str:
    """``since_change``, or ``since_change, linear-learner`` when another algorithm than XGBoost trained it."""
    algorithm = item.get("algorithm") or "xgboost"
    return item.get("strategy") if algorithm == "xgboost" else f"{item.get('strategy')}, {algorithm}"
