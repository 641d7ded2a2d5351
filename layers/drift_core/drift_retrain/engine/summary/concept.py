"""The champion's errors on a batch's labelled rows, as counts that add across parts.

What the concept and gap tests use (scored rows, errors or the squared errors' mean and spread), the
errors per segment (``segment_analysis``) and the most telling wrong rows (``misclassified``). Each part
scores its own labelled rows, at most ``max_prediction_rows`` of them; a part whose scoring failed
carries the reason, and the merged batch reports the first (in part order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.misclassified import MAX_MISCLASSIFIED, MisclassifiedSample
from drift_retrain.engine.performance import prediction_losses
from drift_retrain.engine.segment_analysis import merge_segment_counts, segment_counts
from drift_retrain.engine.segments import SegmentCounts
from drift_retrain.exceptions import ChampionUnavailableError, PredictionError

__all__ = ["NO_PREDICTOR", "ConceptCounts", "bounded_rows", "count_concept"]

NO_PREDICTOR = "no champion predictions were supplied"


@dataclass
class ConceptCounts:
    """Labelled rows, and the champion's losses on those it scored."""

    labelled: int = 0
    reason: str | None = None  # why scoring failed or could not run
    rows: int = 0  # rows scored
    errors: int = 0  # classification: rows with loss 1
    mean: float = 0.0  # mean loss
    m2: float = 0.0  # sum of squared deviations of the losses
    segments: dict[str, dict[str, SegmentCounts]] = field(default_factory=dict)
    misclassified: MisclassifiedSample = field(
        default_factory=lambda: MisclassifiedSample(MAX_MISCLASSIFIED, False)
    )

    @property
    def variance(self) -> float:
        return self.m2 / (self.rows - 1) if self.rows > 1 else 0.0

    def merge(self, other: ConceptCounts) -> ConceptCounts:
        n = self.rows + other.rows
        delta = other.mean - self.mean
        return ConceptCounts(
            labelled=self.labelled + other.labelled,
            reason=self.reason or other.reason,
            rows=n,
            errors=self.errors + other.errors,
            mean=self.mean + delta * other.rows / n if n else 0.0,
            m2=self.m2 + other.m2 + (delta * delta * self.rows * other.rows / n if n else 0.0),
            segments=merge_segment_counts(self.segments, other.segments),
            misclassified=self.misclassified.merge(other.misclassified),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "labelled": self.labelled,
            "reason": self.reason,
            "rows": self.rows,
            "errors": self.errors,
            "mean": self.mean,
            "m2": self.m2,
            "segments": {
                name: {key: c.to_list("regression") for key, c in keys.items()}
                for name, keys in self.segments.items()
            },
            "misclassified": self.misclassified.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ConceptCounts:
        return cls(
            labelled=int(data["labelled"]),
            reason=data.get("reason"),
            rows=int(data["rows"]),
            errors=int(data["errors"]),
            mean=float(data["mean"]),
            m2=float(data["m2"]),
            segments={
                name: {key: SegmentCounts.from_list(c) for key, c in keys.items()}
                for name, keys in data["segments"].items()
            },
            misclassified=MisclassifiedSample.from_json(data["misclassified"]),
        )


def count_concept(
    profile,
    frame: pd.DataFrame,
    predictor,
    config: DriftConfig,
    *,
    lines: np.ndarray | None = None,
    part: str | None = None,
) -> ConceptCounts:
    """Score ``frame``'s labelled rows (at most ``max_prediction_rows``) with the champion and count.

    A whole batch (``part`` None) below ``min_concept_rows`` labelled rows is not scored (the test will
    not run); a part is scored whatever its size, since the merged batch may reach the minimum.
    """
    schema = profile.schema
    if lines is not None and (len(lines) != len(frame) or not frame.index.equals(pd.RangeIndex(len(frame)))):
        lines = None
    if schema.label not in frame.columns:
        return ConceptCounts()
    has_label = frame[schema.label].notna().to_numpy()
    counts = ConceptCounts(labelled=int(has_label.sum()))
    if not counts.labelled or profile.holdout is None or not profile.holdout.rows:
        return counts
    if part is None and counts.labelled < config.min_concept_rows:
        return counts
    if predictor is None:
        counts.reason = NO_PREDICTOR
        return counts
    labelled = bounded_rows(frame[has_label], config)
    try:
        predictions = predictor(labelled[schema.feature_names])
        losses = prediction_losses(
            schema.task, labelled[schema.label].to_numpy(), predictions, schema.classes
        )
    except ChampionUnavailableError as exc:
        counts.reason = f"no champion to score the batch: {exc}"
        return counts
    except PredictionError as exc:
        counts.reason = f"champion predictions unusable: {exc}"
        return counts
    losses = np.asarray(losses, dtype=np.float64)
    mean = float(losses.mean())
    counts.rows, counts.mean = len(losses), mean
    counts.m2 = float(np.sum((losses - mean) ** 2))
    counts.errors = int(losses.sum()) if schema.task != "regression" else 0
    counts.segments = segment_counts(profile, labelled, losses)
    counts.misclassified = MisclassifiedSample.of(
        labelled,
        predictions,
        losses,
        task=schema.task,
        classes=schema.classes,
        seed=config.seed,
        lines=lines,
        part=part,
    )
    return counts


def bounded_rows(labelled: pd.DataFrame, config: DriftConfig) -> pd.DataFrame:
    """At most ``max_prediction_rows`` of the labelled rows, drawn with the configured seed (in order):
    what an endpoint is asked to score for one batch (the concept test and the A/B look alike)."""
    if len(labelled) <= config.max_prediction_rows:
        return labelled
    rng = np.random.default_rng(config.seed)
    keep = np.sort(rng.choice(len(labelled), config.max_prediction_rows, replace=False))
    return labelled.iloc[keep]
