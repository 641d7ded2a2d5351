"""What a person needs to draw each numeric column, baseline vs batch: shares on the baseline's deciles.

The HTML report plots the two distributions on the baseline's decile edges (the bins the KS test's
``details.psi`` is measured on); a checked batch's columns were counted on those bins when they were
binned for the KS test (``summary.bins``), so nothing is read twice.
Categorical columns need nothing here: the report's ``baseline.top``/``batch.top`` shares and its unseen
categories are what their bars show. A few numbers per column: the report stays small.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from drift_retrain.engine.drift_types import FeatureDrift
from drift_retrain.engine.profile import NumericProfile, bin_shares, finite_values

__all__ = ["binned_distributions", "numeric_distributions", "profile_distributions"]


def numeric_distributions(
    profile, frame: pd.DataFrame, features: Sequence[FeatureDrift] = ()
) -> dict[str, dict[str, Any]]:
    """Per numeric feature: ``edges`` (inner decile edges), ``baseline`` and ``batch`` shares per bin.

    A column the drift tests already binned (``FeatureDrift.bin_shares``, counted with the KS test's
    cells) is not binned again; the others (ignored numeric columns, numeric timestamps) are binned here
    (``binned_distributions`` does the same from a summary's counts).
    """
    binned = {f.name: f.bin_shares for f in features if f.bin_shares is not None}
    out = {}
    for name, column in _numeric_columns(profile):
        if name not in frame.columns:
            continue
        shares = binned.get(name)
        if shares is None:
            present = finite_values(frame[name])
            shares = bin_shares(present, column.decile_edges) if len(present) else None
        out[name] = {
            "edges": [float(e) for e in column.decile_edges],
            "baseline": [float(s) for s in column.decile_shares],
            "batch": None if shares is None else [float(s) for s in shares],
        }
    return out


def binned_distributions(profile, columns: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``numeric_distributions`` from counted columns (``ColumnSummary``): the decile counts they hold."""
    out = {}
    for name, column in _numeric_columns(profile):
        bins = getattr(columns.get(name), "bins", None)
        if bins is None:
            continue
        out[name] = {
            "edges": [float(e) for e in column.decile_edges],
            "baseline": [float(s) for s in column.decile_shares],
            "batch": [float(c) / bins.count for c in bins.deciles] if bins.count else None,
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
