"""A bad ``Settings`` parameter fails the local deploy as it fails a real one: the ``ValidatedSettings``
custom resource answers FAILED, naming the bad key and the nearest valid one, before any resource exists."""

from __future__ import annotations

import pytest

from drift_retrain_local.cloud.local_cloud import REPOSITORY_TEMPLATE, local_cloud
from drift_retrain_local.exceptions import DeployError, TemplateError
from drift_retrain_local.stack.deploy import deploy_stack
from drift_retrain_local.stack.template import StackTemplate


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ('{"alpah": 0.01}', "unknown setting 'alpah' (did you mean 'alpha'?)"),
        ('{"endpoint_max_polls": 721}', "endpoint_max_polls must be from 1 to 720, got 721"),
        ('{"spot_training": "yes"}', "spot_training must be true or false, got 'yes'"),
        ('{"alpha": 0.01', "Settings is not valid JSON"),
    ],
)
def test_a_bad_setting_fails_the_local_deploy(settings: str, message: str) -> None:
    with pytest.raises(DeployError) as failure, local_cloud(parameters={"Settings": settings}):
        pytest.fail("the stack deployed")
    assert "ValidatedSettings (Custom::ValidatedSettings): Received response status [FAILED]" in str(
        failure.value
    )
    assert message in str(failure.value)


def test_deploy_stack_asks_the_custom_resource_before_creating_anything() -> None:
    """``deploy_stack`` itself answers the custom resource first: it refuses with no AWS session at all."""
    template = StackTemplate.from_file(
        REPOSITORY_TEMPLATE, parameters={"Settings": '{"min_labelled_rowz": 1}'}
    )
    with pytest.raises(DeployError, match="did you mean 'min_labelled_rows'"):
        deploy_stack(template, session=None)


def test_a_bad_setting_given_as_settings_fails_before_the_deploy() -> None:
    with pytest.raises(
        TemplateError, match="unknown setting 'lock_max_wait' \\(did you mean 'lock_max_waits'\\?\\)"
    ):
        StackTemplate.from_file(REPOSITORY_TEMPLATE, settings={"lock_max_wait": 3})
