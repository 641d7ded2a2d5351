"""The winner's holdout errors per segment, counted where its held-out answers are read (EvaluateCandidate)
and carried to PromoteModel, which stores them in the new baseline profile ("where the error moved").

The held-out rows' features come from ``training/<execution>/raw/test-data.csv.gz`` (written by
PrepareTrainingData, ``test.raw``), the segments from the winner's own profile (its decile edges). The
table is an extra: when anything is missing or does not line up, it is left out with a warning, the
evaluation goes on, and drift reports compare segments with the overall holdout error instead.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import numpy as np

from drift_retrain.aws import storage
from drift_retrain.engine.batch_reader import read_batch
from drift_retrain.engine.performance import encode_labels
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.engine.segments import HoldoutSegments
from drift_retrain.exceptions import DriftRetrainError

__all__ = ["winner_holdout_segments"]

logger = logging.getLogger(__name__)


def winner_holdout_segments(
    s3: Any,
    bucket: str,
    data: Mapping[str, Any],
    item: Mapping[str, Any],
    labels: np.ndarray,
    losses: np.ndarray,
) -> dict[str, Any] | None:
    """``HoldoutSegments.to_dict()`` of the winner (``item``), or None (logged) when it cannot be counted.

    ``labels`` and ``losses`` are the winner's transform output's labels (class codes for classification)
    and per-row losses, in the held-out rows' order.
    """
    raw = (data.get("test") or {}).get("raw") or {}
    profile_ref = item.get("candidate_profile") or {}
    if not raw.get("key") or not profile_ref.get("key"):
        logger.warning(
            "no per-segment holdout errors: the held-out rows or the winner's profile are not named"
        )
        return None
    try:
        profile = BaselineProfile.from_json_bytes(
            storage.read_object(s3, profile_ref.get("bucket") or bucket, profile_ref["key"])
        )
        body = storage.read_object(s3, raw.get("bucket") or bucket, raw["key"])
        rows = read_batch(body, name=raw["key"], schema=profile.schema).frame
        if len(rows) != len(losses):
            raise DriftRetrainError(f"{len(rows)} held-out rows for {len(losses)} answers")
        if profile.schema.is_classification:
            codes = encode_labels(rows[profile.schema.label], profile.schema.classes)
            if not np.array_equal(codes, np.asarray(labels).astype(np.int64)):
                raise DriftRetrainError("the held-out rows' labels are not the transform output's")
        return HoldoutSegments.build(profile, rows, losses).to_dict()
    except DriftRetrainError as exc:
        logger.warning("no per-segment holdout errors", extra={"reason": str(exc)})
        return None
