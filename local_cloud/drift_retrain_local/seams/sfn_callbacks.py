"""Task tokens (``.waitForTaskToken``) in moto 5.2.5's ASL interpreter, made to answer as AWS does.

moto's interpreter has callbacks (``state_task_service_callback.py``: a ``CallbackEndpoint`` per
``$$.Task.Token``, waited for with ``HeartbeatSeconds`` and ``TimeoutSeconds``) and SendTaskSuccess /
Failure / Heartbeat. What it gets wrong, and what this module does about it:

- ``StepFunctionResponse.send_task_failure`` drops ``cause``: replaced by one that passes it on, so a
  Catch sees the ``Cause`` the sender gave;
- a missed heartbeat is ``States.Timeout`` (``StateTask._from_error`` names every ``TimeoutError`` so):
  ``StateTaskServiceCallback._from_error`` is wrapped to name ``HeartbeatTimeoutError``
  ``States.HeartbeatTimeout``, as AWS does;
- a token whose task has ended (completed, failed, timed out, or its execution over) is accepted again
  (the second outcome silently replaces the first while the task runs) or called ``InvalidToken`` once
  the execution is over; a task without ``HeartbeatSeconds`` refuses heartbeats. The parser backend's
  ``send_task_success`` / ``send_task_failure`` / ``send_task_heartbeat`` are replaced: a token whose
  task ended raises ``TaskTimedOut`` ("Provided task does not exist anymore", AWS's wording), a token no
  execution ever issued raises ``InvalidToken``, an output that is not JSON raises ``InvalidOutput``,
  and a heartbeat on an open task is accepted. One lock makes "still open? then complete" atomic, so of
  two racing completions exactly one wins;
- a retried task keeps its first attempt's token (AWS issues one per attempt): each attempt
  (``ExecutionState._evaluate_with_timeout``, wrapped for the callback services only) gets a new token
  when the previous one is closed, and closes its token when it ends, however it ends (its
  ``TimeoutSeconds`` included, while moto's waiting thread may still be asleep).

``check()`` fails loudly (``MotoHookMovedError``) when a hooked symbol moved or changed;
``tests/local_cloud/seams/test_sfn_task_tokens.py`` exercises every case with tiny state machines.
"""

from __future__ import annotations

import functools
import inspect
import json
import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.seams.lookup import attribute as _attribute
from drift_retrain_local.seams.lookup import module as _module
from drift_retrain_local.seams.lookup import source

__all__ = ["check", "install", "installed", "uninstall"]

_PARSER = "moto.stepfunctions.parser"
_CALLBACK_SERVICE = f"{_PARSER}.asl.component.state.exec.state_task.service.state_task_service_callback"
_ENDED = "Task Timed Out: 'Provided task does not exist anymore'"

_lock = threading.Lock()  # install / uninstall
_settle_lock = threading.Lock()  # "is the task still open?" + its completion, atomically
_saved: list[tuple[Any, str, Any]] = []
_MISSING = object()


@functools.cache
def _moto() -> SimpleNamespace:
    errors = f"{_PARSER}.asl.component.common.error_name"
    return SimpleNamespace(
        backend=_attribute(f"{_PARSER}.models", "StepFunctionsParserBackend"),
        response=_attribute("moto.stepfunctions.responses", "StepFunctionResponse"),
        service=_attribute(_CALLBACK_SERVICE, "StateTaskServiceCallback"),
        execute_state=_attribute(f"{_PARSER}.asl.component.state.exec.execute_state", "ExecutionState"),
        callback=_module(f"{_PARSER}.asl.eval.callback.callback"),
        api=_module(f"{_PARSER}.api"),
        failure=_module(f"{errors}.failure_event"),
        states_name=_attribute(f"{errors}.states_error_name", "StatesErrorName"),
        states_type=_attribute(f"{errors}.states_error_name_type", "StatesErrorNameType"),
        details=_attribute(f"{_PARSER}.asl.eval.event.event_detail", "EventDetails"),
        empty=_attribute("moto.core.responses", "EmptyResult"),
        aws_error=_attribute("moto.core.exceptions", "AWSError"),
    )


