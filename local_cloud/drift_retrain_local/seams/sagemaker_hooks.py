"""The moto-facing handlers of the local SageMaker seam: each takes moto's request, checks it as SageMaker
would, lets moto record the resource, and hands the work to the installed
:class:`~drift_retrain_local.sagemaker.service.LocalSageMaker` (installed by
:mod:`drift_retrain_local.seams.sagemaker`, which also says which moto symbols these replace)."""

from __future__ import annotations

import copy
import functools
import inspect
import json
import re
import threading
from collections.abc import Callable
from typing import Any

from drift_retrain_local.sagemaker.runtime import (
    DeploymentError,
    EndpointNotServingError,
    ModelInvocationError,
    UnknownVariantError,
)
from drift_retrain_local.sagemaker.service import LocalSageMaker
from drift_retrain_local.seams.lookup import attribute as _attribute
from drift_retrain_local.seams.lookup import module as _module

__all__ = [
    "activate",
    "active",
    "backend_update_endpoint",
    "create_endpoint",
    "create_training_job",
    "create_transform_job",
    "create_tuning_job",
    "deactivate",
    "delete_endpoint",
    "invoke_endpoint",
    "response_update_endpoint",
    "update_endpoint_weights_and_capacities",
]

_MODELS = "moto.sagemaker.models"
_service: LocalSageMaker | None = None


def activate(service: LocalSageMaker) -> None:
    """Make ``service`` the one the hooks delegate to (one per process)."""
    global _service
    if _service is not None:
        raise RuntimeError("another local SageMaker is already installed in this process")
    _service = service


def deactivate() -> None:
    global _service
    _service = None


def active() -> LocalSageMaker | None:
    return _service


def _current() -> LocalSageMaker:
    if _service is None:
        raise RuntimeError("the local SageMaker is not installed")
    return _service


def _pascal(name: str) -> str:
    return "".join("MB" if word == "mb" else word.title() for word in name.split("_"))


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def _request(arguments: dict[str, Any]) -> dict[str, Any]:
    return {_pascal(k): copy.deepcopy(v) for k, v in arguments.items() if v is not None}


def _updater(obj: Any) -> Callable[[dict[str, Any]], None]:
    """Writes Describe* fields into a moto object; the attribute dict is replaced whole, so a concurrent
    Describe (which iterates it) never sees it change size. ``ProductionVariants`` come as AWS's
    ProductionVariantSummary (moto's own conversion drops a weight of 0)."""
    lock = threading.Lock()

    def update(fields: dict[str, Any]) -> None:
        with lock:
            values = dict(vars(obj))
            for key, value in fields.items():
                if key == "BestTrainingJob":
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


