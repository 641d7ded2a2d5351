"""What the champion's predictions looked like on its holdout: the reference of prediction drift and the
calibration of the performance estimate. Built at promotion, stored next to the baseline profile
(``layout.PREDICTION_REFERENCE_KEY``), read with every window of captured traffic.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.capture.estimate import Calibration
from drift_retrain.capture.outputs import served_from_predictions
from drift_retrain.engine.category_profile import CategoricalProfile, profile_categorical
from drift_retrain.engine.performance import HoldoutPerformance
from drift_retrain.engine.profile import NumericProfile, profile_numeric
from drift_retrain.engine.schema import Schema, canonical_labels
from drift_retrain.exceptions import ProfileError

__all__ = ["REFERENCE_VERSION", "PredictionReference"]

REFERENCE_VERSION = 1
PREDICTION, SCORE = "prediction", "score"


@dataclass
class PredictionReference:
    """The holdout's served classes (or values) and scores as profiles, the calibration, its error."""

    task: str
    classes: tuple[str, ...]
    predictions: CategoricalProfile | NumericProfile
    scores: NumericProfile | None
    calibration: Calibration | None
    holdout: HoldoutPerformance

    @classmethod
    def build(cls, schema: Schema, predictions: Any, labels: Any) -> PredictionReference:
        """From the champion's answer on its holdout rows (vector or probability matrix) and their labels."""
        served, scores = served_from_predictions(np.asarray(predictions, dtype=np.float64), schema)
        labels = pd.Series(labels)
        if schema.task == "regression":
            values = np.asarray(served, dtype=np.float64)
            holdout = HoldoutPerformance.from_predictions("regression", labels.to_numpy(), values)
            return cls("regression", (), profile_numeric(PREDICTION, values), None, None, holdout)
        truth = canonical_labels(labels.astype(object)).to_numpy()
        served_array = np.asarray(served, dtype=object)
        codes = np.asarray([schema.classes.index(s) for s in served], dtype=np.int64)
        holdout = HoldoutPerformance.from_predictions(schema.task, truth, codes, schema.classes)
        score_array = np.asarray(scores, dtype=np.float64)
        has_scores = bool(np.isfinite(score_array).any())
        calibration = None
        if has_scores:
            calibration = (
                Calibration.fit(score_array, truth, positive_label=schema.classes[1])
                if schema.task == "binary"
                else Calibration.fit(score_array, truth, predictions=served_array)
            )
        return cls(
            task=schema.task,
            classes=schema.classes,
            predictions=profile_categorical(PREDICTION, pd.Series(served_array)),
            scores=profile_numeric(SCORE, score_array) if has_scores else None,
            calibration=calibration,
            holdout=holdout,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference_version": REFERENCE_VERSION,
            "task": self.task,
            "classes": list(self.classes),
            "predictions": self.predictions.to_dict(),
            "scores": None if self.scores is None else self.scores.to_dict(),
            "calibration": None if self.calibration is None else self.calibration.to_dict(),
            "holdout": self.holdout.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PredictionReference:
        try:
            if data.get("reference_version") != REFERENCE_VERSION:
                raise ValueError(f"version {data.get('reference_version')!r} is not {REFERENCE_VERSION}")
            predictions = data["predictions"]
            return cls(
                task=str(data["task"]),
                classes=tuple(str(c) for c in data["classes"]),
                predictions=NumericProfile.from_dict(predictions)
                if predictions.get("kind") == "numeric"
                else CategoricalProfile.from_dict(predictions, 2),
                scores=None if data.get("scores") is None else NumericProfile.from_dict(data["scores"]),
                calibration=None
                if data.get("calibration") is None
                else Calibration.from_dict(data["calibration"]),
                holdout=HoldoutPerformance.from_dict(data["holdout"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ProfileError(f"prediction reference is corrupt: {type(exc).__name__}: {exc}") from exc

    def to_json_bytes(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json_bytes(cls, raw: bytes) -> PredictionReference:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ProfileError(f"prediction reference is not valid JSON: {exc}") from exc
        if not isinstance(data, Mapping):
            raise ProfileError("a prediction reference must be a JSON object")
        return cls.from_dict(data)
