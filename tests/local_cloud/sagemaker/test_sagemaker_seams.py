"""Fail loudly if the pinned moto moves what the local SageMaker hooks into, and leave moto as found."""

from __future__ import annotations

import importlib

import pytest

from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.sagemaker.service import LocalSageMaker
from drift_retrain_local.seams import sagemaker as moto_seams

FACTORY = "moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_factory"
AWS_SDK = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk"


def _hooked() -> dict[str, object]:
    from moto.sagemaker.models import SageMakerModelBackend
    from moto.sagemaker.responses import SageMakerResponse
    from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

    return {
        "create_training_job": vars(SageMakerModelBackend)["create_training_job"],
        "create_transform_job": vars(SageMakerModelBackend)["create_transform_job"],
        "create_endpoint": vars(SageMakerModelBackend)["create_endpoint"],
        "tuning": vars(SageMakerModelBackend)["create_hyper_parameter_tuning_job"],
        "backend_update": vars(SageMakerModelBackend).get("update_endpoint"),
        "response_update": vars(SageMakerResponse).get("update_endpoint"),
        "invoke": vars(SageMakerRuntimeResponse)["invoke_endpoint"],
        "factory": importlib.import_module(FACTORY).state_task_service_for,
        "sdk_errors": dict(importlib.import_module(AWS_SDK)._SERVICE_ERROR_NAMES),
    }


def test_every_hooked_moto_symbol_is_where_moto_5_2_5_has_it() -> None:
    moto_seams.check()


def test_moto_has_no_update_endpoint_of_its_own() -> None:
    before = _hooked()
    assert before["backend_update"] is None and before["response_update"] is None


def test_check_fails_loudly_when_a_hooked_signature_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.sagemaker.models import SageMakerModelBackend

    monkeypatch.setattr(SageMakerModelBackend, "create_endpoint", lambda self, endpoint_name, config: None)
    with pytest.raises(MotoHookMovedError, match="create_endpoint has a new signature"):
        moto_seams.check()


def test_check_fails_loudly_when_the_task_factory_moves(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importlib.import_module(FACTORY), "state_task_service_for", lambda service_name: None)
    with pytest.raises(MotoHookMovedError, match="state_task_service_for"):
        moto_seams.check()


def test_install_then_uninstall_restores_moto_exactly() -> None:
    before = _hooked()
    service = LocalSageMaker(lambda: None)
    moto_seams.install(service)
    try:
        during = _hooked()
        assert during["factory"] is not before["factory"]
        assert during["backend_update"] is not None and during["response_update"] is not None
        assert during["sdk_errors"]["sagemaker"] == "SageMaker"
        moto_seams.check()  # still passes with the hooks in place
        with pytest.raises(RuntimeError, match="already installed"):
            moto_seams.install(service)
    finally:
        moto_seams.uninstall()
    assert _hooked() == before
    assert moto_seams.installed() is None


def test_every_seam_checks_its_moto_internals_in_one_call():
    from drift_retrain_local.seams import check_all

    check_all()  # raises MotoHookMovedError naming the symbol when moto moved one


def test_a_sync_task_times_out_after_its_timeout_seconds():
    """A ``.sync`` SageMaker task whose job never finishes ends with States.Timeout, as on AWS."""
    import time
    from types import SimpleNamespace

    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEventException,
    )

    from drift_retrain_local.seams.sfn_sagemaker import state_task_service_for

    service = state_task_service_for("sagemaker")
    service.resource = SimpleNamespace(
        api_action="createTransformJob", service_name="sagemaker", condition="sync"
    )
    env = SimpleNamespace(
        is_running=lambda: True,
        next_state_name="Score candidate on held-out rows",
        event_history_context=SimpleNamespace(source_event_id=0),
    )
    started = time.monotonic()
    with pytest.raises(FailureEventException) as caught:
        service._eval_sync(env, lambda: None, 0.3, None, None)
    assert 0.3 <= time.monotonic() - started < 5
    assert caught.value.failure_event.error_name.error_name == "States.Timeout"
