"""Notify: publish a run summary (what drifted, metrics, decision, links) to the SNS topic.

Called by the state machine with ``{"outcome": "promoted"|"promoted_incomplete"|"rejected"|"failed"|"skipped",
"execution_arn",
"state": $}``. Formatting is ``drift_retrain.workflow.notify.notification.format_message``; publishing is
the drift engine's ``drift_retrain.aws.notifications.notify``.
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
from drift_retrain.aws.notifications import notify
from drift_retrain.reports.links import link_expiry, report_links
from drift_retrain.settings.lambda_env import settings_environ
from drift_retrain.workflow.notify.notification import format_message
from drift_retrain.workflow.shared.events import NotifyEvent

logger = Logger()
tracer = Tracer()
metrics = Metrics()
copy_config_to_registered_loggers(source_logger=logger, include={"drift_retrain"})

#: boto3 clients, created on first use and reused while the execution environment stays warm.
clients = LazyClients()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=NotifyEvent)
def lambda_handler(event: NotifyEvent, context: LambdaContext) -> dict[str, Any]:
    message = format_message(
        event.outcome,
        event.state,
        execution_arn=event.execution_arn,
        region=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        make_links=_link_maker(),
    )
    logger.info("run summary", extra={"outcome": message.outcome, "subject": message.subject})
    message_id = notify(clients.sns, os.environ.get("TOPIC_ARN"), message.subject, message.body)
    name = "Retrain" + "".join(
        word.capitalize() for word in message.outcome.split("_")
    )  # RetrainPromotedIncomplete
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    return {"outcome": message.outcome, "subject": message.subject, "message_id": message_id}


def _link_maker() -> Any:
    """Console links always; a pre-signed one too when REPORT_LINK_EXPIRY_SECONDS > 0."""
    expiry = link_expiry(settings_environ(os.environ))
    if not expiry:
        return None
    return lambda bucket, key: report_links(clients.s3, bucket, key, expiry=expiry)
