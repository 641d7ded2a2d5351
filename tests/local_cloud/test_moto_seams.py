"""Fail loudly if the pinned moto moves what the local cloud hooks into."""

from __future__ import annotations

import inspect

from drift_retrain_local.seams import eventbridge as eventbridge_seam


def test_eventbridge_rule_seam_is_where_moto_5_2_has_it() -> None:
    eventbridge_seam.check()


def test_asl_lambda_tasks_make_their_client_from_boto3s_default_session() -> None:
    """The Lambda hook is installed on boto3's default session: moto's interpreter must still use it."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.utils import boto_client

    assert "boto3.client(" in inspect.getsource(boto_client.boto_client_for)
    assert "boto_client_for(" in inspect.getsource(lambda_eval_utils._invoke_lambda_function)
    assert "MOTO_PORT" in inspect.getsource(__import__("moto.settings").settings.moto_server_port)


def test_lambda_invoke_seam_is_where_moto_5_2_has_it() -> None:
    """redrive and repair from another process reach the handlers through LambdaBackend.invoke."""
    from drift_retrain_local.seams import lambda_invoke

    lambda_invoke.check()
