"""Where the local SageMaker reaches into moto's SageMaker internals (moto 5.2.5, pinned).

moto's SageMaker completes every job instantly and computes nothing, has no UpdateEndpoint, answers
InvokeEndpoint with a fixed string, and its Step Functions interpreter gives ``sagemaker`` tasks no
``.sync``. This module patches exactly these points and delegates all behaviour to a
:class:`~drift_retrain_local.sagemaker.service.LocalSageMaker` (which knows nothing about moto):

- ``SageMakerModelBackend.create_training_job`` / ``create_transform_job`` /
  ``create_hyper_parameter_tuning_job`` / ``create_endpoint`` / ``delete_endpoint``: wrapped; the job or
  endpoint moto creates is marked InProgress/Creating and the local service finishes it in a thread,
  its Describe* fields written back through :func:`_updater`;
- ``SageMakerModelBackend.update_endpoint`` and ``SageMakerResponse.update_endpoint``: added;
- ``SageMakerRuntimeResponse.invoke_endpoint``: replaced by the local endpoint runtime;
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

``check()`` fails loudly (``MotoHookMovedError``) when a hooked symbol moved or changed signature;
``tests/local_cloud/test_sm_moto_seams.py`` runs it.
"""

from __future__ import annotations

import copy
import functools
import inspect
import re
import threading
from collections.abc import Callable
from typing import Any

from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.sagemaker.runtime import (
    DeploymentError,
    EndpointNotServingError,
    ModelInvocationError,
)
from drift_retrain_local.sagemaker.service import LocalSageMaker
from drift_retrain_local.seams.lookup import attribute as _attribute
from drift_retrain_local.seams.lookup import module as _module
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
    (_MODELS, "FakeEndpoint", "_process_production_variants"): "production_variants",
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
_service: LocalSageMaker | None = None
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
    source = inspect.getsource(backend.__init__)
    for name in _BACKEND_STATE:
        if f"self.{name}" not in source:
            raise MotoHookMovedError(f"SageMakerModelBackend no longer keeps self.{name}")
    for owner in (backend, _attribute(_RESPONSES, "SageMakerResponse")):
        if "update_endpoint" in vars(owner) and vars(owner)["update_endpoint"] is not _saved_new(owner):
            raise MotoHookMovedError(f"moto now has {owner.__name__}.update_endpoint: drop the local one")
    for module, name in (
        (_MODELS, "FakeTrainingJob"),
        (_MODELS, "FakeTransformJob"),
        (_MODELS, "FakeEndpoint"),
    ):
        if "gen_response_object" not in inspect.getsource(_attribute(module, name)):
            raise MotoHookMovedError(f"{name}.response_object no longer reflects its attributes")
    factory = _attribute(_TASK_FACTORY, "state_task_service_for")
    if factory is not _attribute(f"{_SERVICE}.state_task_service_factory", "state_task_service_for") and (
        factory is not state_task_service_for
    ):
        raise MotoHookMovedError("state_task_factory.state_task_service_for is not the service factory")
    if "state_task_service_for(" not in inspect.getsource(_attribute(_TASK_FACTORY, "state_task_for")):
        raise MotoHookMovedError("state_task_for no longer calls state_task_service_for")
    if not isinstance(_attribute(f"{_SERVICE}.state_task_service_aws_sdk", "_SERVICE_ERROR_NAMES"), dict):
        raise MotoHookMovedError("state_task_service_aws_sdk._SERVICE_ERROR_NAMES is no longer a dict")
    client_for = _attribute("moto.stepfunctions.parser.asl.utils.boto_client", "boto_client_for")
    if list(inspect.signature(client_for).parameters) != ["region", "service", "state_credentials"]:
        raise MotoHookMovedError("boto_client_for has a new signature")
    if "invoke_endpoint" not in inspect.getsource(_attribute(_RUNTIME, "SageMakerRuntimeResponse")):
        raise MotoHookMovedError("SageMakerRuntimeResponse no longer handles invoke_endpoint")


def _saved_new(owner: Any) -> Any:
    for saved_owner, attribute, _ in _saved:
        if saved_owner is owner and attribute == "update_endpoint":
            return vars(owner)["update_endpoint"]
    return None