def _refusal(code: str, message: str) -> Exception:
    """A Step Functions API error as the wire carries it (moto's parser exceptions lose their code)."""
    return _moto().aws_error(message, exception_type=code, status=400)


# ============================================================================================== check
def check() -> None:
    """Verify that moto 5.2.5's callback machinery is where and what this module relies on."""
    moto = _moto()
    for name in ("send_task_success", "send_task_failure", "send_task_heartbeat", "_get_executions"):
        if not callable(getattr(moto.backend, name, None)):
            raise MotoHookMovedError(f"StepFunctionsParserBackend.{name} is gone")
    response_source = source(_original_of(moto.response, "send_task_failure"))
    if "cause" in response_source:
        raise MotoHookMovedError("moto's send_task_failure response now passes cause: drop that patch")
    pattern = _original_of(moto.service, "_eval_integration_pattern")
    parameters = [p for p in inspect.signature(pattern).parameters if p != "self"]
    if parameters != ["env", "resource_runtime_part", "normalised_parameters", "state_credentials"]:
        raise MotoHookMovedError(f"_eval_integration_pattern has a new signature: {parameters}")
    if "callback_pool_manager.get(callback_id)" not in source(pattern):
        raise MotoHookMovedError("_eval_integration_pattern no longer takes its endpoint from the pool")
    attempt = moto.execute_state._evaluate_with_timeout
    if list(inspect.signature(attempt).parameters) != ["self", "env"]:
        raise MotoHookMovedError("ExecutionState._evaluate_with_timeout has a new signature")
    if "self._evaluate_with_timeout(env)" not in source(moto.execute_state._eval_state):
        raise MotoHookMovedError(
            "ExecutionState._eval_state no longer runs each attempt in _evaluate_with_timeout"
        )
    if "update_task_token()" not in source(_original_of(moto.service, "_eval_body")):
        raise MotoHookMovedError("StateTaskServiceCallback._eval_body no longer issues the task token")
    endpoint = moto.callback.CallbackEndpoint
    for name in ("notify", "notify_heartbeat", "get_outcome", "report"):
        if not callable(getattr(endpoint, name, None)):
            raise MotoHookMovedError(f"CallbackEndpoint.{name} is gone")
    for name in ("CallbackOutcomeSuccess", "CallbackOutcomeFailure", "CallbackConsumerTimeout"):
        if not hasattr(moto.callback, name):
            raise MotoHookMovedError(f"moto's callback module has no {name}")
    if not hasattr(moto.states_type, "StatesHeartbeatTimeout"):
        raise MotoHookMovedError("StatesErrorNameType.StatesHeartbeatTimeout is gone")
    if list(inspect.signature(moto.aws_error).parameters) != ["message", "exception_type", "status"]:
        raise MotoHookMovedError("moto.core.exceptions.AWSError has a new signature")


def _original_of(owner: type, name: str) -> Any:
    """``owner.name`` as moto has it (the saved original once installed)."""
    for saved_owner, attribute, original in _saved:
        if saved_owner is owner and attribute == name and original is not _MISSING:
            return original
    return vars(owner).get(name) or getattr(owner, name)


# ======================================================================================= install
def install() -> None:
    """Make task tokens answer as on AWS (see the module docstring)."""
    check()
    with _lock:
        if _saved:
            return
        moto = _moto()
        _patch(moto.response, "send_task_failure", _response_send_task_failure)
        _patch(moto.backend, "send_task_success", _send_task_success)
        _patch(moto.backend, "send_task_failure", _send_task_failure)
        _patch(moto.backend, "send_task_heartbeat", _send_task_heartbeat)
        _patch(
            moto.service,
            "_evaluate_with_timeout",
            _token_per_attempt(moto.execute_state._evaluate_with_timeout),
        )
        _patch(moto.service, "_from_error", _heartbeat_named(moto.service._from_error))


def uninstall() -> None:
    """Put every patched symbol back (idempotent)."""
    with _lock:
        while _saved:
            owner, attribute, original = _saved.pop()
            if original is _MISSING:
                delattr(owner, attribute)
            else:
                setattr(owner, attribute, original)


def installed() -> bool:
    return bool(_saved)