def create_training_job(
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


def create_transform_job(
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


def create_tuning_job(service: LocalSageMaker, original: Any, backend: Any, arguments: dict[str, Any]) -> Any:
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
    """moto's own CreateTrainingJob (the installed one wraps it; ``functools.wraps`` keeps the original)."""
    function = _attribute(_MODELS, "SageMakerModelBackend").create_training_job
    return getattr(function, "__wrapped__", function)


def create_endpoint(service: LocalSageMaker, original: Any, backend: Any, arguments: dict[str, Any]) -> Any:
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


def delete_endpoint(service: LocalSageMaker, original: Any, backend: Any, arguments: dict[str, Any]) -> Any:
    result = original(backend, **arguments)
    service.runtime.remove(arguments["endpoint_name"])
    return result


def backend_update_endpoint(
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


def update_endpoint_weights_and_capacities(
    service: LocalSageMaker, original: Any, backend: Any, arguments: dict[str, Any]
) -> str:
    """UpdateEndpointWeightsAndCapacities, validated as SageMaker does (moto's would apply it at once and
    never be Updating); carried out by the local endpoint manager."""
    name = arguments["endpoint_name"]
    desired = copy.deepcopy(arguments["desired_weights_and_capacities"] or [])
    endpoint = backend.endpoints.get(name)
    if endpoint is None:
        raise _errors().ValidationError(
            message=f'Could not find endpoint "{_arn("endpoint", name, backend)}".'
        )
    _check_desired(endpoint, desired)
    if endpoint.endpoint_status != "InService":
        raise _errors().ValidationError(message=f'Cannot update in-progress endpoint "{endpoint.arn}".')
    service.endpoints.update_weights(
        name, copy.deepcopy(endpoint.production_variants), desired, _updater(endpoint)
    )
    return endpoint.arn


def _check_desired(endpoint: Any, desired: list[dict[str, Any]]) -> None:
    """SageMaker's validation of DesiredWeightsAndCapacities (moto 5.2.5's wording)."""
    known = {v["VariantName"] for v in endpoint.production_variants}
    seen: set[str] = set()
    for item in desired:
        variant = item.get("VariantName")
        if variant in seen:
            raise _errors().ValidationError(
                message=f'The variant name "{variant}" was non-unique within the request.'
            )
        if variant not in known:
            raise _errors().ValidationError(
                message=f'The variant name(s) "{variant}" is/are not present within endpoint configuration '
                f'"{endpoint.endpoint_config_name}".'
            )
        if item.get("DesiredWeight") is not None and float(item["DesiredWeight"]) < 0:
            raise _errors().ValidationError(message=f"DesiredWeight of variant {variant} must be at least 0.")
        if item.get("DesiredInstanceCount") is not None and int(item["DesiredInstanceCount"]) < 1:
            raise _errors().ValidationError(
                message=f"DesiredInstanceCount of variant {variant} must be at least 1."
            )
        seen.add(variant)
    if not desired:
        raise _errors().ValidationError(message="DesiredWeightsAndCapacities must name at least one variant.")


def response_update_endpoint(self: Any) -> Any:
    arn = self.sagemaker_backend.update_endpoint(
        endpoint_name=self._get_param("EndpointName"),
        endpoint_config_name=self._get_param("EndpointConfigName"),
        retain_all_variant_properties=self._get_param("RetainAllVariantProperties"),
        exclude_retained_variant_properties=self._get_param("ExcludeRetainedVariantProperties"),
        deployment_config=self._get_param("DeploymentConfig"),
        retain_deployment_config=self._get_param("RetainDeploymentConfig"),
    )
    return _attribute("moto.core.responses", "ActionResult")({"EndpointArn": arn})


def invoke_endpoint(self: Any) -> tuple[int, dict[str, str], bytes]:
    rest = _module("moto.core.exceptions").JsonRESTError
    name = str(self._get_params().get("EndpointName") or self.path.split("/")[2])
    body = self.body if isinstance(self.body, bytes | str) else b""
    try:
        result = _current().runtime.invoke(
            name,
            body.encode("utf-8") if isinstance(body, str) else body,
            self.headers.get("Content-Type"),
            self.headers.get("X-Amzn-SageMaker-Target-Variant"),
            self.headers.get("Accept"),
            self.headers.get("X-Amzn-SageMaker-Inference-Id"),
        )
    except EndpointNotServingError:
        raise rest(
            "ValidationError", f"Endpoint {name} of account {self.current_account} not found."
        ) from None
    except UnknownVariantError as exc:
        raise rest(
            "ValidationError", f"Invalid TargetVariant: endpoint {name} has no variant {exc.variant}."
        ) from None
    except ModelInvocationError as exc:
        side = "server" if exc.status >= 500 else "client"
        error = rest(
            "ModelError",
            f'Received {side} error ({exc.status}) from primary with message "{exc.message}". See '
            f"https://{self.region}.console.aws.amazon.com/cloudwatch/home?region={self.region}#logEventViewer:"
            f"group=/aws/sagemaker/Endpoints/{name} in account {self.current_account} for more information.",
        )
        error.code = 424
        error.description = json.dumps(  # the members of SageMaker's ModelError shape, as AWS sends them
            {
                "__type": "ModelError",
                "message": error.message,
                "OriginalStatusCode": exc.status,
                "OriginalMessage": exc.message,
                "LogStreamArn": f"arn:aws:logs:{self.region}:{self.current_account}:log-group:"
                f"/aws/sagemaker/Endpoints/{name}",
            }
        )
        raise error from None
    headers = {"Content-Type": result.content_type, "x-Amzn-Invoked-Production-Variant": result.variant}
    return 200, headers, result.body