# ======================================================================================= install
def install(service: LocalSageMaker) -> None:
    """Route moto's SageMaker, sagemaker-runtime and ``sagemaker`` ASL tasks to ``service``."""
    global _service
    check()
    with _lock:
        if _service is not None:
            raise RuntimeError("another local SageMaker is already installed in this process")
        _service = service
        backend = _attribute(_MODELS, "SageMakerModelBackend")
        for name, wrapper in (
            ("create_training_job", _create_training_job),
            ("create_transform_job", _create_transform_job),
            ("create_hyper_parameter_tuning_job", _create_tuning_job),
            ("create_endpoint", _create_endpoint),
            ("delete_endpoint", _delete_endpoint),
        ):
            _patch(backend, name, _wrap(getattr(backend, name), wrapper))
        _patch(backend, "update_endpoint", _backend_update_endpoint)
        _patch(_attribute(_RESPONSES, "SageMakerResponse"), "update_endpoint", _response_update_endpoint)
        _patch(_attribute(_RUNTIME, "SageMakerRuntimeResponse"), "invoke_endpoint", _invoke_endpoint)
        _patch(_module(_TASK_FACTORY), "state_task_service_for", state_task_service_for)
        errors = _attribute(f"{_SERVICE}.state_task_service_aws_sdk", "_SERVICE_ERROR_NAMES")
        _saved.append((errors, "sagemaker", errors.get("sagemaker", _MISSING)))
        errors["sagemaker"] = "SageMaker"


def uninstall() -> None:
    """Put every patched moto symbol back (idempotent)."""
    global _service
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
        _service = None


def installed() -> LocalSageMaker | None:
    return _service


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
        if _service is None:  # uninstalled meanwhile
            return original(self, **arguments)
        return wrapper(_service, original, self, arguments)

    return patched


def _current() -> LocalSageMaker:
    if _service is None:
        raise RuntimeError("the local SageMaker is not installed")
    return _service


# ==================================================================================== backend hooks
def _pascal(name: str) -> str:
    return "".join("MB" if word == "mb" else word.title() for word in name.split("_"))


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _request(arguments: dict[str, Any]) -> dict[str, Any]:
    return {_pascal(k): copy.deepcopy(v) for k, v in arguments.items() if v is not None}


def _updater(obj: Any) -> Callable[[dict[str, Any]], None]:
    """Writes Describe* fields into a moto object; the attribute dict is replaced whole, so a concurrent
    Describe (which iterates it) never sees it change size."""
    lock = threading.Lock()

    def update(fields: dict[str, Any]) -> None:
        with lock:
            values = dict(vars(obj))
            for key, value in fields.items():
                if key == "ProductionVariants":
                    value = obj._process_production_variants(value)
                elif key == "BestTrainingJob":
                    values["OverallBestTrainingJob"] = value
                values[_snake(key)] = value
            obj.__dict__ = values

    return update


def _errors() -> Any:
    return _module("moto.sagemaker.exceptions")


def _arn(kind: str, name: str, backend: Any) -> str:
    return f"arn:aws:sagemaker:{backend.region_name}:{backend.account_id}:{kind}/{name.lower()}"


def _model_url(backend: Any, model_name: str) -> str:
    model = backend._models.get(model_name)
    url = ((model.primary_container or {}).get("ModelDataUrl") if model else None) or ""
    if not url:
        raise DeploymentError(f"Could not find model data for model '{_arn('model', model_name, backend)}'.")
    return url


def _create_training_job(
    service: LocalSageMaker, original: Any, backend: Any, arguments: dict[str, Any]
) -> Any:
    name = arguments["training_job_name"]
    if name in backend.training_jobs:
        raise _errors().ValidationError(
            message="Training job names must be unique within an AWS account and region, and a training job "
            f"with this name already exists ({_arn('training-job', name, backend)})"
        )
    request = _request(arguments)
    job = original(backend, **copy.deepcopy(arguments))
    job.algorithm_specification = copy.deepcopy(
        arguments["algorithm_specification"]
    )  # moto adds a fake metric
    service.jobs.start_training(request, _updater(job))
    return job


def _create_transform_job(
    service: LocalSageMaker, original: Any, backend: Any, arguments: dict[str, Any]
) -> Any:
    name = arguments["transform_job_name"]
    if name in backend.transform_jobs:
        raise _errors().ValidationError(
            message=f"Job name must be unique within an AWS account and region, and a job with this name "
            f"already exists ({_arn('transform-job', name, backend)})"
        )
    backend.describe_model(arguments["model_name"])  # ValidationException "Could not find model ..."
    try:
        url = _model_url(backend, arguments["model_name"])
    except DeploymentError as exc:
        raise _errors().ValidationError(message=str(exc)) from None
    job = original(backend, **copy.deepcopy(arguments))
    service.jobs.start_transform(_request(arguments), url, _updater(job))
    return job


