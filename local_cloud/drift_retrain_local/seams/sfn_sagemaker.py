"""The Step Functions service of ``sagemaker:*`` tasks in moto's interpreter (moto 5.2.5, pinned).

moto gives ``sagemaker`` tasks no ``.sync``: this service (built on moto's callback service, the way
moto's Batch integration does it) answers request-response actions with the SageMaker API, and ``.sync``
actions by polling Describe* until the job completes, fails, or the Task's ``TimeoutSeconds`` runs out
(``States.Timeout``, as on AWS). Error names are documented in :mod:`drift_retrain_local.seams.sagemaker`.
"""

from __future__ import annotations

import functools
import time
from types import SimpleNamespace
from typing import Any

from botocore.exceptions import ClientError

from drift_retrain_local.seams.lookup import attribute as _attribute
from drift_retrain_local.seams.lookup import module as _module
from drift_retrain_local.seams.sagemaker_hooks import active as installed

__all__ = ["state_task_service_for"]

_SERVICE = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service"


def _poll_seconds() -> float:
    service = installed()
    return service.settings.sync_poll_seconds if service is not None else 0.5


def state_task_service_for(service_name: str) -> Any:
    if service_name == "sagemaker":
        return _sfn_service_class()()
    factory = _attribute(f"{_SERVICE}.state_task_service_factory", "state_task_service_for")
    return factory(service_name=service_name)


#: ``.sync`` actions: (describe method, name parameter, status field).
_SYNC = {
    "createtrainingjob": ("describe_training_job", "TrainingJobName", "TrainingJobStatus"),
    "createtransformjob": ("describe_transform_job", "TransformJobName", "TransformJobStatus"),
    "createhyperparametertuningjob": (
        "describe_hyper_parameter_tuning_job",
        "HyperParameterTuningJobName",
        "HyperParameterTuningJobStatus",
    ),
    "createprocessingjob": ("describe_processing_job", "ProcessingJobName", "ProcessingJobStatus"),
}
_REQUEST_RESPONSE = {
    "createmodel",
    "createendpointconfig",
    "createendpoint",
    "updateendpoint",
    "stoptrainingjob",
    "stoptransformjob",
    "stophyperparametertuningjob",
    "createlabelingjob",
}
#: SageMaker error codes Step Functions names after themselves (the exceptions of SageMaker's API model);
#: the others, throttling included, are AmazonSageMakerException (docs/aws-notes.md, finding 3).
_MODELLED_ERRORS = {"ResourceInUse", "ResourceLimitExceeded", "ResourceNotFound"}


@functools.cache
def _input_members(operation: str) -> frozenset[str]:
    import botocore.session

    model = botocore.session.get_session().get_service_model("sagemaker")
    return frozenset(model.operation_model(operation).input_shape.members)


@functools.cache
def _moto() -> SimpleNamespace:
    """The moto symbols this service is built from (looked up once, through the guarded lookup)."""
    errors = "moto.stepfunctions.parser.asl.component.common.error_name"
    return SimpleNamespace(
        resource=_module(f"{_SERVICE}.resource"),
        callback=_module(f"{_SERVICE}.state_task_service_callback"),
        client_for=_attribute("moto.stepfunctions.parser.asl.utils.boto_client", "boto_client_for"),
        api=_module("moto.stepfunctions.parser.api"),
        failure=_module(f"{errors}.failure_event"),
        custom=_attribute(f"{errors}.custom_error_name", "CustomErrorName"),
        states_name=_module(f"{errors}.states_error_name"),
        states_type=_attribute(f"{errors}.states_error_name_type", "StatesErrorNameType"),
        details=_attribute("moto.stepfunctions.parser.asl.eval.event.event_detail", "EventDetails"),
        to_json_str=_attribute("moto.stepfunctions.parser.asl.utils.encoding", "to_json_str"),
    )


def _task_failed(task: Any, env: Any, error_name: Any, error: str, cause: str) -> Any:
    """A TaskFailed event of ``task`` (what Retry/Catch match on ``error``)."""
    moto = _moto()
    return moto.failure.FailureEvent(
        env=env,
        error_name=error_name,
        event_type=moto.api.HistoryEventType.TaskFailed,
        event_details=moto.details(
            taskFailedEventDetails=moto.api.TaskFailedEventDetails(
                error=error,
                cause=cause,
                resource=task._get_sfn_resource(),
                resourceType=task._get_sfn_resource_type(),
            )
        ),
    )