def _patch(owner: type, attribute: str, value: Any) -> None:
    _saved.append((owner, attribute, vars(owner).get(attribute, _MISSING)))
    setattr(owner, attribute, value)


# ============================================================================= the interpreter side
def _token_per_attempt(original: Callable[..., Any]) -> Callable[..., Any]:
    """Each attempt of a callback task has a token of its own, closed when the attempt ends."""

    @functools.wraps(original)
    def patched(self: Any, env: Any) -> Any:
        context = env.states.context_object
        token = (context.context_object_data.get("Task") or {}).get("Token")
        endpoint = env.callback_pool_manager.get(token) if token else None
        if endpoint is not None and _closed(endpoint):  # a retry
            endpoint = env.callback_pool_manager.add(context.update_task_token())
        try:
            return original(self, env)
        finally:
            if endpoint is not None:
                with _settle_lock:
                    endpoint.report(_moto().callback.CallbackConsumerTimeout())

    return patched


def _closed(endpoint: Any) -> bool:
    return endpoint.consumer_error is not None or endpoint.get_outcome() is not None


def _heartbeat_named(original: Callable[..., Any]) -> Callable[..., Any]:
    """A missed heartbeat is ``States.HeartbeatTimeout`` (moto: ``States.Timeout``)."""

    @functools.wraps(original)
    def patched(self: Any, env: Any, ex: Exception) -> Any:
        moto = _moto()
        if not isinstance(ex, moto.callback.HeartbeatTimeoutError):
            return original(self, env, ex)
        typ = moto.states_type.StatesHeartbeatTimeout
        return moto.failure.FailureEvent(
            env=env,
            error_name=moto.states_name(typ=typ),
            event_type=moto.api.HistoryEventType.TaskTimedOut,
            event_details=moto.details(
                taskTimedOutEventDetails=moto.api.TaskTimedOutEventDetails(
                    resourceType=self._get_sfn_resource_type(),
                    resource=self._get_sfn_resource(),
                    error=typ.to_name(),
                )
            ),
        )

    return patched


# ================================================================================ the API side
def _open_endpoint(backend: Any, token: str) -> Any:
    """The callback endpoint of an open task; InvalidToken / TaskTimedOut as AWS (call under the lock)."""
    api = _moto().api
    for execution in backend._get_executions():
        worker = getattr(execution, "exec_worker", None)
        endpoint = worker.env.callback_pool_manager.get(token) if worker is not None else None
        if endpoint is None:
            continue
        if _closed(endpoint) or execution.status != api.ExecutionStatus.RUNNING:
            raise _refusal("TaskTimedOut", _ENDED)
        return endpoint
    raise _refusal("InvalidToken", f"Invalid Token: '{token}'")


def _send_task_success(self: Any, task_token: str, outcome: str) -> Any:
    moto = _moto()
    try:
        json.loads(outcome)
    except (TypeError, ValueError):
        raise _refusal("InvalidOutput", f"Invalid Output: '{outcome}'") from None
    with _settle_lock:
        endpoint = _open_endpoint(self, task_token)
        endpoint.notify(moto.callback.CallbackOutcomeSuccess(callback_id=task_token, output=outcome))
    return moto.api.SendTaskSuccessOutput()


def _send_task_failure(self: Any, task_token: str, error: str | None = None, cause: str | None = None) -> Any:
    moto = _moto()
    with _settle_lock:
        endpoint = _open_endpoint(self, task_token)
        endpoint.notify(
            moto.callback.CallbackOutcomeFailure(callback_id=task_token, error=error, cause=cause)
        )
    return moto.api.SendTaskFailureOutput()


def _send_task_heartbeat(self: Any, task_token: str) -> Any:
    moto = _moto()
    with _settle_lock:
        endpoint = _open_endpoint(self, task_token)
        endpoint.notify_heartbeat()  # a task without HeartbeatSeconds: accepted, nothing to extend
    return moto.api.SendTaskHeartbeatOutput()


def _response_send_task_failure(self: Any) -> Any:
    self.stepfunction_backend.send_task_failure(
        self._get_param("taskToken"), error=self._get_param("error"), cause=self._get_param("cause")
    )
    return _moto().empty()
