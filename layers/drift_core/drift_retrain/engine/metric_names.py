"""The names of the error metrics reports carry, and the reading of reports written before they had them.

A report's concept test records its figures as ``error``, ``baseline_error`` and ``reference_error``
beside ``metric``: ``error_rate`` (the share misclassified, classification) or ``mse`` (the mean squared
error, regression). Report version 1 kept every figure under ``error_rate`` names whatever the metric,
and called the regression metric ``mean_squared_error`` or ``squared_error``: :func:`read_report` maps such
a stored report to the current names, so a page or a window walk over older reports keeps working for
one version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "ERROR_RATE",
    "MSE",
    "RATE_METRICS",
    "RENAMED_FIELDS",
    "RMSE",
    "concept_metric",
    "is_rate",
    "metric_name",
    "on_scale",
    "read_evidence",
    "read_report",
]

ERROR_RATE = "error_rate"
MSE = "mse"
RMSE = "rmse"
#: Metrics that are shares of rows (shown as percentages).
RATE_METRICS = frozenset({ERROR_RATE, "accuracy"})
#: Earlier names of a metric, by the name reports use now.
_ALIASES = {"squared_error": MSE, "mean_squared_error": MSE}
#: Report version 1's concept-drift fields, by the name they have now.
RENAMED_FIELDS = {
    "error_rate": "error",
    "baseline_error_rate": "baseline_error",
    "reference_error_rate": "reference_error",
}
#: The A/B evidence summary's figures, by the name they have now.
RENAMED_EVIDENCE = {"champion_rate": "champion_error", "candidate_rate": "candidate_error"}


def concept_metric(task: str) -> str:
    """The metric the concept test measures for ``task``."""
    return MSE if task == "regression" else ERROR_RATE


def metric_name(name: Any) -> str | None:
    """A metric's current name (an earlier alias mapped); ``None`` stays ``None``."""
    if name is None:
        return None
    text = str(name)
    return _ALIASES.get(text, text)


def is_rate(name: Any) -> bool:
    """Whether the metric is a share of rows, shown as a percentage."""
    return metric_name(name) in RATE_METRICS


def on_scale(value: Any, metric: Any, target: Any) -> float | None:
    """``value`` of ``metric`` on ``target``'s scale (an RMSE as an MSE and back), ``None`` when the two
    cannot be compared: a chart plots the evaluation's RMSE beside the drift reports' MSE this way."""
    if value is None:
        return None
    source, wanted = metric_name(metric), metric_name(target)
    if source == wanted:
        return float(value)
    if (source, wanted) == (RMSE, MSE):
        return float(value) ** 2
    if (source, wanted) == (MSE, RMSE):
        return float(value) ** 0.5
    return None


def read_report(report: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A stored drift report with the current metric names (a copy; the current version is unchanged)."""
    if report is None:
        return None
    data = dict(report)
    concept = data.get("concept_drift")
    if isinstance(concept, Mapping):
        data["concept_drift"] = _concept(concept)
    segments = data.get("segments")
    if isinstance(segments, Mapping) and "metric" in segments:
        data["segments"] = {**segments, "metric": metric_name(segments["metric"])}
    return data


def read_evidence(evidence: Mapping[str, Any] | None) -> dict[str, Any]:
    """An A/B evidence summary with the current names (one written before a deployment renamed them)."""
    data = _renamed(evidence or {}, RENAMED_EVIDENCE)
    data["metric"] = metric_name(data.get("metric")) or ERROR_RATE
    return data


def _concept(concept: Mapping[str, Any]) -> dict[str, Any]:
    data = _renamed(concept, RENAMED_FIELDS)
    data["metric"] = metric_name(data.get("metric"))
    return data


def _renamed(block: Mapping[str, Any], renamed: Mapping[str, str]) -> dict[str, Any]:
    """``block`` with each old key under its new name (a new key already there wins)."""
    data = {}
    for key, value in block.items():
        new = renamed.get(key, key)
        if new != key and new in block:
            continue
        data[new] = value
    return data
