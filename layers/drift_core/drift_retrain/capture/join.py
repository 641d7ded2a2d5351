"""Join ground-truth labels to captured rows, as Model Monitor's merge does.

A captured row's key is its ``inferenceId`` when the request set one, else its ``eventId``; a label's
key is its record's ``eventMetadata.eventId``. Key and row index (``_capture_row``) must both match.
Rules (docs/data-capture.md):

* **duplicates**: several labels for one (key, row): the first received wins, the others are counted;
* **orphans**: labels that match no captured row are returned, not dropped, so that a later window (whose
  captured rows arrive after the label) can still join them;
* captured rows keep every ``_capture_*`` column (time, ids), so a label for a request the previous model
  answered still joins that request, and the caller attributes it to the model that served it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.capture.ground_truth import JOIN_KEY, RECEIVED, GroundTruthRows
from drift_retrain.capture.records import EVENT_ID, INFERENCE_ID, ROW

__all__ = ["JoinResult", "JoinStats", "join_key", "join_labels"]


@dataclass(frozen=True)
class JoinStats:
    """How the join went: captured rows, how many got a label, and what happened to the other labels."""

    rows: int
    labelled: int
    orphans: int
    duplicates: int
    wrong_encoding: int = 0

    @property
    def labelled_share(self) -> float:
        return self.labelled / self.rows if self.rows else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "labelled_share": self.labelled_share}


@dataclass
class JoinResult:
    frame: pd.DataFrame
    stats: JoinStats
    orphans: pd.DataFrame


def join_key(captured: pd.DataFrame) -> pd.Series:
    """The key each captured row is labelled under: ``inferenceId`` when set, else ``eventId``."""
    inference = captured[INFERENCE_ID]
    return inference.where(inference.notna() & (inference.astype(str) != ""), captured[EVENT_ID]).astype(str)


def join_labels(captured: pd.DataFrame, truth: GroundTruthRows | pd.DataFrame, profile) -> JoinResult:
    """Captured rows with the label column filled where a label joined (missing elsewhere).

    ``truth`` is a ``GroundTruthRows`` (its wrong-encoding records are counted) or its frame; a label
    already in ``captured`` (from an earlier join) is kept and not overwritten.
    """
    label = profile.schema.label
    wrong = truth.wrong_encoding if isinstance(truth, GroundTruthRows) else 0
    labels = truth.frame if isinstance(truth, GroundTruthRows) else truth
    if RECEIVED in labels.columns:
        labels = labels.sort_values(RECEIVED, kind="stable")
    first = ~labels.duplicated([JOIN_KEY, ROW], keep="first")
    duplicates = int((~first).sum())
    unique = labels[first]
    frame = captured.reset_index(drop=True).copy()
    keys = pd.MultiIndex.from_arrays([join_key(frame), frame[ROW].astype(np.int64)])
    lookup = pd.Series(
        unique[label].to_numpy(),
        index=pd.MultiIndex.from_arrays([unique[JOIN_KEY].astype(str), unique[ROW].astype(np.int64)]),
    )
    joined = lookup.reindex(keys).to_numpy()
    if label in frame.columns:
        joined = np.where(frame[label].notna().to_numpy(), frame[label].to_numpy(), joined)
    dtype = np.float64 if profile.schema.task == "regression" else object
    frame[label] = pd.Series(joined, dtype=dtype)
    if dtype is object:
        frame[label] = frame[label].where(frame[label].notna(), None)
    matched = lookup.index.isin(keys)
    orphans = unique[~matched].reset_index(drop=True)
    stats = JoinStats(
        rows=len(frame),
        labelled=int(frame[label].notna().sum()),
        orphans=len(orphans),
        duplicates=duplicates,
        wrong_encoding=wrong,
    )
    return JoinResult(frame=frame, stats=stats, orphans=orphans)
