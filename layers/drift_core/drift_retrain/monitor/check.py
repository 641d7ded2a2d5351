"""DetectDrift's check of a window batch the monitor wrote: the capture check, with two rules of its own.

- An unlabelled window (``monitor/windows/``) raises alerts only: feature drift, prediction drift and the
  estimated performance are reported; the policy's ``MIN_LABELLED_ROWS`` holds any retrain back (its
  ``retrain_blocked_by`` says so): without labels nothing says the model got worse, nothing can be trained.
- A prediction is judged against the model that served it: in a labelled window, rows another model
  answered (``_capture_model`` set and not the profile's model) lose their label for the check, so the
  concept and label tests see only the champion's own predictions; their features still count for
  feature drift, and the rows stay in the batch as training rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.capture.model_monitor import statistics_json
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.engine.report import DriftReport
from drift_retrain.monitor.frames import read_frame
from drift_retrain.monitor.keys import LABELLED_PREFIX, MODEL_COLUMN

__all__ = ["check_window", "judged_by_serving_model"]


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
    """Check one window batch (its bytes, as the monitor wrote them) with ``run_capture_check``; its
    ``monitor`` section says which kind of window it is and how many rows each model served. Also
    returns the window's ``statistics.json`` (Model Monitor's schema)."""
    from drift_retrain.capture.check import run_capture_check

    frame, by_model = judged_by_serving_model(read_frame(body, profile.schema), profile)
    labelled = key.startswith(LABELLED_PREFIX)
    if not labelled and profile.schema.label in frame.columns:
        frame = frame.drop(columns=[profile.schema.label])
    report = run_capture_check(
        frame, profile, config, reference=reference, batch_id=batch_id, source_name=source_name
    )
    report.sections["monitor"] = {"window": "labelled" if labelled else "unlabelled", "served_by": by_model}
    return report, statistics_json(profile, frame)
