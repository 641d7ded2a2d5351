"""DetectDrift's check of a window batch the monitor wrote: the capture check, with two rules of its own.

- An unlabelled window (``monitor/windows/``) raises alerts only: feature drift, prediction drift and the
  estimated performance are reported, and a retrain the policy would start is held back
  (``retrain_blocked_by``): without labels nothing says the model got worse, and nothing can be trained.
- A prediction is judged against the model that served it: in a labelled window, rows another model
  answered (``_capture_model`` set and not the profile's model) lose their label for the check, so the
  concept and label tests see only the champion's own predictions; their features still count for
  feature drift, and the rows stay in the batch as training rows.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.engine.report import DriftReport
from drift_retrain.monitor.frames import read_frame
from drift_retrain.monitor.keys import LABELLED_PREFIX, MODEL_COLUMN

__all__ = ["UNLABELLED_WINDOW", "check_window", "judged_by_serving_model"]

#: ``retrain_blocked_by`` of an unlabelled window's report.
UNLABELLED_WINDOW = "an unlabelled capture window raises alerts only (no labels: nothing to train on)"


def judged_by_serving_model(
    frame: pd.DataFrame, profile: BaselineProfile
) -> tuple[pd.DataFrame, dict[str, int]]:
    """The frame with the labels of rows another model served removed, and the counts by model."""
    label = profile.schema.label
    counts: dict[str, int] = {}
    if MODEL_COLUMN not in frame.columns:
        return frame, counts
    models = frame[MODEL_COLUMN].fillna("").astype(str)
    counts = {str(k): int(v) for k, v in models.value_counts().items()}
    champion = str(profile.metadata.get("model_name") or "")
    frame = frame.drop(columns=[MODEL_COLUMN])
    if champion and label in frame.columns:
        other = (models != "") & (models != champion)
        if other.any():
            frame = frame.copy()
            frame[label] = frame[label].where(~other.to_numpy(), np.nan)
    return frame, counts


def check_window(
    body: bytes,
    key: str,
    profile: BaselineProfile,
    config: DriftConfig,
    *,
    reference: Any = None,
    batch_id: str | None = None,
    source_name: str | None = None,
) -> tuple[DriftReport, dict[str, Any]]:
    """Check one window batch (its bytes, as the monitor wrote them) with ``run_capture_check``; also
    returns the report's ``monitor`` section (which window kind, how many rows each model served)."""
    from drift_retrain.capture.check import run_capture_check

    frame, by_model = judged_by_serving_model(read_frame(body, profile.schema), profile)
    labelled = key.startswith(LABELLED_PREFIX)
    if not labelled and profile.schema.label in frame.columns:
        frame = frame.drop(columns=[profile.schema.label])
    report = run_capture_check(
        frame, profile, config, reference=reference, batch_id=batch_id, source_name=source_name
    )
    if not labelled and report.decision.retrain:
        decision = replace(report.decision, retrain=False, alert=True, blocked_by=UNLABELLED_WINDOW)
        report = replace(report, decision=decision)
    return report, {"window": "labelled" if labelled else "unlabelled", "served_by": by_model}
