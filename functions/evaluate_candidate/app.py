"""EvaluateCandidate: compare candidate and champion on the same held-out rows and decide.

Called by the state machine with ``{"execution_name", "execution_arn", "trigger", "data", "transforms",
"champion"}`` (the verified trigger only names the drift report the page links back to);
returns ``$.evaluation`` (``promote``, ``decision``, ``reasons``, metrics, report location). The work is
done by ``drift_retrain.workflow.evaluate_candidate.evaluation.evaluate_candidate``. A missing transform
output or outputs that do not line up raise ``TransformOutputMissingError`` /
``PredictionCountMismatchError`` / ``LabelMismatchError`` for the state machine to catch.
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
from drift_retrain.workflow.evaluate_candidate.evaluation import EvaluationSettings, evaluate_candidate
from drift_retrain.workflow.shared.events import TaskEvent
from drift_retrain.workflow.shared.exceptions import WorkflowInputError

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
    bucket = os.environ.get("DATA_BUCKET", "").strip()
    if not bucket:
        raise WorkflowInputError("DATA_BUCKET is not set")
    result = evaluate_candidate(
        clients.s3, bucket, EvaluationSettings.from_env(settings_environ(os.environ)), event.raw_event
    )
    metrics.add_metadata(key="decision", value=result["decision"])
    metrics.add_metric(
        name="CandidatePromoted" if result["promote"] else "CandidateRejected", unit=MetricUnit.Count, value=1
    )
    return json_safe(result)
