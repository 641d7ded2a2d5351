"""The Parallel-state fix for moto: guarded, reversible, and right about error names."""

from __future__ import annotations

from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl

from drift_retrain_local.seams import parallel as parallel_seam


def test_the_hooked_moto_symbol_is_where_the_pinned_moto_has_it():
    parallel_seam.check()  # raises MotoHookMovedError when moto moves it


def test_install_names_states_errors_and_uninstall_restores_moto():
    parallel_seam.install()
    try:
        failed = branches_decl.CustomErrorName(error_name="States.TaskFailed")
        assert isinstance(failed, StatesErrorName) and failed.error_name == "States.TaskFailed"
        custom = branches_decl.CustomErrorName(error_name="TransformOutputMissingError")
        assert isinstance(custom, CustomErrorName) and custom.error_name == "TransformOutputMissingError"
        assert (
            branches_decl.CustomErrorName(error_name="States.SomethingNew").error_name
            == "States.SomethingNew"
        )
    finally:
        parallel_seam.uninstall()
    assert branches_decl.CustomErrorName is CustomErrorName
