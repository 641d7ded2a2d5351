"""The concept-drift check: ask the champion about the batch's labelled rows and test its error.

Two one-sided tests of the same errors:

- **concept drift**: worse than the champion's own holdout, i.e. the world changed under it;
- **performance gap**: worse than the *reference*, the best holdout error of the regime before the latest
  change. A retrain after an abrupt change may recover only part of the accuracy; its own holdout must
  not become the new normal, or the service goes blind while the model is still poor. The gap test keeps
  the service looking until the serving error is back at the reference (ARCHITECTURE section 6).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.challenger import Probe
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.performance import HoldoutPerformance
from drift_retrain.engine.segment_analysis import segments_from_counts, untested_segments
from drift_retrain.engine.stats import error_rate_test, loss_test_from_moments
from drift_retrain.engine.summary.concept import NO_PREDICTOR, ConceptCounts, bounded_rows, count_concept
from drift_retrain.reports.formatting import fmt_count, fmt_metric, p_phrase

__all__ = [
    "ConceptDrift",
    "bounded_rows",
    "concept_drift",
    "concept_from_counts",
    "has_lower_reference",
    "recovered",
    "refresh_due",
    "trained_after_change",
]


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
    #: The champion's figure on the batch and on its holdout, in ``metric`` (``metric_names``).
    error: float | None = None
    baseline_error: float | None = None
    baseline_rows: int | None = None
    p_value: float | None = None
    margin: float | None = None
    test: str | None = None
    detected: bool = False
    reference_error: float | None = None
    reference_rows: int | None = None
    gap_p_value: float | None = None
    gap_detected: bool = False
    #: Up to 20 labelled rows the champion got wrong, with its prediction (seeded; see ``misclassified``).
    misclassified: list[dict[str, Any]] = field(default_factory=list)
    #: Where the error moved (``segment_analysis``): the report's top-level ``segments`` block.
    segments: dict[str, Any] | None = None
    #: The probe's gain over the champion on the scored rows (``engine.probe``), for the challenger's
    #: block; not part of the concept test.
    probe: Probe | None = None

    def segments_block(self) -> dict[str, Any]:
        """The report's ``segments``: the analysis, or why there is none (the concept test's reason)."""
        if self.segments is not None:
            return self.segments
        return untested_segments(self.reason or "the concept test did not run")

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        del data["segments"], data["probe"]
        data["gap_to_reference"] = (
            None if self.reference_error is None or self.error is None else self.error - self.reference_error
        )
        return data

    def summary(self) -> str:
        if not self.tested:
            return f"not tested: {self.reason}"
        return (
            f"champion {fmt_metric(self.error, self.metric, named=True)} on {fmt_count(self.rows)} labelled "
            f"rows vs {fmt_metric(self.baseline_error, self.metric)} on its holdout ({p_phrase(self.p_value)})"
        )

    def gap_summary(self) -> str:
        """The serving error against the reference (the accuracy to get back to)."""
        if self.reference_error is None:
            return f"not tested: {self.reason}"
        return (
            f"serving {fmt_metric(self.error, self.metric, named=True)} vs reference "
            f"{fmt_metric(self.reference_error, self.metric)} (the best before the latest change; "
            f"{p_phrase(self.gap_p_value)})"
        )


def concept_drift(
    profile,
    frame: pd.DataFrame,
    predictor: Predictor | None,
    config: DriftConfig,
    *,
    lines: np.ndarray | None = None,
) -> ConceptDrift:
    """Compare the champion's error on (up to ``max_prediction_rows``) labelled rows with its holdout.

    ``lines`` (the file line of each row of ``frame``, in order) numbers the misclassified rows as the
    file does; ignored unless it matches the frame row for row.
    """
    return concept_from_counts(profile, count_concept(profile, frame, predictor, config, lines=lines), config)


def concept_from_counts(profile, counts: ConceptCounts, config: DriftConfig) -> ConceptDrift:
    """``concept_drift`` on the champion's counted errors (one batch, or the merged parts of one)."""
    schema = profile.schema
    if counts.labelled == 0:
        return ConceptDrift(False, "the batch has no labelled rows")
    if profile.holdout is None or profile.holdout.rows == 0:
        return ConceptDrift(False, "the baseline profile has no holdout performance of the champion")
    if counts.labelled < config.min_concept_rows:
        return ConceptDrift(
            False, f"only {counts.labelled} labelled rows; the test needs at least {config.min_concept_rows}"
        )
    if counts.reason is not None or counts.rows == 0:
        return ConceptDrift(False, counts.reason or NO_PREDICTOR)
    result = _worse_than(schema.task, counts, profile.holdout, config)
    # Without a better reference the champion's holdout is the reference: the gap is the concept test.
    gap, reference = result, profile.holdout
    if has_lower_reference(profile):
        gap, reference = _worse_than(schema.task, counts, profile.reference, config), profile.reference
    return ConceptDrift(
        tested=True,
        metric=result.metric,
        rows=counts.rows,
        error=result.batch_value,
        baseline_error=result.baseline_value,
        baseline_rows=profile.holdout.rows,
        p_value=result.p_value,
        margin=result.margin,
        test=result.test,
        detected=result.detected,
        reference_error=gap.baseline_value,
        reference_rows=reference.rows,
        gap_p_value=gap.p_value,
        gap_detected=gap.detected,
        misclassified=counts.misclassified.records(),
        probe=counts.probe(),
        segments=segments_from_counts(
            profile, counts.segments, counts.rows, counts.mean, alpha=config.alpha, rose=result.detected
        ),
    )


