"""Where the local SageMaker reaches into moto's SageMaker internals (moto 5.2.5, pinned).

moto's SageMaker completes every job instantly and computes nothing, has no UpdateEndpoint, answers
InvokeEndpoint with a fixed string, and its Step Functions interpreter gives ``sagemaker`` tasks no
``.sync``. This module patches exactly these points and delegates all behaviour to a
:class:`~drift_retrain_local.sagemaker.service.LocalSageMaker` (which knows nothing about moto):

- ``SageMakerModelBackend.create_training_job`` / ``create_transform_job`` /
  ``create_hyper_parameter_tuning_job`` / ``create_endpoint`` / ``delete_endpoint``: wrapped; the job or
  endpoint moto creates is marked InProgress/Creating and the local service finishes it in a thread,
  its Describe* fields written back into moto's object;
- ``SageMakerModelBackend.update_endpoint_weights_and_capacities``: replaced (moto applies the weights at
  once and is never ``Updating``); the local endpoint manager goes Updating -> InService and switches the
  runtime's weights atomically;
- ``SageMakerModelBackend.update_endpoint`` and ``SageMakerResponse.update_endpoint``: added;
- ``SageMakerRuntimeResponse.invoke_endpoint``: replaced by the local endpoint runtime (weighted routing,
  ``TargetVariant``, the ``x-Amzn-Invoked-Production-Variant`` header);
- ``state_task_factory.state_task_service_for``: ``sagemaker`` resources get the Step Functions
  service of :mod:`~drift_retrain_local.seams.sfn_sagemaker` (request-response, and ``.sync`` that polls
  Describe* until done or the Task's ``TimeoutSeconds``);
- ``state_task_service_aws_sdk._SERVICE_ERROR_NAMES``: ``sagemaker`` errors of ``aws-sdk`` tasks are
  named ``SageMaker.<Exception>`` as on AWS (moto would say ``sagemaker.sagemakerException``).

Error names a ``sagemaker:*`` task raises (what Retry/Catch can match):

- a ``.sync`` job that ends Failed or Stopped: ``States.TaskFailed``, Cause = the Describe* response as
  JSON (so ``FailureReason``, e.g. ``CapacityError: ...``, is inside the Cause);
- a refused request: ``SageMaker.AmazonSageMakerException`` (ValidationException and other unmodelled
  errors), or ``SageMaker.ResourceInUseException`` / ``SageMaker.ResourceLimitExceededException`` /
  ``SageMaker.ResourceNotFoundException``; Cause ``<message> (Service: AmazonSageMaker; Status Code: 400;
  Error Code: <code>; Request ID: <id>; Proxy: null)``.

The handlers themselves live in :mod:`~drift_retrain_local.seams.sagemaker_hooks`.
``check()`` fails loudly (``MotoHookMovedError``) when a hooked symbol moved or changed signature;
``tests/local_cloud/sagemaker/test_sagemaker_seams.py`` runs it.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any

from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.sagemaker.service import LocalSageMaker
from drift_retrain_local.seams import sagemaker_hooks as hooks
from drift_retrain_local.seams.lookup import attribute as _attribute
from drift_retrain_local.seams.lookup import module as _module
from drift_retrain_local.seams.lookup import source
from drift_retrain_local.seams.sfn_sagemaker import state_task_service_for

__all__ = ["check", "install", "installed", "uninstall"]

_MODELS = "moto.sagemaker.models"
_RESPONSES = "moto.sagemaker.responses"
_RUNTIME = "moto.sagemakerruntime.responses"
_SERVICE = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service"
_TASK_FACTORY = "moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_factory"

#: Parameters (after ``self``, space-separated) of the moto functions relied on, as moto 5.2.5 has them.
_SIGNATURES: dict[tuple[str, str, str], str] = {
    (
        _MODELS,
        "SageMakerModelBackend",
        "create_training_job",
    ): "training_job_name hyper_parameters algorithm_specification role_arn input_data_config output_data_config resource_config vpc_config stopping_condition tags enable_network_isolation enable_inter_container_traffic_encryption enable_managed_spot_training checkpoint_config debug_hook_config debug_rule_configurations tensor_board_output_config experiment_config",
    (
        _MODELS,
        "SageMakerModelBackend",
        "create_transform_job",
    ): "transform_job_name model_name max_concurrent_transforms model_client_config max_payload_in_mb batch_strategy environment transform_input transform_output data_capture_config transform_resources data_processing tags experiment_config",
    (
        _MODELS,
        "SageMakerModelBackend",
        "create_hyper_parameter_tuning_job",
    ): "hyper_parameter_tuning_job_name hyper_parameter_tuning_job_config training_job_definition training_job_definitions warm_start_config tags autotune",
    (_MODELS, "SageMakerModelBackend", "create_endpoint"): "endpoint_name endpoint_config_name tags",
    (_MODELS, "SageMakerModelBackend", "delete_endpoint"): "endpoint_name",
    (_MODELS, "SageMakerModelBackend", "describe_endpoint_config"): "endpoint_config_name",
    (
        _MODELS,
        "SageMakerModelBackend",
        "update_endpoint_weights_and_capacities",
    ): "endpoint_name desired_weights_and_capacities",
    (
        _RESPONSES,
        "SageMakerResponse",
        "update_endpoint_weights_and_capacities",
    ): "",
    (_RUNTIME, "SageMakerRuntimeResponse", "invoke_endpoint"): "",
    (
        f"{_SERVICE}.state_task_service_callback",
        "StateTaskServiceCallback",
        "_eval_sync",
    ): "env sync_resolver timeout_seconds callback_endpoint heartbeat_endpoint",
    (
        f"{_SERVICE}.state_task_service_callback",
        "StateTaskServiceCallback",
        "_build_sync_resolver",
    ): "env resource_runtime_part normalised_parameters state_credentials",
    (f"{_SERVICE}.state_task_service", "StateTaskService", "_get_timed_out_failure_event"): "env",
    (
        f"{_SERVICE}.state_task_service",
        "StateTaskService",
        "_eval_service_task",
    ): "env resource_runtime_part normalised_parameters state_credentials",
}
#: Backend state read or written here (attributes of the backend's ``__init__``).
_BACKEND_STATE = (
    "training_jobs",
    "transform_jobs",
    "endpoints",
    "endpoint_configs",
    "_models",
    "hyper_parameter_tuning_jobs",
)

_lock = threading.Lock()
_saved: list[tuple[Any, str, Any]] = []  # (owner, attribute, original or _MISSING)
_MISSING = object()


# ============================================================================================== check


def check() -> None:
    """Verify every moto internal this module relies on is where moto 5.2.5 has it."""
    for (module, owner, method), expected in _SIGNATURES.items():
        function = _attribute(module, owner, method)
        parameters = [p for p in inspect.signature(function).parameters if p != "self"]
        if " ".join(parameters) != expected:
            raise MotoHookMovedError(f"{module}.{owner}.{method} has a new signature: {parameters}")
    backend = _attribute(_MODELS, "SageMakerModelBackend")
    init_source = source(backend.__init__)
    for name in _BACKEND_STATE:
        if f"self.{name}" not in init_source:
            raise MotoHookMovedError(f"SageMakerModelBackend no longer keeps self.{name}")
    for owner in (backend, _attribute(_RESPONSES, "SageMakerResponse")):
        if "update_endpoint" in vars(owner) and vars(owner)["update_endpoint"] is not _saved_new(owner):
            raise MotoHookMovedError(f"moto now has {owner.__name__}.update_endpoint: drop the local one")
    for module, name in (
        (_MODELS, "FakeTrainingJob"),
        (_MODELS, "FakeTransformJob"),
        (_MODELS, "FakeEndpoint"),
    ):
        if "gen_response_object" not in source(_attribute(module, name)):
            raise MotoHookMovedError(f"{name}.response_object no longer reflects its attributes")
    factory = _attribute(_TASK_FACTORY, "state_task_service_for")
    if factory is not _attribute(f"{_SERVICE}.state_task_service_factory", "state_task_service_for") and (
        factory is not state_task_service_for
    ):
        raise MotoHookMovedError("state_task_factory.state_task_service_for is not the service factory")
    if "state_task_service_for(" not in source(_attribute(_TASK_FACTORY, "state_task_for")):
        raise MotoHookMovedError("state_task_for no longer calls state_task_service_for")
    if not isinstance(_attribute(f"{_SERVICE}.state_task_service_aws_sdk", "_SERVICE_ERROR_NAMES"), dict):
        raise MotoHookMovedError("state_task_service_aws_sdk._SERVICE_ERROR_NAMES is no longer a dict")
    client_for = _attribute("moto.stepfunctions.parser.asl.utils.boto_client", "boto_client_for")
    if list(inspect.signature(client_for).parameters) != ["region", "service", "state_credentials"]:
        raise MotoHookMovedError("boto_client_for has a new signature")
    if "self.description" not in source(_attribute("moto.core.exceptions", "JsonRESTError", "get_body")):
        raise MotoHookMovedError("JsonRESTError's body is no longer its description (ModelError's members)")
    if "invoke_endpoint" not in source(_attribute(_RUNTIME, "SageMakerRuntimeResponse")):
        raise MotoHookMovedError("SageMakerRuntimeResponse no longer handles invoke_endpoint")


def _saved_new(owner: Any) -> Any:
    for saved_owner, attribute, _ in _saved:
        if saved_owner is owner and attribute == "update_endpoint":
            return vars(owner)["update_endpoint"]
    return None


# ======================================================================================= install
def install(service: LocalSageMaker) -> None:
    """Route moto's SageMaker, sagemaker-runtime and ``sagemaker`` ASL tasks to ``service``."""
    check()
    with _lock:
        hooks.activate(service)
        backend = _attribute(_MODELS, "SageMakerModelBackend")
        for name, wrapper in (
            ("create_training_job", hooks.create_training_job),
            ("create_transform_job", hooks.create_transform_job),
            ("create_hyper_parameter_tuning_job", hooks.create_tuning_job),
            ("create_endpoint", hooks.create_endpoint),
            ("delete_endpoint", hooks.delete_endpoint),
            ("update_endpoint_weights_and_capacities", hooks.update_endpoint_weights_and_capacities),
        ):
            _patch(backend, name, _wrap(getattr(backend, name), wrapper))
        _patch(backend, "update_endpoint", hooks.backend_update_endpoint)
        _patch(_attribute(_RESPONSES, "SageMakerResponse"), "update_endpoint", hooks.response_update_endpoint)
        _patch(_attribute(_RUNTIME, "SageMakerRuntimeResponse"), "invoke_endpoint", hooks.invoke_endpoint)
        _patch(_module(_TASK_FACTORY), "state_task_service_for", state_task_service_for)
        errors = _attribute(f"{_SERVICE}.state_task_service_aws_sdk", "_SERVICE_ERROR_NAMES")
        _saved.append((errors, "sagemaker", errors.get("sagemaker", _MISSING)))
        errors["sagemaker"] = "SageMaker"


def uninstall() -> None:
    """Put every patched moto symbol back (idempotent)."""
    with _lock:
        while _saved:
            owner, attribute, original = _saved.pop()
            if isinstance(owner, dict):
                if original is _MISSING:
                    owner.pop(attribute, None)
                else:
                    owner[attribute] = original
            elif original is _MISSING:
                delattr(owner, attribute)
            else:
                setattr(owner, attribute, original)
        hooks.deactivate()


def installed() -> LocalSageMaker | None:
    return hooks.active()


def _patch(owner: Any, attribute: str, value: Any) -> None:
    _saved.append((owner, attribute, vars(owner).get(attribute, _MISSING)))
    setattr(owner, attribute, value)


def _wrap(original: Callable[..., Any], wrapper: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(original)

    @functools.wraps(original)
    def patched(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        arguments.pop("self")
        service = hooks.active()
        if service is None:  # uninstalled meanwhile
            return original(self, **arguments)
        return wrapper(service, original, self, arguments)

    return patched
