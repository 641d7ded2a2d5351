"""The A/B look of a batch checked on the Distributed Map: each child keeps its part's labelled rows, the
reduce step scores both variants on them once, as DetectDrift does for a batch it reads itself.

A child writes the labelled rows it read (at most ``MAX_ROWS``, its reader's sample) as CSV beside its
summary, and says how many rows of the part they stand for. The reduce step reads them back through the
same reader and cell rules as any batch (so every value is typed exactly as DetectDrift types it), and,
when they hold more than ``MAX_ROWS`` rows, samples them so that every row of the partition has about the
same chance: a row of a part that was sampled more thinly weighs more.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pandas as pd

from drift_retrain.aws.storage import put_bytes, read_object
from drift_retrain.engine.batch_reader import read_batch
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.profile import BaselineProfile

__all__ = ["read_ab_rows", "write_ab_rows"]


def write_ab_rows(
    s3: Any, bucket: str, key: str, frame: pd.DataFrame, profile: BaselineProfile, summary
) -> dict:
    """Write the part's labelled rows; returns ``{"key", "rows", "of"}`` (``of``: the part's rows read)."""
    label = profile.schema.label
    labelled = frame[frame[label].notna()] if label in frame.columns else frame.iloc[0:0]
    put_bytes(s3, bucket, key, labelled.to_csv(index=False).encode(), "text/csv")
    return {"key": key, "rows": len(labelled), "of": int(summary.rows_read)}


def read_ab_rows(
    s3: Any, bucket: str, ends: Sequence[dict[str, Any]], profile: BaselineProfile, config: DriftConfig
) -> pd.DataFrame | None:
    """The partition's labelled rows for the A/B look (``None`` when no child kept any)."""
    frames, weights = [], []
    for end in ends:
        kept = end.get("ab_rows")
        if not kept or not kept.get("rows"):
            continue
        body = read_object(s3, bucket, kept["key"])
        rows = read_batch(
            io.BytesIO(body),
            name=kept["key"],
            schema=profile.schema,
            max_rows=config.max_rows,
            seed=config.seed,
        ).frame
        frames.append(rows)
        weights += [max(kept["of"], 1) / max(kept["rows"], 1)] * len(rows)
    if not frames:
        return None
    merged = pd.concat(frames, ignore_index=True)
    if len(merged) <= config.max_rows:
        return merged
    return merged.sample(n=config.max_rows, weights=weights, random_state=config.seed).sort_index()
