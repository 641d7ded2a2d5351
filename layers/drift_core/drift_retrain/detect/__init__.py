"""DetectDrift: check each batch landing under ``incoming/`` and start a retrain when accuracy was lost.

``service.process_object`` is the whole of it (the handler only parses the event); ``context`` holds its
settings and outcome, ``messages`` the notification text, ``telemetry`` the metrics.
"""

from drift_retrain.detect.context import (
    DetectSettings,
    Outcome,
    Status,
    retrain_input,
    retrain_record,
)
from drift_retrain.detect.service import process_object
from drift_retrain.detect.telemetry import record_metrics

__all__ = [
    "DetectSettings",
    "Outcome",
    "Status",
    "process_object",
    "record_metrics",
    "retrain_input",
    "retrain_record",
]