def has_lower_reference(profile) -> bool:
    """Whether the profile keeps a reference below the champion's own holdout (a partial recovery):
    only then can the gap test differ from the concept test, and a follow-up retrain start."""
    reference, holdout = profile.reference, profile.holdout
    return bool(
        reference is not None and reference.rows and holdout is not None and reference.value < holdout.value
    )


#: A model trained after a change on N rows is refreshed (a follow-up retrain on every row since the
#: change) once one batch holds REFRESH_FACTOR x N labelled rows it served without a significant loss. It
#: answers labels that arrive late: the first retrain starts at MIN_LABELLED_ROWS joined rows, so it
#: learns from a few hundred rows, serving 6-7% where a model of 2,000 rows serves 4-5% (Agrawal,
#: docs/data-capture.md); no test can see that loss against its holdout. The candidate is promoted only by
#: the usual paired test, now on held-out rows several times as many as the first retrain had.
REFRESH_FACTOR = 2
#: Window strategies that train on the rows after a change (a model of a new concept).
AFTER_CHANGE_STRATEGIES = ("since_change", "newest")


def trained_after_change(profile) -> bool:
    """Whether the serving model learnt a change (a since_change or newest window), so a refresh can be due."""
    return profile.metadata.get("window_strategy") in AFTER_CHANGE_STRATEGIES


def trained_rows(profile) -> int:
    """The rows the serving model learnt from (train and validation; the profile's rows otherwise)."""
    rows = profile.metadata.get("rows") or {}
    counted = int(rows.get("train") or 0) + int(rows.get("validation") or 0) if isinstance(rows, dict) else 0
    return counted or int(profile.rows or 0)


def refresh_due(profile, concept: ConceptDrift, labelled_rows: int) -> str:
    """Why a refresh is due (see ``REFRESH_FACTOR``), or "" when it is not: the model was trained after a
    change, the concept and gap tests ran and found no loss, and this batch has REFRESH_FACTOR times the
    labelled rows the model learnt from."""
    if not trained_after_change(profile) or not concept.tested or concept.detected or concept.gap_detected:
        return ""
    learnt = trained_rows(profile)
    if not learnt or labelled_rows < REFRESH_FACTOR * learnt:
        return ""
    return (
        f"the serving model learnt the latest change from {learnt:,} rows; this batch alone has "
        f"{labelled_rows:,} labelled rows it served (at least {REFRESH_FACTOR}x as many), so a model of every "
        "row since the change may serve better"
    )


def recovered(holdout: HoldoutPerformance | None, reference: HoldoutPerformance | None, config) -> bool:
    """Whether a model's holdout error is back at the reference: not significantly above it by more than
    the concept margin, by the gap test's own one-sided test. A holdout is the newest few hundred rows, so
    a point estimate a little above the reference is noise, not a partial recovery."""
    if holdout is None or reference is None or not reference.rows or not holdout.rows:
        return True
    if holdout.task != reference.task:
        return True
    counts = ConceptCounts(
        rows=holdout.rows,
        errors=holdout.errors,
        mean=holdout.loss_mean,
        m2=holdout.loss_var * max(holdout.rows - 1, 0),
    )
    return not _worse_than(holdout.task, counts, reference, config).detected


def _worse_than(task: str, counts: ConceptCounts, baseline: HoldoutPerformance, config: DriftConfig):
    """One-sided test that the batch's losses exceed ``baseline`` by the configured margin."""
    if task == "regression":
        return loss_test_from_moments(
            counts.mean,
            counts.variance,
            counts.rows,
            baseline.loss_mean,
            baseline.loss_var,
            baseline.rows,
            alpha=config.alpha,
            relative_margin=config.concept_loss_margin,
        )
    return error_rate_test(
        counts.errors,
        counts.rows,
        baseline.errors,
        baseline.rows,
        alpha=config.alpha,
        margin=config.concept_margin,
    )
