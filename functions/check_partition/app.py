"""CheckPartition: the partition check's reduce step; merges the parts' summaries, checks once, decides.

Called by ``statemachine/check-partition.asl.json`` with ``{"action": "reduce", "batch", "results"}``
(``results``: the map's ``ResultWriterDetails``) or ``{"action": "record_failure", "batch", "error"}``
when the map failed as a whole. The work is ``drift_retrain.partition_check``; deciding (the report, the
retrain, the notice) is DetectDrift's own code (``drift_retrain.detect.actions``).
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from drift_retrain.aws.clients import LazyClients
from drift_retrain.detect import DetectSettings, record_metrics
from drift_retrain.partition_check import record_failed_check, reduce_partition
from drift_retrain.settings.lambda_env import settings_environ
from drift_retrain.workflow.shared.events import TaskEvent

logger = Logger()
tracer = Tracer()
metrics = Metrics()
copy_config_to_registered_loggers(source_logger=logger, include={"drift_retrain"})

#: boto3 clients, created on first use and reused while the execution environment stays warm.
clients = LazyClients()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=TaskEvent)
def lambda_handler(event: TaskEvent, context: LambdaContext) -> dict[str, Any]:
    settings = DetectSettings.from_env(settings_environ(os.environ))
    logger.append_keys(batch_id=event.raw_event["batch"]["batch_id"], action=event.action)
    if event.action == "record_failure":
        outcome = record_failed_check(clients, settings, event.raw_event)
    else:
        outcome = reduce_partition(clients, settings, event.raw_event)
    record_metrics(metrics, outcome)
    return outcome.to_response()
