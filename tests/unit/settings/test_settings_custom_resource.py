"""The ``ValidatedSettings`` custom resource's answer to CloudFormation."""

from __future__ import annotations

from drift_retrain.settings.cfn import PHYSICAL_ID, custom_resource_response

EVENT = {
    "RequestType": "Create",
    "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
    "RequestId": "r-1",
    "LogicalResourceId": "ValidatedSettings",
    "ResourceProperties": {"ServiceToken": "arn:...", "Settings": '{"endpoint_poll_seconds": 5}'},
}


def test_valid_settings_succeed_with_every_template_attribute():
    answer = custom_resource_response(EVENT)
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == PHYSICAL_ID
    assert (answer["StackId"], answer["RequestId"], answer["LogicalResourceId"]) == (
        EVENT["StackId"], "r-1", "ValidatedSettings",
    )  # fmt: skip
    assert answer["Data"]["EndpointPollSeconds"] == "5" and answer["Data"]["EndpointMaxPolls"] == "180"


def test_a_bad_key_fails_the_request_naming_the_nearest_key():
    event = {**EVENT, "ResourceProperties": {"Settings": '{"endpoint_pol_seconds": 5}'}}
    answer = custom_resource_response(event)
    assert answer["Status"] == "FAILED"
    assert (
        "unknown setting 'endpoint_pol_seconds' (did you mean 'endpoint_poll_seconds'?)" in answer["Reason"]
    )
    assert "Data" not in answer


def test_an_update_is_checked_and_keeps_its_physical_id():
    event = {**EVENT, "RequestType": "Update", "PhysicalResourceId": "kept",
             "ResourceProperties": {"Settings": '{"lock_max_waits": 301}'}}  # fmt: skip
    answer = custom_resource_response(event)
    assert answer["Status"] == "FAILED" and answer["PhysicalResourceId"] == "kept"
    assert "lock_max_waits must be from 1 to 300, got 301" in answer["Reason"]


def test_a_delete_always_succeeds_so_the_stack_stays_deletable():
    event = {**EVENT, "RequestType": "Delete", "ResourceProperties": {"Settings": '{"bad": 1}'}}
    assert custom_resource_response(event)["Status"] == "SUCCESS"
