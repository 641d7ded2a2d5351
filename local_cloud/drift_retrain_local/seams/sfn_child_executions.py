"""Step Functions' own optimized integration, ``arn:aws:states:::states:startExecution.sync:2``, as on AWS.

The retraining workflow starts each long phase as a child state machine and waits for it. moto 5.2.5's
``StateTaskServiceSfn`` implements the ``.sync`` and ``.sync:2`` patterns, but sends and reads the wrong
names: it calls the boto3 client with the definition's ``StateMachineArn``, ``Name`` and ``Input``
(``parameter_validation=False`` drops them, and the start fails), reads ``ExecutionArn`` from a response
that says ``executionArn``, and returns the child's description with camelCase members where AWS
returns ``ExecutionArn``, ``Output``, ``Status``, ``Error``, ``Cause``... (PascalCase, also in the cause
of the ``States.TaskFailed`` a failed child raises).

Here the class gets the aws-sdk tasks' two hooks (:mod:`.sfn_parameters`): parameter names are matched to
the operation's members (after moto's own step, which turns ``Input`` into a JSON string), and responses
(StartExecution's, and DescribeExecution's at the child's end) get AWS's PascalCase names and ISO 8601
times. moto also polls the child every 0.5 real seconds; here every 0.05, so a phase's end is seen at once.

``check()`` fails loudly (``MotoHookMovedError``) when a hooked symbol moved or changed.
"""

from __future__ import annotations

import threading
from typing import Any

from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.seams import sfn_parameters
from drift_retrain_local.seams.lookup import attribute, module, source

__all__ = ["POLL_SECONDS", "check", "install", "installed", "uninstall"]

_SERVICE = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service"
_SFN = f"{_SERVICE}.state_task_service_sfn"
_CALLBACK = f"{_SERVICE}.state_task_service_callback"
_POLL = "_DELAY_SECONDS_SYNC_CONDITION_CHECK"
#: Real seconds between two looks at a running child execution.
POLL_SECONDS = 0.05

_lock = threading.Lock()
_originals: dict[str, Any] = {}


def _sfn_class() -> Any:
    return attribute(_SFN, "StateTaskServiceSfn")


def check() -> None:
    sfn = _sfn_class()
    own = vars(sfn).get("_normalise_parameters")
    if own is None and "_normalise_parameters" not in _originals:
        raise MotoHookMovedError(
            "moto's StateTaskServiceSfn no longer encodes Input in _normalise_parameters"
        )
    response = vars(sfn).get("_normalise_response")
    if response is not None and response is not _normalise_response:
        raise MotoHookMovedError("moto now has StateTaskServiceSfn._normalise_response: drop this seam")
    for name in ("_build_sync2_resolver", "_eval_service_task"):
        if not callable(vars(sfn).get(name)):
            raise MotoHookMovedError(f"moto's StateTaskServiceSfn.{name} is gone")
    if 'submission_output["ExecutionArn"]' not in source(sfn._build_sync2_resolver):
        raise MotoHookMovedError("StateTaskServiceSfn._build_sync2_resolver no longer reads ExecutionArn")
    if not isinstance(getattr(module(_CALLBACK), _POLL, None), int | float):
        raise MotoHookMovedError(f"{_CALLBACK}.{_POLL} is gone")


def install() -> None:
    """Give moto's ``states:startExecution`` tasks AWS's names, and poll children quickly."""
    check()
    with _lock:
        if _originals:
            return
        sfn = _sfn_class()
        original = vars(sfn)["_normalise_parameters"]
        _originals["_normalise_parameters"] = original
        _originals[_POLL] = getattr(module(_CALLBACK), _POLL)

        def _normalise_parameters(self, parameters, boto_service_name=None, service_action_name=None):
            original(self, parameters, boto_service_name, service_action_name)
            sfn_parameters._normalise_parameters(self, parameters, boto_service_name, service_action_name)

        sfn._normalise_parameters = _normalise_parameters
        sfn._normalise_response = _normalise_response
        setattr(module(_CALLBACK), _POLL, POLL_SECONDS)


def uninstall() -> None:
    """Restore moto's own (idempotent)."""
    with _lock:
        if not _originals:
            return
        sfn = _sfn_class()
        sfn._normalise_parameters = _originals.pop("_normalise_parameters")
        if "_normalise_response" in vars(sfn):
            delattr(sfn, "_normalise_response")
        setattr(module(_CALLBACK), _POLL, _originals.pop(_POLL))


def installed() -> bool:
    return bool(_originals)


def _normalise_response(
    self: Any, response: Any, boto_service_name: str | None = None, service_action_name: str | None = None
) -> None:
    """The response of the action the task calls, or of ``service_action_name`` (``describe_execution``,
    read at the child's end), with AWS's PascalCase names."""
    action = (service_action_name or self.resource.api_action).replace("_", "")
    operation = sfn_parameters._operation(self._get_boto_service_name(boto_service_name), action)
    if operation is not None and isinstance(response, dict):
        converted = sfn_parameters._to_pascal(response, operation.output_shape)
        response.clear()
        response.update(converted)
