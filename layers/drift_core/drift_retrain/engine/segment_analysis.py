"""Where the error moved: the champion's error on a labelled batch by segment, next to its holdout error.

"The model got worse" becomes "the model got worse on region = central and on salary ≥ 80k". Every
feature's segments (``segments.segment_keys``: categorical levels, numeric baseline deciles, missing) with
at least ``MIN_SEGMENT_ROWS`` labelled rows are tested, one-sided, against the same segment on the
holdout (Fisher's exact test of the two error counts; Welch's t on squared errors for regression), and
Holm's correction over every segment tested controls the family-wise error. A segment without enough
holdout rows (or every segment, when the profile predates the per-segment table) is compared with the
champion's overall holdout error, and says so.

Segments are ranked by the excess error they carry, ``share of the batch × (batch error − holdout error)``,
and, when the concept test found a rise, ``explained_share`` is that excess over the whole rise (batch
error − holdout error). The report keeps the top ``MAX_SEGMENTS``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from drift_retrain.engine.metric_names import concept_metric
from drift_retrain.engine.roles import FEATURE
from drift_retrain.engine.segments import (
    HoldoutSegments,
    SegmentCounts,
    count_segments,
    segment_keys,
    segment_label,
)
from drift_retrain.engine.stats import adjust_pvalues
from drift_retrain.reports.formatting import wilson_interval

__all__ = [
    "CORRECTION",
    "MAX_LEVELS_TESTED",
    "MAX_SEGMENTS",
    "MIN_SEGMENT_ROWS",
    "OVERALL",
    "PROFILE",
    "merge_segment_counts",
    "segment_analysis",
    "segment_counts",
    "segments_from_counts",
    "untested_segments",
]

#: Segments listed in a report (the rest are counted).
MAX_SEGMENTS = 10
#: Labelled batch rows a segment needs to be tested, and holdout rows to be its own reference.
MIN_SEGMENT_ROWS = 20
#: A categorical feature's levels tested per batch (most rows first).
MAX_LEVELS_TESTED = 30
CORRECTION = "holm"
#: Where a segment's holdout error comes from.
PROFILE, OVERALL = "segment", "overall"
NO_TABLE = (
    "the baseline profile keeps no per-segment holdout errors (built before they were recorded, or "
    "without holdout rows): every segment is compared with the champion's overall holdout error"
)


def untested_segments(reason: str) -> dict[str, Any]:
    return {"tested": False, "reason": reason}


def segment_analysis(
    profile,
    rows: pd.DataFrame,
    losses: np.ndarray,
    *,
    alpha: float,
    rose: bool = True,
    limit: int = MAX_SEGMENTS,
) -> dict[str, Any]:
    """The report's ``segments`` block for the labelled ``rows`` the champion scored and their losses.

    ``rose`` is whether the concept test found the batch's error above the holdout's: only then is a
    segment's excess given as a share of the rise (a share of a rise that is noise reads as 300%).
    """
    losses = np.asarray(losses, dtype=np.float64)
    counts = segment_counts(profile, rows, losses)
    return segments_from_counts(
        profile,
        counts,
        len(losses),
        float(losses.mean()) if len(losses) else 0.0,
        alpha=alpha,
        rose=rose,
        limit=limit,
    )


def segment_counts(profile, rows: pd.DataFrame, losses: np.ndarray) -> dict[str, dict[str, SegmentCounts]]:
    """Rows and losses per segment of every feature (what adds across parts)."""
    return {
        spec.name: count_segments(segment_keys(profile.columns[spec.name], rows[spec.name]), losses)
        for spec in profile.schema.columns
        if spec.role == FEATURE and spec.name in rows.columns
    }


def merge_segment_counts(
    a: dict[str, dict[str, SegmentCounts]], b: dict[str, dict[str, SegmentCounts]]
) -> dict[str, dict[str, SegmentCounts]]:
    """Both parts' segment counts added, segment by segment."""
    out = {name: dict(keys) for name, keys in a.items()}
    for name, keys in b.items():
        into = out.setdefault(name, {})
        for key, c in keys.items():
            have = into.get(key)
            into[key] = (
                c
                if have is None
                else SegmentCounts(
                    have.rows + c.rows, have.loss_sum + c.loss_sum, have.loss_squares + c.loss_squares
                )
            )
    return out


