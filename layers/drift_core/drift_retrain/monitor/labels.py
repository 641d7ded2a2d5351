"""Ground truth joined to the windows that hold its predictions, and labelled window batches written.

Every ground-truth object is kept as a part (``monitor/labels/``, written once). Joining reads all label
parts, oldest first (the first label received for a row wins: ``join_labels``), against each closed window
that is not yet fully labelled. Labels for rows in no closed window yet simply wait in their parts: they
join when that window closes.

A window's labelled batch (``monitor/labelled/<endpoint>/<variant>/<w>-r<rev>.csv``: its joined rows
only, features, label and the ``_capture_*`` columns) is written

- first when it has ``MIN_LABELLED_ROWS`` joined rows (or every row labelled, for a smaller window);
- again, as the next revision, when its labelled share has grown by ``LABEL_REVISION_STEP`` since the last
  revision, or when every row is labelled.

Each revision is a new object: DetectDrift checks it like an ``incoming/`` batch (report, decision, retrain)
and PrepareTrainingData trains on the newest revision of each window only.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from drift_retrain.aws import storage
from drift_retrain.capture.ground_truth import RECEIVED
from drift_retrain.capture.join import join_labels
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.monitor.frames import read_frame, write_frame
from drift_retrain.monitor.keys import LABELS_PREFIX, Stream, labelled_key, window_key
from drift_retrain.monitor.store import update_ledger
from drift_retrain.monitor.windows import next_revision

__all__ = ["join_stream", "read_truth"]

logger = logging.getLogger(__name__)


def read_truth(s3: Any, bucket: str, profile: BaselineProfile) -> pd.DataFrame | None:
    """Every stored label, in the order the parts were written (``None`` when there is none)."""
    listed = sorted(storage.list_objects(s3, bucket, LABELS_PREFIX), key=lambda o: (o.last_modified, o.key))
    frames = [read_frame(storage.read_object(s3, bucket, o.key), profile.schema) for o in listed]
    frames = [f for f in frames if not f.empty]
    if not frames:
        return None
    truth = pd.concat(frames, ignore_index=True)
    truth[RECEIVED] = range(len(truth))  # the order the parts arrived: the first label received wins
    return truth


def join_stream(
    s3: Any,
    bucket: str,
    stream: Stream,
    ledger: dict[str, Any],
    truth: pd.DataFrame | None,
    profile: BaselineProfile,
    min_labelled: int,
) -> list[str]:
    """Join the stream's closed windows to ``truth``; returns the labelled batch keys written now."""
    if truth is None:
        return []
    label = profile.schema.label
    written: list[str] = []
    updates: dict[str, dict[str, int]] = {}
    for window in ledger.get("windows") or []:
        previous = window.get("labelled") or {}
        if not window.get("materialised") or int(previous.get("rows") or 0) >= int(window["rows"]):
            continue
        body = storage.read_optional(s3, bucket, window_key(stream, window["id"]))
        if body is None:
            continue
        frame = read_frame(body, profile.schema)
        if frame.empty:
            continue
        joined = join_labels(frame, truth, profile)
        rows = joined.frame[joined.frame[label].notna()].reset_index(drop=True)
        if not next_revision(len(rows), len(frame), previous, min_labelled):
            continue
        revision = int(previous.get("revision") or 0) + 1
        key = labelled_key(stream, window["id"], revision)
        if storage.put_new(s3, bucket, key, write_frame(rows), "text/csv"):
            written.append(key)
            logger.info(
                "Labelled window written",
                extra={"key": key, "labelled": len(rows), "rows": len(frame), "join": joined.stats.to_dict()},
            )
        updates[window["id"]] = {"revision": revision, "rows": len(rows)}
    if updates:

        def record(document: dict[str, Any]) -> tuple[dict[str, Any], None]:
            windows = []
            for w in document["windows"]:
                new = updates.get(w["id"])
                if new and new["revision"] > int((w.get("labelled") or {}).get("revision") or 0):
                    w = {**w, "labelled": new}
                windows.append(w)
            return {**document, "windows": windows}, None

        update_ledger(s3, bucket, stream, record)
    return written
