"""Merging part summaries: counts add, extremes and moments combine, samples keep the best-ranked rows.

The fold runs in part order whatever order the summaries come in, so merging is commutative, and
associative for every count (moments combine by Chan's formula, equal to rounding).
"""

from __future__ import annotations

from collections.abc import Iterable

from drift_retrain.engine.reading import merge_set_aside
from drift_retrain.engine.summary.partial import PartialSummary

__all__ = ["merge_summaries"]


def merge_summaries(summaries: Iterable[PartialSummary]) -> PartialSummary:
    """One summary of every part; raises ``ValueError`` for none, or for parts of different profiles."""
    ordered = sorted(summaries, key=lambda s: s.parts)
    if not ordered:
        raise ValueError("no partial summaries to merge")
    merged = ordered[0]
    for other in ordered[1:]:
        merged = _merge(merged, other)
    return merged


def _merge(a: PartialSummary, b: PartialSummary) -> PartialSummary:
    if a.profile != b.profile:
        raise ValueError(f"partial summaries of different profiles ({a.profile!r}, {b.profile!r})")
    if set(a.columns) != set(b.columns):
        raise ValueError("partial summaries of different columns")
    label = b.label if a.label is None else a.label if b.label is None else a.label.merge(b.label)
    return PartialSummary(
        profile=a.profile,
        parts=sorted([*a.parts, *b.parts]),
        rows=a.rows + b.rows,
        rows_read=a.rows_read + b.rows_read,
        compressed=a.compressed or b.compressed,
        columns={name: a.columns[name].merge(b.columns[name]) for name in a.columns},
        label=label,
        concept=a.concept.merge(b.concept),
        input_warnings=[*a.input_warnings, *(w for w in b.input_warnings if w not in a.input_warnings)],
        set_aside=merge_set_aside(a.set_aside, b.set_aside),
        kinds=a.kinds or b.kinds,
    )