def segments_from_counts(
    profile,
    counts: dict[str, dict[str, SegmentCounts]],
    rows: int,
    batch_mean: float,
    *,
    alpha: float,
    rose: bool = True,
    limit: int = MAX_SEGMENTS,
) -> dict[str, Any]:
    """``segment_analysis`` from segment counts over ``rows`` scored rows with mean loss ``batch_mean``."""
    holdout = profile.holdout
    if holdout is None or not holdout.rows:
        return untested_segments("the baseline profile has no holdout performance of the champion")
    task = profile.schema.task
    table: HoldoutSegments | None = getattr(profile, "holdout_segments", None)
    overall_reference = _overall(holdout)
    rise = batch_mean - overall_reference.mean
    shared = rise if rose and rise > 0 else None
    found = []
    for spec in profile.schema.columns:
        if spec.name not in counts:
            continue
        column = profile.columns[spec.name]
        by_key = counts[spec.name]
        tested = [key for key, c in by_key.items() if c.rows >= MIN_SEGMENT_ROWS]
        if spec.kind != "numeric":
            tested = sorted(tested, key=lambda k: (-by_key[k].rows, k))[:MAX_LEVELS_TESTED]
        known = (table.features.get(spec.name) if table is not None else None) or {}
        for key in tested:
            reference, source = known.get(key), PROFILE
            if reference is None or reference.rows < MIN_SEGMENT_ROWS:
                reference, source = overall_reference, OVERALL
            found.append(_segment(task, spec, column, key, by_key[key], reference, source, rows, shared))
    adjusted = adjust_pvalues([s["p_value"] for s in found], CORRECTION)
    for segment, p in zip(found, adjusted, strict=True):
        segment["p_value_adjusted"] = float(p)
        segment["flagged"] = bool(p <= alpha and segment["excess"] > 0)
    found.sort(key=lambda s: (-s["excess"], s["p_value"], s["label"]))
    metric = concept_metric(task)
    return {
        "tested": True,
        "metric": metric,
        "rows": rows,
        "error": batch_mean,
        "holdout_error": overall_reference.mean,
        "rise": rise,
        "rise_detected": shared is not None,
        "holdout_source": OVERALL if table is None else PROFILE,
        "note": NO_TABLE if table is None else None,
        "test": "welch_t_one_sided" if task == "regression" else "fisher_exact_one_sided",
        "correction": CORRECTION,
        "alpha": alpha,
        "min_rows": MIN_SEGMENT_ROWS,
        "segments_tested": len(found),
        "flagged": sum(s["flagged"] for s in found),
        "top": found[:limit],
    }


def _overall(holdout) -> SegmentCounts:
    if holdout.task == "regression":
        squares = (holdout.loss_var * (holdout.rows - 1)) + holdout.rows * holdout.loss_mean**2
        return SegmentCounts(holdout.rows, holdout.loss_mean * holdout.rows, squares)
    return SegmentCounts(holdout.rows, float(holdout.errors), float(holdout.errors))


def _segment(
    task: str,
    spec,
    column,
    key: str,
    batch: SegmentCounts,
    reference: SegmentCounts,
    source: str,
    total_rows: int,
    rise: float | None,
) -> dict[str, Any]:
    share = batch.rows / total_rows
    excess = share * (batch.mean - reference.mean)
    return {
        "feature": spec.name,
        "kind": spec.kind,
        "segment": key,
        "label": segment_label(column, key),
        "rows": batch.rows,
        "share": share,
        "error": batch.mean,
        "interval": _interval(task, batch),
        "holdout_rows": reference.rows,
        "holdout_error": reference.mean,
        "holdout_interval": _interval(task, reference),
        "holdout_source": source,
        "excess": excess,
        "explained_share": None if rise is None else excess / rise,
        "p_value": _p_value(task, batch, reference),
    }


def _interval(task: str, counts: SegmentCounts) -> list[float] | None:
    """95% interval of a segment's error: Wilson (rates), or mean ± t·s/√n (squared errors)."""
    if task != "regression":
        interval = wilson_interval(counts.mean, counts.rows)
        return None if interval is None else [interval[0], interval[1]]
    if counts.rows < 2:
        return None
    half = float(stats.t.ppf(0.975, counts.rows - 1)) * math.sqrt(counts.variance / counts.rows)
    return [max(0.0, counts.mean - half), counts.mean + half]


def _p_value(task: str, batch: SegmentCounts, reference: SegmentCounts) -> float:
    """One-sided: is the segment's batch error above its holdout error?"""
    if task != "regression":
        errors, reference_errors = round(batch.loss_sum), round(reference.loss_sum)
        table = np.array(
            [[errors, batch.rows - errors], [reference_errors, reference.rows - reference_errors]]
        )
        return float(stats.fisher_exact(table, alternative="greater").pvalue)
    if batch.variance == 0.0 and reference.variance == 0.0:
        return 0.0 if batch.mean > reference.mean else 1.0
    result = stats.ttest_ind_from_stats(
        batch.mean,
        math.sqrt(batch.variance),
        batch.rows,
        reference.mean,
        math.sqrt(reference.variance),
        reference.rows,
        equal_var=False,
        alternative="greater",
    )
    p = float(result.pvalue)
    return p if math.isfinite(p) else 1.0
