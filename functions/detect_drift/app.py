"""DetectDrift: check each CSV batch landing under ``incoming/`` for drift, and retrain when it matters.

Triggered by the S3 "Object Created" EventBridge event. The work is done by
``drift_retrain.detect.service.process_object`` in the drift_core layer; this module only parses the
event, wires logging, tracing and metrics, and returns the outcome. Bad input never raises (a raised error
would make Lambda retry a file that will never get better); transient AWS errors do, and are retried.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.data_classes import S3EventBridgeNotificationEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from drift_retrain.detect import DetectSettings, LazyClients, process_object, record_metrics

logger = Logger()
tracer = Tracer()
metrics = Metrics()
copy_config_to_registered_loggers(source_logger=logger, include={"drift_retrain"})

#: boto3 clients, created on first use and reused while the execution environment stays warm.
clients = LazyClients()


@logger.inject_lambda_context(log_event=False, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=S3EventBridgeNotificationEvent)
def lambda_handler(event: S3EventBridgeNotificationEvent, context: LambdaContext) -> dict[str, Any]:
    detail = event.detail
    obj = detail.object.raw_event
    # The key as received (Powertools' ``object.key`` would unquote_plus it): whether it is URL-encoded is
    # not settled, so the layer looks up both forms (drift_retrain.aws.objects.resolve_event_key).
    logger.append_keys(bucket=detail.bucket.name, key=obj["key"], reason=detail.reason)
    outcome = process_object(
        clients,
        DetectSettings.from_env(os.environ),
        bucket=detail.bucket.name,
        key=obj["key"],
        version_id=obj.get("version-id"),
        etag=obj.get("etag"),
        size=obj.get("size"),
    )
    record_metrics(metrics, outcome)
    return outcome.to_response()
