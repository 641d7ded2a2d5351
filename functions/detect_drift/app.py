"""DetectDrift: check each CSV batch landing under ``incoming/`` for drift, and retrain when it matters.

Triggered by the S3 "Object Created" EventBridge event, read as Powertools' ``S3EventBridgeNotificationEvent``
(an S3 notification's ``Records`` work too: ``drift_retrain.detect.events``). The work is done by ``drift_retrain.detect.service.process_object`` in
the drift_core layer; this module only parses the event, wires logging, tracing and metrics, and returns
the outcome. Bad input never raises (a raised error would make Lambda retry a file that will never get
better); transient AWS errors do, and are retried, and so does an event of an unknown shape
(``EventShapeError``, naming the shapes it expects).
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.data_classes import S3EventBridgeNotificationEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from drift_retrain.aws.clients import LazyClients
from drift_retrain.detect import DetectSettings, process_object, record_metrics
from drift_retrain.detect.events import ObjectCreated, for_each_object_created
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
    settings = DetectSettings.from_env(settings_environ(os.environ))

    def check(created: ObjectCreated) -> dict[str, Any]:
        logger.append_keys(bucket=created.bucket, key=created.key, reason=created.reason)
        outcome = process_object(clients, settings, **created.revision)
        record_metrics(metrics, outcome)
        return outcome.to_response()

    return for_each_object_created(event, check)
