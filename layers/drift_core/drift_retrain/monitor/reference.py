"""The champion's prediction reference on S3: written by PromoteModel, read by DetectDrift.

``baseline/current/prediction_reference.json`` (next to the baseline profile) holds the holdout's
prediction distribution and the score calibration (:class:`drift_retrain.capture.reference.PredictionReference`).
A champion promoted before it existed has none: prediction drift and the calibrated estimate then say so.
"""

from __future__ import annotations

import logging
from typing import Any

from drift_retrain.aws import storage
from drift_retrain.exceptions import ProfileError
from drift_retrain.layout import PREDICTION_REFERENCE_KEY

__all__ = ["PREDICTION_REFERENCE_KEY", "load_reference", "reference_key"]

logger = logging.getLogger(__name__)


def reference_key(profile_key: str) -> str:
    """The reference next to the profile (``.../profile.json`` -> ``.../prediction_reference.json``)."""
    folder = profile_key.rsplit("/", 1)[0] + "/" if "/" in profile_key else ""
    return f"{folder}prediction_reference.json"


def load_reference(s3: Any, bucket: str, key: str = PREDICTION_REFERENCE_KEY) -> Any:
    """The stored reference, or ``None`` when there is none (or it cannot be read: logged)."""
    from drift_retrain.capture.reference import PredictionReference

    body = storage.read_optional(s3, bucket, key)
    if body is None:
        return None
    try:
        return PredictionReference.from_json_bytes(body)
    except ProfileError as error:
        logger.warning("Prediction reference unusable", extra={"key": key, "reason": str(error)})
        return None
