"""CloudWatch metrics of one DetectDrift outcome, through Powertools Metrics (Embedded Metric Format).

Batch-level metrics go on the handler's ``Metrics`` object (one EMF document per invocation, with the
``service`` dimension). Per-feature metrics need their own ``Feature`` dimension, which EMF allows only
per document, so each is written with ``single_metric``. Each (metric, feature) pair is a custom metric
billed by CloudWatch, so only two per feature are written; the report holds the rest.

==========================  ========  ===================================================================
Metric                      Unit      When
==========================  ========  ===================================================================
BatchRows                   Count     a batch was checked (rows read, before sampling)
DriftedFeatures             Count     a batch was checked
ConceptDriftDetected        Count     the concept test ran (1 detected, 0 not)
ChampionError               None      the concept test ran (error rate, or MSE for regression)
BaselineError               None      the concept test ran (the champion's holdout figure)
RetrainTriggered            Count     a batch was checked (1 when a new execution started)
DuplicateDeliveries         Count     the execution already existed (a repeated event)
QuarantinedBatches          Count     a bad file was quarantined
MissingBaselineProfile      Count     no usable baseline profile
IgnoredObjects              Count     the object is outside ``incoming/`` (or another bucket)
SkippedBatches              Count     the object was deleted or overwritten before it could be read
FeatureDriftStatistic       None      per feature, dimension ``Feature``: KS D or chi-square statistic
FeatureEffectSize           None      per feature, dimension ``Feature``: PSI, when measured
feature_baseline_drift_<f>  None      a capture window was checked: Model Monitor's distance per feature
feature_non_null_<f>        None      a capture window was checked: the feature's non-missing share
==========================  ========  ===================================================================

The last two carry Model Monitor's own metric names (``capture.model_monitor.metric_names``) in this
service's namespace: a dashboard built on Model Monitor's metrics carries over by changing the namespace.
"""

from __future__ import annotations

import math
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from drift_retrain.capture.model_monitor import metric_names
from drift_retrain.detect.context import Outcome, Status

__all__ = ["FEATURE_DIMENSION", "record_metrics"]

FEATURE_DIMENSION = "Feature"
#: CloudWatch dimension values are at most 1024 characters.
_MAX_DIMENSION = 1024


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None if value is None else float(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _feature_metric(
    name: str, unit: MetricUnit, value: float, feature: str, namespace: str | None, service: str | None
):
    dimensions = {FEATURE_DIMENSION: feature[:_MAX_DIMENSION]}
    if service:
        dimensions = {"service": service, **dimensions}
    with single_metric(name=name, unit=unit, value=value, namespace=namespace, default_dimensions=dimensions):
        pass


def record_metrics(metrics: Any, outcome: Outcome) -> None:
    """Add the outcome's metrics to ``metrics`` (a Powertools ``Metrics``) and write per-feature ones.

    Parameters
    ----------
    metrics : aws_lambda_powertools.Metrics
        The handler's metrics object; flushed by its ``log_metrics`` decorator.
    outcome : Outcome
        What :func:`drift_retrain.detect.service.process_object` returned.
    """
    if outcome.duplicate_report:  # counted when first handled
        metrics.add_metric(name="DuplicateDeliveries", unit=MetricUnit.Count, value=1)
        metrics.add_metric(
            name="RetrainTriggered", unit=MetricUnit.Count, value=1 if outcome.retrain_started else 0
        )
        return
    if outcome.status == Status.INVALID:
        metrics.add_metric(name="QuarantinedBatches", unit=MetricUnit.Count, value=1)
        return
    if outcome.status == Status.NO_PROFILE:
        metrics.add_metric(name="MissingBaselineProfile", unit=MetricUnit.Count, value=1)
        return
    if outcome.status == Status.IGNORED:
        metrics.add_metric(name="IgnoredObjects", unit=MetricUnit.Count, value=1)
        return
    if outcome.status in (Status.OBJECT_GONE, Status.SUPERSEDED):
        metrics.add_metric(name="SkippedBatches", unit=MetricUnit.Count, value=1)
        return
    if outcome.status != Status.CHECKED or outcome.report is None:
        return
    report = outcome.report
    metrics.add_metric(name="BatchRows", unit=MetricUnit.Count, value=int(report.get("rows") or 0))
    metrics.add_metric(
        name="DriftedFeatures", unit=MetricUnit.Count, value=len(report.get("drifted_features") or [])
    )
    concept = report.get("concept_drift") or {}
    if concept.get("tested"):
        metrics.add_metric(
            name="ConceptDriftDetected", unit=MetricUnit.Count, value=1 if concept.get("detected") else 0
        )
        for name, key in (("ChampionError", "error"), ("BaselineError", "baseline_error")):
            value = _number(concept.get(key))
            if value is not None:
                metrics.add_metric(name=name, unit=MetricUnit.NoUnit, value=value)
    metrics.add_metric(
        name="RetrainTriggered", unit=MetricUnit.Count, value=1 if outcome.retrain_started else 0
    )
    if outcome.duplicate_delivery:
        metrics.add_metric(name="DuplicateDeliveries", unit=MetricUnit.Count, value=1)

    if report.get("monitor"):
        for name, value in metric_names(report).items():
            metrics.add_metric(name=name, unit=MetricUnit.NoUnit, value=value)
    namespace = getattr(metrics, "namespace", None)
    service = getattr(metrics, "service", None)
    for feature in report.get("features") or []:
        name = str(feature.get("name"))
        statistic = _number(feature.get("statistic"))
        if statistic is not None:
            _feature_metric("FeatureDriftStatistic", MetricUnit.NoUnit, statistic, name, namespace, service)
        effect = _number(feature.get("effect_size"))
        if effect is not None:
            _feature_metric("FeatureEffectSize", MetricUnit.NoUnit, effect, name, namespace, service)