def _refused(task: Any, env: Any, ex: ClientError) -> Any:
    """A refused SageMaker request, named and worded as Step Functions does on AWS."""
    code = ex.response["Error"]["Code"]
    suffix = code if code.endswith("Exception") else f"{code}Exception"
    name = f"SageMaker.{suffix}" if code in _MODELLED_ERRORS else "SageMaker.AmazonSageMakerException"
    meta = ex.response.get("ResponseMetadata", {})
    cause = (
        f"{ex.response['Error'].get('Message', '')} (Service: AmazonSageMaker; Status Code: "
        f"{meta.get('HTTPStatusCode')}; Error Code: {code}; Request ID: {meta.get('RequestId')}; Proxy: null)"
    )
    return _task_failed(task, env, _moto().custom(name), name, cause)


def _job_failed(task: Any, env: Any, response: dict[str, Any]) -> Any:
    """A ``.sync`` job that ended Failed or Stopped: States.TaskFailed with the Describe* response."""
    moto = _moto()
    error = moto.states_type.StatesTaskFailed
    name = moto.states_name.StatesErrorName(typ=error)
    return _task_failed(task, env, name, error.to_name(), moto.to_json_str(response))


def _new_sagemaker_service() -> Any:
    """A new :class:`StateTaskServiceSageMaker` (what a copy of one is rebuilt from)."""
    return _sfn_service_class()()


@functools.cache
def _sfn_service_class() -> type:
    """:class:`StateTaskServiceSageMaker`, built on moto's callback service (the Batch pattern)."""
    moto = _moto()
    condition = moto.resource.ResourceCondition

    class StateTaskServiceSageMaker(moto.callback.StateTaskServiceCallback):
        """``arn:aws:states:::sagemaker:<action>[.sync]``."""

        def __init__(self) -> None:
            # WaitForTaskToken only so that moto's callback machinery has its endpoint; it is refused below.
            super().__init__(supported_integration_patterns={condition.Sync, condition.WaitForTaskToken})

        def __reduce__(self) -> tuple[Any, ...]:
            # A class made in a function has no importable name: a copied (or pickled) parsed program
            # rebuilds this task's service through the module-level factory, with the same attributes.
            return (_new_sagemaker_service, (), vars(self))

        def _action(self) -> str:
            return self.resource.api_action.lower()

        def _get_supported_parameters(self) -> set[str] | None:
            action = self._action()
            if action not in _SYNC and action not in _REQUEST_RESPONSE:
                return None
            operation = self.resource.api_action[0].upper() + self.resource.api_action[1:]
            return set(_input_members(operation))

        def _validate_service_integration_is_supported(self) -> None:
            super()._validate_service_integration_is_supported()
            if self.resource.condition == condition.WaitForTaskToken:
                raise ValueError(
                    f"{self.resource.resource_arn}: SageMaker does not support .waitForTaskToken"
                )
            if self.resource.condition == condition.Sync and self._action() not in _SYNC:
                raise ValueError(f"{self.resource.resource_arn}: .sync is not supported for this action")

        def _eval_service_task(self, env, resource_runtime_part, normalised_parameters, state_credentials):
            client = moto.client_for(resource_runtime_part.region, "sagemaker", state_credentials)
            response = getattr(client, self._get_boto_service_action())(**normalised_parameters) or {}
            response.pop("ResponseMetadata", None)
            env.stack.append(response)

        def _from_error(self, env, ex):
            if isinstance(ex, ClientError):
                return _refused(self, env, ex)
            return super()._from_error(env=env, ex=ex)

        def _build_sync_resolver(self, env, resource_runtime_part, normalised_parameters, state_credentials):
            describe, name_key, status_key = _SYNC[self._action()]
            client = moto.client_for(resource_runtime_part.region, "sagemaker", state_credentials)
            env.stack.pop()  # the Create* response
            name = normalised_parameters[name_key]

            def resolve() -> dict[str, Any] | None:
                response = getattr(client, describe)(**{name_key: name})
                response.pop("ResponseMetadata", None)
                status = response.get(status_key)
                if status in ("Failed", "Stopped"):
                    raise moto.failure.FailureEventException(_job_failed(self, env, response))
                return response if status == "Completed" else None

            return resolve

        def _eval_sync(self, env, sync_resolver, timeout_seconds, callback_endpoint, heartbeat_endpoint):
            poll = _poll_seconds()
            deadline = None if not timeout_seconds else time.monotonic() + float(timeout_seconds)
            while env.is_running():
                result = sync_resolver()
                if result:
                    return result
                if deadline is not None and time.monotonic() >= deadline:
                    raise moto.failure.FailureEventException(self._get_timed_out_failure_event(env))
                time.sleep(poll)
            return None

    return StateTaskServiceSageMaker
