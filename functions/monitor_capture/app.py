"""MonitorCapture: Data Capture and ground-truth files in, monitoring windows out (for DetectDrift).

Triggered by S3 "Object Created" (EventBridge) on ``capture/`` and ``ground-truth/``, and by a schedule
rule (``"detail-type": "Scheduled Event"``) that closes windows gone quiet. The work is done by
``drift_retrain.monitor.service`` in the drift_core layer; this module parses the event, wires logging,
tracing and metrics, and returns the outcome. Transient AWS errors raise (Lambda retries, then the
failure queue); bad capture records never do (they are quarantined with their reasons).
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

from drift_retrain.aws.clients import LazyClients
from drift_retrain.detect.events import objects_created
from drift_retrain.monitor.service import process_object, tick
from drift_retrain.monitor.settings import MonitorSettings
from drift_retrain.monitor.telemetry import record_monitor_metrics

logger = Logger()
tracer = Tracer()
metrics = Metrics()
copy_config_to_registered_loggers(source_logger=logger, include={"drift_retrain"})

#: boto3 clients, created on first use and reused while the execution environment stays warm.
clients = LazyClients()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = MonitorSettings.from_env(os.environ)
    if isinstance(event, dict) and event.get("detail-type") == "Scheduled Event":
        outcome = tick(clients, settings)
        record_monitor_metrics(metrics, outcome)
        return outcome.to_response()
    responses = []
    for created in objects_created(event):
        logger.append_keys(bucket=created.bucket, key=created.key)
        outcome = process_object(
            clients,
            settings,
            bucket=created.bucket,
            key=created.key,
            version_id=created.version_id,
            etag=created.etag,
            size=created.size,
        )
        record_monitor_metrics(metrics, outcome)
        responses.append(outcome.to_response())
    return responses[0] if len(responses) == 1 else {"status": "records", "outcomes": responses}
