"""Step Functions' AWS SDK integration casing, which moto 5.2.5's ASL interpreter leaves out.

On AWS an ``arn:aws:states:::aws-sdk:<service>:<action>`` task takes PascalCase parameter names and
returns PascalCase member names for every service, also for services whose API members are camelCase
(Step Functions' own ``executionArn``, ``status``...). moto's interpreter evaluates a task as
``StateTaskService._eval_execution``: a deep copy of the parameters goes through
``self._normalise_parameters(...)``, then ``_eval_service_task`` calls the boto3 client method with them
as keyword arguments (``StateTaskServiceAwsSdk``: a client with ``parameter_validation=False``, so an
unknown name such as ``ExecutionArn`` is dropped silently by the serializer), and the response goes
through ``self._normalise_response(...)``. In moto 5.2.5 both hooks are no-ops in ``StateTaskService``
(its ``_to_boto_request`` / ``_from_boto_response`` helpers are never called) and
``StateTaskServiceAwsSdk`` overrides neither, so ``aws-sdk:sfn:describeExecution`` with
``ExecutionArn`` fails and its result has ``status``, not ``Status``.

This module gives ``StateTaskServiceAwsSdk`` the two hooks, driven by the botocore service model:

- parameters: each name of a structure is matched case-insensitively against the operation's input
  members, recursively through nested structures, lists and map values (map keys are data, kept);
  a name that matches no member is passed on unchanged, for the service to refuse;
- response: each member name of a structure gets its first letter upper-cased (``executionArn`` ->
  ``ExecutionArn``; ``ETag``, ``S`` unchanged), recursively through the output shape; map keys kept;
  timestamps become ISO 8601 strings in UTC as on AWS (moto would leave ``datetime`` objects in the
  state's output, which its own DescribeExecution then cannot serialise).

Services whose API is already PascalCase (sagemaker, dynamodb...) come out unchanged. The sagemaker
patches of :mod:`drift_retrain_local.seams.sagemaker` (the task factory, the aws-sdk error names)
touch other symbols: the two compose in either order.

``check()`` fails loudly (``MotoHookMovedError``) when a hooked symbol moved or changed signature;
``tests/local_cloud/seams/test_sfn_seams.py`` runs it.
"""

from __future__ import annotations

import datetime
import functools
import importlib
import inspect
import threading
from typing import Any

from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.seams.lookup import source

__all__ = ["check", "install", "installed", "uninstall"]

_SERVICE = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service"
_HOOKS = {"_normalise_parameters": "parameters", "_normalise_response": "response"}

_lock = threading.Lock()
_saved: list[tuple[type, str]] = []  # (class, attribute) added by install()


def _classes() -> tuple[type, type]:
    try:
        base = importlib.import_module(f"{_SERVICE}.state_task_service").StateTaskService
        sdk = importlib.import_module(f"{_SERVICE}.state_task_service_aws_sdk").StateTaskServiceAwsSdk
    except (ImportError, AttributeError) as error:  # pragma: no cover - only when moto moves
        raise MotoHookMovedError(f"moto's aws-sdk task service moved: {error}") from error
    return base, sdk


# ============================================================================================== check
def check() -> None:
    """Verify that moto 5.2.5's aws-sdk task still normalises through the two hooks, and has none."""
    base, sdk = _classes()
    if not issubclass(sdk, base):
        raise MotoHookMovedError("StateTaskServiceAwsSdk is no longer a StateTaskService")
    for name, first in _HOOKS.items():
        function = getattr(base, name, None)
        if function is None:
            raise MotoHookMovedError(f"StateTaskService.{name} is gone")
        parameters = [p for p in inspect.signature(function).parameters if p != "self"]
        if parameters != [first, "boto_service_name", "service_action_name"]:
            raise MotoHookMovedError(f"StateTaskService.{name} has a new signature: {parameters}")
        own = vars(sdk).get(name)
        if own is not None and own is not _PATCHES[name]:
            raise MotoHookMovedError(f"moto now has StateTaskServiceAwsSdk.{name}: drop sfn_seams")
    evaluation = source(base._eval_execution)
    for call in (
        "self._normalise_parameters(normalised_parameters)",
        "self._normalise_response(output_value)",
    ):
        if call not in evaluation:
            raise MotoHookMovedError(f"StateTaskService._eval_execution no longer calls {call}")
    for name in ("_eval_service_task", "_get_boto_service_name"):
        if not callable(getattr(sdk, name, None)):
            raise MotoHookMovedError(f"StateTaskServiceAwsSdk.{name} is gone")


