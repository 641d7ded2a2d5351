"""Fail loudly if the pinned moto moves what the local SageMaker hooks into, and leave moto as found."""

from __future__ import annotations

import importlib

import pytest

from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.sagemaker import moto_seams
from drift_retrain_local.sagemaker.service import LocalSageMaker

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
