"""Step Functions adapter: start the retraining workflow once per S3 object revision.

The execution name is derived from bucket, key and version id / ETag
(:func:`drift_retrain.aws.naming.execution_name_for`), so a second delivery of the same S3 event cannot
start a second run:

* the execution already exists (running, finished or failed) -> StartExecution raises
  ``ExecutionAlreadyExists``, which is a duplicate delivery, not an error;
* the execution is still running and the input is identical -> StartExecution is idempotent on Standard
  workflows and returns the existing execution without an error. To tell that case apart (and count it
  as a duplicate), :func:`start_execution` first asks ``DescribeExecution`` for the deterministic ARN.
  This needs ``states:DescribeExecution`` on the state machine's executions; without it the check is
  skipped and only ``ExecutionAlreadyExists`` is counted.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from drift_retrain import strict_json
from drift_retrain.aws.exceptions import ExecutionStartError, client_error_code, client_error_message
from drift_retrain.aws.naming import execution_name_for

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient
else:
    SFNClient = Any

__all__ = ["ExecutionStart", "execution_arn_for", "execution_name_for", "start_execution"]

logger = logging.getLogger(__name__)

_DENIED = frozenset({"AccessDeniedException", "AccessDenied"})


@dataclass(frozen=True)
class ExecutionStart:
    """Outcome of :func:`start_execution`.

    ``duplicate`` is true when the execution existed before this call (a repeated S3 event).
    """

    name: str
    execution_arn: str
    duplicate: bool

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "execution_arn": self.execution_arn, "duplicate": self.duplicate}


def execution_arn_for(state_machine_arn: str, name: str) -> str:
    """ARN of execution ``name`` of a state machine (``...:stateMachine:SM`` -> ``...:execution:SM:name``)."""
    prefix, marker, machine = state_machine_arn.partition(":stateMachine:")
    if not marker:
        raise ValueError(f"not a state machine ARN: {state_machine_arn!r}")
    return f"{prefix}:execution:{machine.split(':')[0]}:{name}"


def _exists(sfn: SFNClient, arn: str) -> bool:
    try:
        sfn.describe_execution(executionArn=arn)
    except ClientError as error:
        code = client_error_code(error)
        if code == "ExecutionDoesNotExist":
            return False
        if code in _DENIED:
            logger.warning("DescribeExecution denied; duplicate detection relies on ExecutionAlreadyExists")
            return False
        raise ExecutionStartError(
            f"DescribeExecution {arn} failed: {code} {client_error_message(error)}", code=code or None
        ) from error
    return True


def start_execution(
    sfn: SFNClient, state_machine_arn: str, name: str, payload: Mapping[str, Any]
) -> ExecutionStart:
    """Start execution ``name`` with ``payload`` as input, treating an existing one as a duplicate.

    Parameters
    ----------
    sfn : SFNClient
        boto3 Step Functions client.
    state_machine_arn : str
        The retraining workflow.
    name : str
        Deterministic execution name (see :func:`execution_name_for`).
    payload : Mapping
        Execution input (serialized as JSON).

    Returns
    -------
    ExecutionStart
        The execution's ARN and whether it already existed.

    Raises
    ------
    ExecutionStartError
        Any other Step Functions error (missing state machine, invalid input, throttling...).
    """
    arn = execution_arn_for(state_machine_arn, name)
    if _exists(sfn, arn):
        logger.info("Execution %s already exists: duplicate delivery", name)
        return ExecutionStart(name=name, execution_arn=arn, duplicate=True)
    try:
        response = sfn.start_execution(
            stateMachineArn=state_machine_arn,
            name=name,
            input=strict_json.dumps(payload, indent=None, sort_keys=True),
        )
    except ClientError as error:
        code = client_error_code(error)
        if code == "ExecutionAlreadyExists":
            logger.info("Execution %s already exists: duplicate delivery", name)
            return ExecutionStart(name=name, execution_arn=arn, duplicate=True)
        raise ExecutionStartError(
            f"StartExecution {name} on {state_machine_arn} failed: {code} {client_error_message(error)}",
            code=code or None,
        ) from error
    return ExecutionStart(name=name, execution_arn=response["executionArn"], duplicate=False)
