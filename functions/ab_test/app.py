"""AbTest: open the A/B record with the waiting task's token (``start``), close it on every path (``finish``).

Called by the state machine: ``start`` as the ``lambda:invoke.waitForTaskToken`` task once the endpoint
serves champion and candidate, ``finish`` after the decision. The work is
``drift_retrain.workflow.ab_test.service.handle``.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.data_classes import event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from drift_retrain.aws.clients import LazyClients
from drift_retrain.workflow.ab_test.service import AbTestSettings, handle
from drift_retrain.workflow.shared.events import TaskEvent

logger = Logger()
tracer = Tracer()
copy_config_to_registered_loggers(source_logger=logger, include={"drift_retrain"})

#: boto3 clients, created on first use and reused while the execution environment stays warm.
clients = LazyClients()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@event_source(data_class=TaskEvent)
def lambda_handler(event: TaskEvent, context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(action=event.action, execution=event.execution_arn)
    return handle(clients.s3, AbTestSettings.from_env(os.environ), event.raw_event)
