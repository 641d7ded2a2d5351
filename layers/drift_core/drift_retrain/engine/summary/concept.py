"""The champion's errors on a batch's labelled rows, as counts that add across parts.

What the concept and gap tests use (scored rows, errors or the squared errors' mean and spread), the
errors per segment (``segment_analysis``), the most telling wrong rows (``misclassified``) and, when
asked (a challenger may start), the probe's per-row gain over the champion (``engine.probe``) as the
same moments. Each part
scores its own labelled rows, at most ``max_prediction_rows`` of them; a part whose scoring failed
carries the reason, and the merged batch reports the first (in part order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.challenger import Probe
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.encoding import FeatureEncoder
from drift_retrain.engine.misclassified import MAX_MISCLASSIFIED, MisclassifiedSample
from drift_retrain.engine.performance import encode_labels, prediction_losses
from drift_retrain.engine.probe import min_probe_rows, probe_losses, probe_rows
from drift_retrain.engine.segment_analysis import merge_segment_counts, segment_counts
from drift_retrain.engine.segments import SegmentCounts
from drift_retrain.exceptions import ChampionUnavailableError, PredictionError

__all__ = ["NO_PREDICTOR", "ConceptCounts", "bounded_rows", "count_concept"]

NO_PREDICTOR = "no champion predictions were supplied"
_PROBE_FIELDS = ("probe_rows", "probe_mean", "probe_m2", "probe_champion_loss")


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
    #: The probe's gain (champion loss minus out-of-fold probe loss) on the rows it was fitted on, and
    #: the champion's loss sum there: the moments the challenger tests (``engine.challenger.Probe``).
    probe_rows: int = 0
    probe_mean: float = 0.0
    probe_m2: float = 0.0
    probe_champion_loss: float = 0.0

    @property
    def variance(self) -> float:
        return self.m2 / (self.rows - 1) if self.rows > 1 else 0.0

    def probe(self) -> Probe | None:
        """The probe's gain for the challenger, ``None`` when no probe was fitted."""
        if self.probe_rows < 2:
            return None
        return Probe(
            rows=self.probe_rows,
            gain=self.probe_mean,
            variance=self.probe_m2 / (self.probe_rows - 1),
            champion_loss=self.probe_champion_loss / self.probe_rows,
        )

    def merge(self, other: ConceptCounts) -> ConceptCounts:
        n = self.rows + other.rows
        delta = other.mean - self.mean
        pn = self.probe_rows + other.probe_rows
        pdelta = other.probe_mean - self.probe_mean
        return ConceptCounts(
            labelled=self.labelled + other.labelled,
            reason=self.reason or other.reason,
            rows=n,
            errors=self.errors + other.errors,
            mean=self.mean + delta * other.rows / n if n else 0.0,
            m2=self.m2 + other.m2 + (delta * delta * self.rows * other.rows / n if n else 0.0),
            segments=merge_segment_counts(self.segments, other.segments),
            misclassified=self.misclassified.merge(other.misclassified),
            probe_rows=pn,
            probe_mean=self.probe_mean + pdelta * other.probe_rows / pn if pn else 0.0,
            probe_m2=self.probe_m2
            + other.probe_m2
            + (pdelta * pdelta * self.probe_rows * other.probe_rows / pn if pn else 0.0),
            probe_champion_loss=self.probe_champion_loss + other.probe_champion_loss,
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
            "probe": [self.probe_rows, self.probe_mean, self.probe_m2, self.probe_champion_loss],
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
            **dict(zip(_PROBE_FIELDS, data.get("probe") or (0, 0.0, 0.0, 0.0), strict=True)),
        )


def count_concept(
    profile,
    frame: pd.DataFrame,
    predictor,
    config: DriftConfig,
    *,
    lines: np.ndarray | None = None,
    part: str | None = None,
    probe: bool = False,
) -> ConceptCounts:
    """Score ``frame``'s labelled rows (at most ``max_prediction_rows``) with the champion and count.

    A whole batch (``part`` None) below ``min_concept_rows`` labelled rows is not scored (the test will
    not run); a part is scored whatever its size, since the merged batch may reach the minimum. With
    ``probe``, a probe is fitted on the scored rows (``engine.probe``) and its gain counted.
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
    if probe:
        _count_probe(counts, profile, labelled, losses, config.seed)
    return counts


def _count_probe(
    counts: ConceptCounts, profile, labelled: pd.DataFrame, losses: np.ndarray, seed: int
) -> None:
    """The probe's per-row gain over the champion on the scored rows, as moments (too few rows: none)."""
    schema = profile.schema
    features = len(schema.feature_names)
    most = probe_rows(features, len(schema.classes))
    if min(len(labelled), most) < min_probe_rows(features):
        return
    if len(labelled) > most:  # a seeded sample, in order, bounds the fit's work
        keep = np.sort(np.random.default_rng(seed).choice(len(labelled), most, replace=False))
        labelled, losses = labelled.iloc[keep], losses[keep]
    matrix = FeatureEncoder.from_profile(profile).transform(labelled[schema.feature_names])
    labels = labelled[schema.label].to_numpy()
    regression = schema.task == "regression"
    target = np.asarray(labels, dtype=np.float64) if regression else encode_labels(labels, schema.classes)
    gains = losses - probe_losses(schema.task, matrix, target, classes=len(schema.classes), seed=seed)
    mean = float(gains.mean())
    counts.probe_rows, counts.probe_mean = len(gains), mean
    counts.probe_m2 = float(np.sum((gains - mean) ** 2))
    counts.probe_champion_loss = float(losses.sum())


def bounded_rows(labelled: pd.DataFrame, config: DriftConfig) -> pd.DataFrame:
    """At most ``max_prediction_rows`` of the labelled rows, drawn with the configured seed (in order):
    what an endpoint is asked to score for one batch (the concept test and the A/B look alike)."""
    if len(labelled) <= config.max_prediction_rows:
        return labelled
    rng = np.random.default_rng(config.seed)
    keep = np.sort(rng.choice(len(labelled), config.max_prediction_rows, replace=False))
    return labelled.iloc[keep]
