"""SummarisePart: one child of the partition check's Distributed Map; summarises one part of a partition.

Called by ``statemachine/check-partition.asl.json`` with ``{"part": {"index", "key", "etag", "size"},
"batch": {...}, "champion_variant"}``; the work is ``drift_retrain.partition_check.summarise_part``. A bad
part is returned (its reason code), not raised; anything else raises, and the map retries the child.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from drift_retrain.aws.clients import LazyClients
from drift_retrain.detect import DetectSettings
from drift_retrain.partition_check import summarise_part
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
    part = event.raw_event["part"]
    logger.append_keys(batch_id=event.raw_event["batch"]["batch_id"], key=part["key"])
    result = summarise_part(clients, DetectSettings.from_env(settings_environ(os.environ)), event.raw_event)
    metrics.add_metric(
        name="PartBad" if "invalid" in result else "PartSummarised", unit=MetricUnit.Count, value=1
    )
    return result
