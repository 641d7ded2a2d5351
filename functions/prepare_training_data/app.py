"""PrepareTrainingData: the training window, split and CSV channels of one retraining execution.

Called by the state machine first with ``{"action": "verify_trigger", "execution_name", "execution_input"}``
(``drift_retrain.workflow.prepare_training_data.trigger``: the trigger from DetectDrift's drift report,
before the lock), then with ``{"execution_name", "execution_arn", "execution_start", "trigger"}``; returns
``$.data`` (job names, S3 URIs, hyperparameters). The work is done by
``drift_retrain.workflow.prepare_training_data.preparation.prepare_training_data`` in the drift_core
layer, after ``drift_retrain.workflow.prepare_training_data.champion_check.check_champion`` (is the
serving variant the alarms' one, can the champion's role score it). Bad input raises a named error
(``EmptyTrainingWindowError``, ``BaselineNotFoundError``, ``ChampionVariantMismatchError``...) that the
state machine catches; nothing is deleted.
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
from drift_retrain.aws.storage import json_safe
from drift_retrain.settings.lambda_env import settings_environ
from drift_retrain.workflow.prepare_training_data.champion_check import ChampionCheckSettings, check_champion
from drift_retrain.workflow.prepare_training_data.preparation import prepare_training_data
from drift_retrain.workflow.prepare_training_data.retrain_run import PrepareSettings
from drift_retrain.workflow.prepare_training_data.trigger import (
    VERIFY_TRIGGER,
    TriggerSettings,
    verify_trigger,
)
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
    if event.action == VERIFY_TRIGGER:  # the run's first step, before the lock
        return json_safe(
            verify_trigger(
                clients.s3, TriggerSettings.from_env(settings_environ(os.environ)), event.raw_event
            )
        )
    check = ChampionCheckSettings.from_env(settings_environ(os.environ))
    if check is not None:
        logger.info(
            "champion checked", extra={"champion": check_champion(clients.sagemaker, clients.iam, check)}
        )
    result = prepare_training_data(
        clients.s3, PrepareSettings.from_env(settings_environ(os.environ)), event.raw_event
    )
    metrics.add_metric(name="TrainingRows", unit=MetricUnit.Count, value=result["rows"]["train"])
    metrics.add_metric(name="HeldOutRows", unit=MetricUnit.Count, value=result["rows"]["test"])
    metrics.add_metric(name="WindowBatches", unit=MetricUnit.Count, value=result["batches"])
    return json_safe(result)
