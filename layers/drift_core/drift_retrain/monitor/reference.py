"""The champion's prediction reference on S3: written by PromoteModel, read by DetectDrift.

``baseline/current/prediction_reference.json`` (next to the baseline profile) holds the holdout's
prediction distribution and the score calibration (:class:`drift_retrain.capture.reference.PredictionReference`),
built from the winner's batch-transform output on the held-out rows (the answers and labels EvaluateCandidate
compared). PromoteModel writes it before the profile, with a copy under ``models/<model>/``; a promotion that
fails to write it fails (and is retried, or repaired), so the reference never describes an older champion
than the profile. A profile uploaded by hand has none: prediction drift and the calibration then say so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from drift_retrain.aws import storage
from drift_retrain.engine.schema import Schema
from drift_retrain.exceptions import ProfileError
from drift_retrain.layout import PREDICTION_REFERENCE_KEY

__all__ = [
    "PREDICTION_REFERENCE_KEY",
    "load_reference",
    "reference_key",
    "winner_reference",
    "write_reference",
]

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


def winner_reference(s3: Any, event: Mapping[str, Any], schema: Schema) -> Any:
    """The winner's :class:`PredictionReference` from its transform output, or ``None`` when the event
    names no transform output for it (a registry candidate re-scored under another id is found the same way).
    """
    from drift_retrain.capture.reference import PredictionReference
    from drift_retrain.workflow.shared.transform_outputs import read_transform_output

    winner = (event.get("evaluation") or {}).get("winner") or {}
    results = (event.get("transforms") or {}).get("candidates") or []
    result = next((r for r in results if r.get("id") == winner.get("id") and r.get("output_uri")), None)
    if result is None:
        return None
    items = {str(i.get("id")): i for i in (event.get("data") or {}).get("candidates") or []}
    item = items.get(str(winner.get("id"))) or {}
    rows = read_transform_output(
        s3,
        str(result["output_uri"]),
        algorithm=str(winner.get("algorithm") or item.get("algorithm") or "xgboost"),
        test_uri=item.get("test_uri"),
        task=schema.task,
    )
    labels = rows.labels
    if schema.is_classification:  # the transform's labels are class codes (class i trained as i)
        labels = [schema.classes[int(code)] for code in labels]
    return PredictionReference.build(schema, rows.predictions, labels)


def write_reference(
    s3: Any, bucket: str, reference: Any, model_key: str, key: str = PREDICTION_REFERENCE_KEY
) -> str:
    """The reference at ``models/<model>/...`` and at ``key`` (the one DetectDrift reads); returns ``key``."""
    body = reference.to_json_bytes()
    storage.put_bytes(s3, bucket, model_key, body, "application/json")
    storage.put_bytes(s3, bucket, key, body, "application/json")
    return key
