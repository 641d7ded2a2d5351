"""The concept-drift check: ask the champion about the batch's labelled rows and test its error."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.config import DriftConfig
from drift_retrain.exceptions import ChampionUnavailableError, PredictionError
from drift_retrain.performance import prediction_losses
from drift_retrain.stats import error_rate_test, loss_test

#: Scores a frame of feature columns (schema order, original row index) and returns one prediction per
#: row (or a class-probability matrix). May raise ``ChampionUnavailableError``.
Predictor = Callable[[pd.DataFrame], np.ndarray]


@dataclass
class ConceptDrift:
    """What the report says about concept drift; ``tested`` is False with a ``reason`` when skipped."""

    tested: bool
    reason: str | None = None
    metric: str | None = None
    rows: int = 0
    error_rate: float | None = None
    baseline_error_rate: float | None = None
    baseline_rows: int | None = None
    p_value: float | None = None
    margin: float | None = None
    test: str | None = None
    detected: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def summary(self) -> str:
        if not self.tested:
            return f"not tested: {self.reason}"
        name = "error rate" if self.metric == "error_rate" else "mean squared error"
        return (
            f"champion {name} {self.error_rate:.4g} on {self.rows} labelled rows vs baseline "
            f"{self.baseline_error_rate:.4g} (p={self.p_value:.3g})"
        )


def concept_drift(
    profile, frame: pd.DataFrame, predictor: Predictor | None, config: DriftConfig
) -> ConceptDrift:
    """Compare the champion's error on (up to ``max_prediction_rows``) labelled rows with its holdout."""
    schema = profile.schema
    if schema.label not in frame.columns or frame[schema.label].notna().sum() == 0:
        return ConceptDrift(False, "the batch has no labelled rows")
    labelled = frame[frame[schema.label].notna()]
    if profile.holdout is None or profile.holdout.rows == 0:
        return ConceptDrift(False, "the baseline profile has no holdout performance of the champion")
    if len(labelled) < config.min_concept_rows:
        return ConceptDrift(
            False, f"only {len(labelled)} labelled rows; the test needs at least {config.min_concept_rows}"
        )
    if predictor is None:
        return ConceptDrift(False, "no champion predictions were supplied")
    if len(labelled) > config.max_prediction_rows:
        rng = np.random.default_rng(config.seed)
        keep = np.sort(rng.choice(len(labelled), config.max_prediction_rows, replace=False))
        labelled = labelled.iloc[keep]
    try:
        predictions = predictor(labelled[schema.feature_names])
        losses = prediction_losses(
            schema.task, labelled[schema.label].to_numpy(), predictions, schema.classes
        )
    except ChampionUnavailableError as exc:
        return ConceptDrift(False, f"no champion to score the batch: {exc}")
    except PredictionError as exc:
        return ConceptDrift(False, f"champion predictions unusable: {exc}")
    holdout = profile.holdout
    if schema.task == "regression":
        result = loss_test(
            losses,
            holdout.loss_mean,
            holdout.loss_var,
            holdout.rows,
            alpha=config.alpha,
            relative_margin=config.concept_loss_margin,
        )
    else:
        result = error_rate_test(
            int(losses.sum()),
            len(losses),
            holdout.errors,
            holdout.rows,
            alpha=config.alpha,
            margin=config.concept_margin,
        )
    return ConceptDrift(
        tested=True,
        metric=result.metric,
        rows=len(losses),
        error_rate=result.batch_value,
        baseline_error_rate=result.baseline_value,
        baseline_rows=holdout.rows,
        p_value=result.p_value,
        margin=result.margin,
        test=result.test,
        detected=result.detected,
    )
