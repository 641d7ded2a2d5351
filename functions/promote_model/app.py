"""PromoteModel: new baseline profile, model registry entry, lineage record, cleanup of old versions.

Called by the state machine once the endpoint is InService on the candidate's config. The work is done by
``drift_retrain.workflow.promote_model.promotion.promote_model``; a registry failure raises
``RegistryError`` after the profile and lineage are written (the endpoint already serves the new model).
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
from drift_retrain.settings.lambda_env import settings_environ
from drift_retrain.workflow.promote_model.promotion import PromoteSettings, promote_model
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
    logger.append_keys(execution=event.execution_name)
    result = promote_model(
        clients.s3, clients.sagemaker, PromoteSettings.from_env(settings_environ(os.environ)), event.raw_event
    )
    metrics.add_metric(name="ModelsPromoted", unit=MetricUnit.Count, value=1)
    cleanup = result.get("cleanup") or {}
    metrics.add_metric(
        name="OldVersionsDeleted",
        unit=MetricUnit.Count,
        value=len(cleanup.get("deleted_configs", [])) + len(cleanup.get("deleted_models", [])),
    )
    return result
