"""The ``ValidatedSettings`` custom resource's answer to CloudFormation: the settings checked against the
schema, returned as attributes for ``!GetAtt``, or FAILED with the reason, which fails the deploy.

Pure (no network): the validator Lambda sends the answer to the request's ``ResponseURL``; the local cloud
deploys with the same answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drift_retrain.exceptions import ConfigError
from drift_retrain.settings.values import parse_settings, template_attributes

__all__ = ["PHYSICAL_ID", "custom_resource_response"]

PHYSICAL_ID = "drift-retrain-settings"


def custom_resource_response(event: Mapping[str, Any]) -> dict[str, Any]:
    """The response body for a CloudFormation custom resource request (Create, Update or Delete).

    Delete always succeeds (settings hold nothing to clean up, and a stack must stay deletable).
    """
    response: dict[str, Any] = {
        "Status": "SUCCESS",
        "PhysicalResourceId": event.get("PhysicalResourceId") or PHYSICAL_ID,
        "StackId": event.get("StackId", ""),
        "RequestId": event.get("RequestId", ""),
        "LogicalResourceId": event.get("LogicalResourceId", ""),
    }
    if event.get("RequestType") == "Delete":
        return response
    properties = event.get("ResourceProperties") or {}
    try:
        values = parse_settings(properties.get("Settings"))
    except ConfigError as error:
        return {**response, "Status": "FAILED", "Reason": f"Settings: {error} (docs/configuration.md)"}
    return {**response, "Data": template_attributes(values)}
