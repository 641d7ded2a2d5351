"""The tournament's decision: the best candidate against the champion on the same held-out rows, promoted
only when it is better by the minimum improvement AND significantly so, at alpha split across the
candidates (picking the best of k and testing it at alpha would promote a model no better than the
champion more often than alpha)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from drift_retrain.env import env_value
from drift_retrain.reports.formatting import fmt_counted, fmt_num
from drift_retrain.workflow.evaluate_candidate.metrics import (
    PairedTest,
    classification_metrics,
    regression_metrics,
)
from drift_retrain.workflow.evaluate_candidate.selection import PairedP, select_best
from drift_retrain.workflow.shared.transform_outputs import ScoredRows

__all__ = ["Decision", "EvaluationSettings", "decide", "metrics_of", "run_tournament"]


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


def metrics_of(task: str, rows: ScoredRows) -> dict[str, Any]:
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
        f"{test.name}: p = {test.p_value:.3g} (alpha {fmt_num(settings.alpha)})",
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


@dataclass(frozen=True)
class Tournament:
    """The best of the scored candidates against the champion, at alpha split across the candidates."""

    primary: str
    best: Any
    champion_metrics: dict[str, Any] | None
    decision: Any
    reasons: list[str]
    alpha_per_candidate: float


def run_tournament(
    task: str, settings: EvaluationSettings, scored: list[Any], champion: Any, paired: PairedP
) -> Tournament:
    """The best of the candidates (:func:`.selection.select_best`: a near tie goes to the one that
    learned from more rows), then Bonferroni across them: picking the best of k and testing it at alpha
    would promote a model no better than the champion more often than alpha."""
    primary = _primary(task)
    best = select_best(scored, primary, settings.alpha, paired)
    champion_metrics = metrics_of(task, champion) if champion is not None else None
    per_candidate = EvaluationSettings(
        min_improvement=settings.min_improvement,
        alpha=settings.alpha / len(scored),
        bootstrap_resamples=settings.bootstrap_resamples,
        seed=settings.seed,
    )
    decision = decide(task, best.best.metrics, champion_metrics, best.best.test, per_candidate)
    reasons = [
        f"best of {fmt_counted(len(scored), 'candidate')}: {best.best.item['id']} ({_label(best.best.item)})",
        *best.reasons,
        *decision.reasons,
    ]
    return Tournament(primary, best.best, champion_metrics, decision, reasons, per_candidate.alpha)


def _label(item: Any) -> str:
    """``since_change``, or ``since_change, linear-learner`` when another algorithm than XGBoost trained it."""
    algorithm = item.get("algorithm") or "xgboost"
    return item.get("strategy") if algorithm == "xgboost" else f"{item.get('strategy')}, {algorithm}"