def _create_tuning_job(
    service: LocalSageMaker, original: Any, backend: Any, arguments: dict[str, Any]
) -> Any:
    arn = original(backend, **copy.deepcopy(arguments))
    job = backend.hyper_parameter_tuning_jobs[arguments["hyper_parameter_tuning_job_name"]]
    update = _updater(job)
    if not arguments.get("training_job_definition"):
        update(
            {
                "HyperParameterTuningJobStatus": "Failed",
                "FailureReason": "the local tuning job runs TrainingJobDefinition only (not TrainingJobDefinitions)",
            }
        )
        return arn
    create_training = _create_training_original()
    parameters = [p for p in inspect.signature(create_training).parameters if p != "self"]

    def register(request: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
        values = {p: copy.deepcopy(request.get(_pascal(p))) for p in parameters}
        for flag in ("enable_network_isolation", "enable_inter_container_traffic_encryption"):
            values[flag] = bool(values[flag])
        values["enable_managed_spot_training"] = bool(values["enable_managed_spot_training"])
        training_job = create_training(backend, **values)
        training_job.algorithm_specification = copy.deepcopy(request["AlgorithmSpecification"])
        return _updater(training_job)

    service.jobs.start_tuning(_request(arguments), register, update)
    return arn


def _create_training_original() -> Callable[..., Any]:
    backend = _attribute(_MODELS, "SageMakerModelBackend")
    for owner, attribute, original in _saved:
        if owner is backend and attribute == "create_training_job" and original is not _MISSING:
            return original
    return backend.create_training_job


def _create_endpoint(service: LocalSageMaker, original: Any, backend: Any, arguments: dict[str, Any]) -> Any:
    name = arguments["endpoint_name"]
    if name in backend.endpoints:
        raise _errors().ValidationError(
            message=f'Cannot create already existing endpoint "{_arn("endpoint", name, backend)}".'
        )
    endpoint = original(backend, **arguments)
    config = backend.describe_endpoint_config(arguments["endpoint_config_name"])
    service.endpoints.create(
        name, copy.deepcopy(config), functools.partial(_model_url, backend), _updater(endpoint)
    )
    return endpoint


def _delete_endpoint(service: LocalSageMaker, original: Any, backend: Any, arguments: dict[str, Any]) -> Any:
    result = original(backend, **arguments)
    service.runtime.remove(arguments["endpoint_name"])
    return result


def _backend_update_endpoint(
    self: Any,
    endpoint_name: str,
    endpoint_config_name: str,
    retain_all_variant_properties: bool | None = None,
    exclude_retained_variant_properties: list[dict[str, Any]] | None = None,
    deployment_config: dict[str, Any] | None = None,
    retain_deployment_config: bool | None = None,
) -> str:
    """UpdateEndpoint (moto has none): validated here, carried out by the local endpoint manager."""
    errors = _errors()
    endpoint = self.endpoints.get(endpoint_name)
    if endpoint is None:
        raise errors.ValidationError(
            message=f"Could not find endpoint '{_arn('endpoint', endpoint_name, self)}'."
        )
    config = self.describe_endpoint_config(endpoint_config_name)  # ValidationException when missing
    if endpoint.endpoint_status != "InService":
        raise errors.ValidationError(message=f'Cannot update in-progress endpoint "{endpoint.arn}".')
    if deployment_config is None and retain_deployment_config:
        deployment_config = getattr(endpoint, "last_deployment_config", None)
    _current().endpoints.update(
        endpoint_name,
        copy.deepcopy(config),
        copy.deepcopy(deployment_config),
        functools.partial(_model_url, self),
        _updater(endpoint),
    )
    return endpoint.arn


def _response_update_endpoint(self: Any) -> Any:
    arn = self.sagemaker_backend.update_endpoint(
        endpoint_name=self._get_param("EndpointName"),
        endpoint_config_name=self._get_param("EndpointConfigName"),
        retain_all_variant_properties=self._get_param("RetainAllVariantProperties"),
        exclude_retained_variant_properties=self._get_param("ExcludeRetainedVariantProperties"),
        deployment_config=self._get_param("DeploymentConfig"),
        retain_deployment_config=self._get_param("RetainDeploymentConfig"),
    )
    return _attribute("moto.core.responses", "ActionResult")({"EndpointArn": arn})


# ==================================================================================== runtime hook
def _invoke_endpoint(self: Any) -> tuple[int, dict[str, str], bytes]:
    rest = _module("moto.core.exceptions").JsonRESTError
    name = str(self._get_params().get("EndpointName") or self.path.split("/")[2])
    body = self.body if isinstance(self.body, bytes | str) else b""
    try:
        result = _current().runtime.invoke(
            name,
            body.encode("utf-8") if isinstance(body, str) else body,
            self.headers.get("Content-Type"),
            self.headers.get("X-Amzn-SageMaker-Target-Variant"),
        )
    except EndpointNotServingError:
        raise rest(
            "ValidationError", f"Endpoint {name} of account {self.current_account} not found."
        ) from None
    except ModelInvocationError as exc:
        error = rest(
            "ModelError",
            f'Received client error ({exc.status}) from primary with message "{exc.message}". See '
            f"https://{self.region}.console.aws.amazon.com/cloudwatch/home?region={self.region}#logEventViewer:"
            f"group=/aws/sagemaker/Endpoints/{name} in account {self.current_account} for more information.",
        )
        error.code = 424
        raise error from None
    headers = {"Content-Type": result.content_type, "x-Amzn-Invoked-Production-Variant": result.variant}
    return 200, headers, result.body
