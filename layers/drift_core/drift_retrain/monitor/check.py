"""DetectDrift's check of a window batch the monitor wrote: the capture check, with two rules of its own.

- An unlabelled window (``monitor/windows/``) raises alerts only: feature drift, prediction drift and the
  estimated performance are reported; the policy's ``MIN_LABELLED_ROWS`` holds any retrain back (its
  ``retrain_blocked_by`` says so): without labels nothing says the model got worse, nothing can be trained.
- A prediction is judged against the model that served it: in a labelled window, rows another model
  answered (``_capture_model`` set and not the profile's model) lose their label for the check, so the
  concept and label tests see only the champion's own predictions; their features still count for
  feature drift, and the rows stay in the batch as training rows. Prediction drift and the estimated
  error compare served predictions with the champion's holdout, so they too use the champion's rows only
  (a window the previous champion answered, labelled after a promotion, raises no alert against its
  successor's predictions).
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

__all__ = ["check_window", "judged_by_serving_model", "realised_by_model"]


def judged_by_serving_model(
    frame: pd.DataFrame, profile: BaselineProfile
) -> tuple[pd.DataFrame, dict[str, int], pd.Series]:
    """The frame with the labels of rows another model served removed, the counts by model, and which
    rows the champion served (rows of an unknown model count as the champion's)."""
    label = profile.schema.label
    counts: dict[str, int] = {}
    if MODEL_COLUMN not in frame.columns:
        return frame, counts, pd.Series(True, index=frame.index)
    models = frame[MODEL_COLUMN].fillna("").astype(str)
    counts = {str(k): int(v) for k, v in models.value_counts().items()}
    champion = str(profile.metadata.get("model_name") or "")
    frame = frame.drop(columns=[MODEL_COLUMN])
    other = (models != "") & (models != champion) if champion else pd.Series(False, index=frame.index)
    if label in frame.columns and other.any():
        frame = frame.copy()
        frame[label] = frame[label].where(~other.to_numpy(), np.nan)
    return frame, counts, ~other


def realised_by_model(frame: pd.DataFrame, profile: BaselineProfile) -> dict[str, dict[str, Any]]:
    """Per model that served the window's labelled rows: ``{rows, error}`` (the share of wrong classes; a
    regressor's mean absolute error): what the endpoint's users got, whichever model answered them."""
    from drift_retrain.capture.records import PREDICTION

    schema = profile.schema
    if schema.label not in frame.columns or PREDICTION not in frame.columns:
        return {}
    judged = frame[frame[schema.label].notna() & frame[PREDICTION].notna()]
    models = (
        judged[MODEL_COLUMN].fillna("").astype(str)
        if MODEL_COLUMN in judged.columns
        else pd.Series("", index=judged.index)
    )
    out: dict[str, dict[str, Any]] = {}
    for model, rows in judged.groupby(models.to_numpy()):
        if schema.task == "regression":
            served = pd.to_numeric(rows[PREDICTION], errors="coerce").to_numpy(dtype=np.float64)
            error = float(np.nanmean(np.abs(served - rows[schema.label].to_numpy(dtype=np.float64))))
        else:
            error = float((rows[schema.label].astype(str) != rows[PREDICTION].astype(str)).mean())
        out[str(model)] = {"rows": len(rows), "error": error}
    return out


def check_window(
    body: bytes,
    key: str,
    profile: BaselineProfile,
    config: DriftConfig,
    *,
    reference: Any = None,
    batch_id: str | None = None,
    source_name: str | None = None,
    recovery_used: int = 0,
) -> tuple[DriftReport, dict[str, Any]]:
    """Check one window batch (its bytes, as the monitor wrote them) with ``run_capture_check``; its
    ``monitor`` section says which kind of window it is and how many rows each model served. Also
    returns the window's ``statistics.json`` (Model Monitor's schema)."""
    from drift_retrain.capture.check import run_capture_check

    window = read_frame(body, profile.schema)
    realised = realised_by_model(window, profile)
    frame, by_model, champion_rows = judged_by_serving_model(window, profile)
    labelled = key.startswith(LABELLED_PREFIX)
    if not labelled and profile.schema.label in frame.columns:
        frame = frame.drop(columns=[profile.schema.label])
    report = run_capture_check(
        frame,
        profile,
        config,
        reference=reference,
        batch_id=batch_id,
        source_name=source_name,
        champion_rows=champion_rows,
        recovery_used=recovery_used,
    )
    report.sections["monitor"] = {"window": "labelled" if labelled else "unlabelled", "served_by": by_model}
    if labelled:
        report.sections["monitor"]["realised_by_model"] = realised
    return report, statistics_json(profile, frame)