# ======================================================================================= install
def install() -> None:
    """Give moto's aws-sdk tasks AWS's PascalCase parameters and results."""
    check()
    with _lock:
        if _saved:
            return
        _, sdk = _classes()
        for name, function in _PATCHES.items():
            setattr(sdk, name, function)
            _saved.append((sdk, name))


def uninstall() -> None:
    """Remove the hooks (idempotent)."""
    with _lock:
        while _saved:
            owner, name = _saved.pop()
            if name in vars(owner):
                delattr(owner, name)


def installed() -> bool:
    return bool(_saved)


# ============================================================================================ hooks
def _normalise_parameters(
    self: Any,
    parameters: dict,
    boto_service_name: str | None = None,
    service_action_name: str | None = None,
) -> None:
    operation = _operation(self._get_boto_service_name(boto_service_name), self.resource.api_action)
    if operation is not None and isinstance(parameters, dict):
        converted = _to_members(parameters, operation.input_shape)
        parameters.clear()
        parameters.update(converted)


def _normalise_response(
    self: Any,
    response: Any,
    boto_service_name: str | None = None,
    service_action_name: str | None = None,
) -> None:
    operation = _operation(self._get_boto_service_name(boto_service_name), self.resource.api_action)
    if operation is not None and isinstance(response, dict):
        converted = _to_pascal(response, operation.output_shape)
        response.clear()
        response.update(converted)


_PATCHES = {"_normalise_parameters": _normalise_parameters, "_normalise_response": _normalise_response}


@functools.cache
def _operation(service: str, action: str) -> Any:
    """The botocore operation model of ``action`` (any case), or None if botocore does not know it."""
    import botocore.session
    from botocore.exceptions import UnknownServiceError

    try:
        model = botocore.session.get_session().get_service_model(service)
    except UnknownServiceError:
        return None
    names = {name.lower(): name for name in model.operation_names}
    name = names.get(action.lower())
    return model.operation_model(name) if name else None


def _to_members(value: Any, shape: Any) -> Any:
    """PascalCase (any case) names -> the shape's member names, recursively."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict) and not shape.is_document_type:
        members = shape.members
        by_lower = {name.lower(): name for name in members}
        result = {}
        for key, item in value.items():
            name = by_lower.get(key.lower()) if isinstance(key, str) else None
            result[name or key] = _to_members(item, members[name]) if name else item
        return result
    if shape.type_name == "list" and isinstance(value, list):
        return [_to_members(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: _to_members(item, shape.value) for key, item in value.items()}
    return value


def _to_pascal(value: Any, shape: Any) -> Any:
    """The shape's member names -> first letter upper-cased, recursively (as Step Functions returns them)."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict) and not shape.is_document_type:
        members = shape.members
        return {
            (key[:1].upper() + key[1:] if key in members else key): _to_pascal(item, members.get(key))
            for key, item in value.items()
        }
    if shape.type_name == "list" and isinstance(value, list):
        return [_to_pascal(item, shape.member) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: _to_pascal(item, shape.value) for key, item in value.items()}
    if shape.type_name == "timestamp" and isinstance(value, datetime.datetime):
        return _timestamp(value)
    return value


def _timestamp(value: datetime.datetime) -> str:
    """ISO 8601 in UTC as Step Functions writes an SDK timestamp (Java's ``Instant.toString()``):
    ``2024-05-01T12:00:00Z``, ``2024-05-01T12:00:00.123Z``."""
    if value.tzinfo is not None:
        value = value.astimezone(datetime.UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    micros = value.microsecond
    if micros:
        text += f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
    return text + "Z"
