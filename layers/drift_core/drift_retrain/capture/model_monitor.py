"""Model Monitor's output files and metric names, so dashboards and tools built on them carry over.

* ``statistics_json``: the schema of "Schema for Statistics (statistics.json file)": ``version``,
  ``dataset.item_count``, per feature ``numerical_statistics`` (``common``, mean, sum, std_dev, min, max,
  ``distribution.kll`` with 10 equal-width buckets and a one-level sketch of at most ``SKETCH_K`` values)
  or ``string_statistics`` (``common``, ``distinct_count``, ``distribution.categorical.buckets``).
* ``constraint_violations_json``: "Schema for Violations": one entry per finding of our own tests, with
  Model Monitor's check type (``baseline_drift_check`` for a drifted distribution, ``completeness_check``
  for a missing-rate rise, ``categorical_values_check`` for any category the baseline never had, ``missing_column_check`` /
  ``extra_column_check`` / ``data_type_check`` from the capture reader's column issues).
* ``metric_names``: ``feature_baseline_drift_<f>`` (the distribution distance: KS statistic for numeric
  columns, the largest change of a listed category's share for categorical ones) and ``feature_non_null_<f>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.schema import NUMERIC

__all__ = ["BUCKETS", "CHECK_TYPES", "constraint_violations_json", "metric_names", "statistics_json"]

BUCKETS = 10
SKETCH_K = 2048
CHECK_TYPES = (
    "data_type_check",
    "completeness_check",
    "baseline_drift_check",
    "missing_column_check",
    "extra_column_check",
    "categorical_values_check",
)


def statistics_json(profile, frame: pd.DataFrame) -> dict[str, Any]:
    """Per-feature statistics of ``frame`` (the profile's feature columns) in Model Monitor's schema."""
    features = []
    for spec in profile.schema.columns:
        values = frame[spec.name] if spec.name in frame.columns else pd.Series([], dtype=object)
        if spec.kind == NUMERIC:
            features.append(_numeric(spec.name, values))
        else:
            features.append(_string(spec.name, values))
    return {"version": 0, "dataset": {"item_count": len(frame)}, "features": features}


def _numeric(name: str, values: pd.Series) -> dict[str, Any]:
    array = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    present = np.sort(array[np.isfinite(array)])
    common = {"num_present": len(present), "num_missing": len(array) - len(present)}
    integral = bool(len(present)) and bool(np.all(present == np.round(present)))
    stats: dict[str, Any] = {"common": common}
    if len(present):
        low, high = float(present[0]), float(present[-1])
        edges = np.linspace(low, high, BUCKETS + 1)
        counts = np.histogram(present, bins=edges if high > low else BUCKETS, range=(low, high))[0]
        if high == low:
            edges = np.full(BUCKETS + 1, low)
        sketch = present[np.linspace(0, len(present) - 1, min(len(present), SKETCH_K)).astype(np.int64)]
        stats.update(
            mean=float(present.mean()),
            sum=float(present.sum()),
            std_dev=float(present.std()),
            min=low,
            max=high,
            distribution={
                "kll": {
                    "buckets": [
                        {
                            "lower_bound": float(edges[i]),
                            "upper_bound": float(edges[i + 1]),
                            "count": float(c),
                        }
                        for i, c in enumerate(counts)
                    ],
                    "sketch": {"parameters": {"c": 0.64, "k": SKETCH_K}, "data": [sketch.tolist()]},
                }
            },
        )
    return {
        "name": name,
        "inferred_type": "Integral" if integral else "Fractional",
        "numerical_statistics": stats,
    }


def _string(name: str, values: pd.Series) -> dict[str, Any]:
    series = pd.Series(values, dtype=object)
    present = series.dropna().astype(str)
    counts = present.value_counts(sort=True)
    return {
        "name": name,
        "inferred_type": "String",
        "string_statistics": {
            "common": {"num_present": len(present), "num_missing": len(series) - len(present)},
            "distinct_count": float(len(counts)),
            "distribution": {
                "categorical": {"buckets": [{"value": str(v), "count": float(c)} for v, c in counts.items()]}
            },
        },
    }


def _as_dict(report: Any) -> Mapping[str, Any]:
    return report.to_dict() if hasattr(report, "to_dict") else report


def constraint_violations_json(report: Any) -> dict[str, Any]:
    """The report's findings (a ``DriftReport`` or its dict) as Model Monitor's violations file."""
    data = _as_dict(report)
    violations = []
    for feature in data.get("features", []):
        name = feature["name"]
        reasons = set(feature.get("drift_reasons") or [])
        if "distribution" in reasons:
            violations.append(
                _violation(
                    name,
                    "baseline_drift_check",
                    f"{feature['test']} p {_p(feature.get('p_value_adjusted'))} (adjusted) against the baseline",
                )
            )
        if "missing_rate" in reasons:
            missing = (feature.get("batch") or {}).get("missing_rate")
            violations.append(
                _violation(name, "completeness_check", f"missing rate rose to {_share(missing)} of rows")
            )
        unseen = (feature.get("batch") or {}).get("unseen_share")
        if "unseen" in reasons or (unseen or 0) > 0:
            violations.append(
                _violation(
                    name,
                    "categorical_values_check",
                    f"{_share(unseen)} of rows hold categories the baseline never had",
                )
            )
    issues = (data.get("capture") or {}).get("column_issues") or {}
    checks = (
        ("missing_column", "missing_column_check", "rows lacked this feature"),
        ("extra_column", "extra_column_check", "rows carried this column, which the model does not read"),
        ("data_type", "data_type_check", "rows held a non-number in this numeric feature"),
    )
    for kind, check, what in checks:
        for name, count in sorted((issues.get(kind) or {}).items()):
            violations.append(_violation(name, check, f"{count} {what}"))
    return {"violations": violations}


def _violation(name: str, check: str, description: str) -> dict[str, str]:
    return {"feature_name": name, "constraint_check_type": check, "description": description}


def _p(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def _share(value: Any) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def metric_names(report: Any) -> dict[str, float]:
    """``feature_baseline_drift_<f>`` and ``feature_non_null_<f>`` values of the report's features."""
    data = _as_dict(report)
    metrics: dict[str, float] = {}
    for feature in data.get("features", []):
        name = feature["name"]
        distance = _distance(feature)
        if distance is not None:
            metrics[f"feature_baseline_drift_{name}"] = distance
        missing = (feature.get("batch") or {}).get("missing_rate")
        if missing is not None:
            metrics[f"feature_non_null_{name}"] = 1.0 - float(missing)
    return metrics


def _distance(feature: Mapping[str, Any]) -> float | None:
    """KS statistic (numeric: the L-infinity distance of the CDFs, as Model Monitor's) or the largest
    change of one category's share among the five largest of each side (categorical: Model Monitor's
    L-infinity distance, over the categories the report lists)."""
    if feature.get("kind") == NUMERIC:
        statistic = feature.get("statistic")
        return None if statistic is None else float(statistic)
    baseline = (feature.get("baseline") or {}).get("top")
    batch = (feature.get("batch") or {}).get("top")
    if not isinstance(baseline, Mapping) or not isinstance(batch, Mapping) or not (baseline or batch):
        return None
    return max(abs(float(batch.get(c, 0.0)) - float(baseline.get(c, 0.0))) for c in {*baseline, *batch})
