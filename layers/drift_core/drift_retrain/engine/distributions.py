"""What a person needs to draw each numeric column, baseline vs batch: shares on the baseline's deciles.

The drift tests keep only their statistics; the HTML report plots the two distributions on the same bins
(the baseline's decile edges, the bins PSI is measured on), so the picture and the effect size agree.
Categorical columns need nothing here: the report's ``baseline.top``/``batch.top`` shares and its unseen
categories are what their bars show. A few numbers per column: the report stays small.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from drift_retrain.engine.profile import NumericProfile, bin_shares, finite_values

__all__ = ["numeric_distributions", "profile_distributions"]


def numeric_distributions(profile, frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per numeric feature: ``edges`` (inner decile edges), ``baseline`` and ``batch`` shares per bin."""
    out = {}
    for name, column in _numeric_columns(profile):
        if name not in frame.columns:
            continue
        present = finite_values(frame[name])
        out[name] = {
            "edges": [float(e) for e in column.decile_edges],
            "baseline": [float(s) for s in column.decile_shares],
            "batch": [float(s) for s in bin_shares(present, column.decile_edges)] if len(present) else None,
        }
    return out


def profile_distributions(profile) -> dict[str, dict[str, Any]]:
    """The baseline half only (``batch`` is ``None``): for a report written before batches were binned."""
    return {
        name: {
            "edges": [float(e) for e in column.decile_edges],
            "baseline": [float(s) for s in column.decile_shares],
            "batch": None,
        }
        for name, column in _numeric_columns(profile)
    }


def _numeric_columns(profile) -> list[tuple[str, NumericProfile]]:
    """The profile's numeric feature columns, in schema order."""
    return [
        (spec.name, profile.columns[spec.name])
        for spec in profile.schema.columns
        if isinstance(profile.columns.get(spec.name), NumericProfile)
    ]
