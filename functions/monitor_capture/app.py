"""MonitorCapture: Data Capture and ground-truth files in, monitoring windows out (for DetectDrift).

Triggered by S3 "Object Created" (EventBridge, read as Powertools' ``S3EventBridgeNotificationEvent``) on
``capture/`` and ``ground-truth/``, and by a schedule rule (``"detail-type": "Scheduled Event"``) that
closes windows gone quiet. The work is done by
``drift_retrain.monitor.service`` in the drift_core layer; this module parses the event, wires logging,
tracing and metrics, and returns the outcome. Transient AWS errors raise (Lambda retries, then the
failure queue); bad capture records never do (they are quarantined with their reasons).
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.data_classes import S3EventBridgeNotificationEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from drift_retrain.aws.clients import LazyClients
from drift_retrain.detect.events import ObjectCreated, for_each_object_created, is_scheduled_event
from drift_retrain.monitor.service import process_object, tick
from drift_retrain.monitor.settings import MonitorSettings
from drift_retrain.monitor.telemetry import record_monitor_metrics
from drift_retrain.settings.lambda_env import settings_environ

logger = Logger()
tracer = Tracer()
metrics = Metrics()
copy_config_to_registered_loggers(source_logger=logger, include={"drift_retrain"})

#: boto3 clients, created on first use and reused while the execution environment stays warm.
clients = LazyClients()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=S3EventBridgeNotificationEvent)
def lambda_handler(event: S3EventBridgeNotificationEvent, context: LambdaContext) -> dict[str, Any]:
    settings = MonitorSettings.from_env(settings_environ(os.environ))
    if is_scheduled_event(event):
        outcome = tick(clients, settings)
        record_monitor_metrics(metrics, outcome)
        return outcome.to_response()

    def add(created: ObjectCreated) -> dict[str, Any]:
        logger.append_keys(bucket=created.bucket, key=created.key)
        outcome = process_object(clients, settings, **created.revision)
        record_monitor_metrics(metrics, outcome)
        return outcome.to_response()

    return for_each_object_created(event, add)
