"""CloudWatch metrics of one MonitorCapture outcome (Powertools Metrics, Embedded Metric Format).

=====================  ======  ================================================================
Metric                 Unit    When
=====================  ======  ================================================================
CapturedRows           Count   a capture file was read (its good rows)
BadCaptureRecords      Count   a capture or ground-truth file was read (records quarantined)
GroundTruthLabels      Count   a ground-truth file was read (its labels)
StreamRows             Count   a data stream's object was read (its rows)
StreamBatches          Count   every event and tick (data-stream windows written under incoming/)
DuplicateObjects       Count   the object had been ingested before (nothing added)
WindowsClosed          Count   every event and tick (windows this call closed)
LabelledWindows        Count   every event and tick (labelled window batches written)
=====================  ======  ================================================================
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from drift_retrain.monitor.service import MonitorOutcome

__all__ = ["record_monitor_metrics"]


def record_monitor_metrics(metrics: Any, outcome: MonitorOutcome) -> None:
    if outcome.duplicate:
        metrics.add_metric(name="DuplicateObjects", unit=MetricUnit.Count, value=1)
    elif outcome.status == "capture":
        metrics.add_metric(name="CapturedRows", unit=MetricUnit.Count, value=outcome.rows)
    elif outcome.status == "ground_truth":
        metrics.add_metric(name="GroundTruthLabels", unit=MetricUnit.Count, value=outcome.rows)
    elif outcome.status == "stream":
        metrics.add_metric(name="StreamRows", unit=MetricUnit.Count, value=outcome.rows)
    if outcome.status in ("capture", "ground_truth") and not outcome.duplicate:
        metrics.add_metric(
            name="BadCaptureRecords", unit=MetricUnit.Count, value=sum(outcome.bad_records.values())
        )
    metrics.add_metric(name="WindowsClosed", unit=MetricUnit.Count, value=len(outcome.windows_closed))
    metrics.add_metric(name="LabelledWindows", unit=MetricUnit.Count, value=len(outcome.labelled_written))
    metrics.add_metric(name="StreamBatches", unit=MetricUnit.Count, value=len(outcome.batches_written))
