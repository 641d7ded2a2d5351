"""The template's custom resources, answered as CloudFormation's deploy would get them answered.

Each ``Custom::`` type maps to the function that computes its Lambda's answer (the same code the deployed
Lambda runs; only the transport, a PUT to CloudFormation's pre-signed URL, is left out). A FAILED answer
fails the local deploy with the answer's reason, as it fails a real one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from drift_retrain.settings.cfn import custom_resource_response
from drift_retrain_local.exceptions import DeployError

__all__ = ["PROVIDERS", "create_custom_resource"]

#: ``Custom::`` type -> the answer its Lambda gives to a request.
PROVIDERS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "Custom::ValidatedSettings": custom_resource_response,
}


def create_custom_resource(
    logical_id: str, kind: str, properties: Mapping[str, Any], stack_id: str
) -> dict[str, str]:
    """The attributes (``!GetAtt``) of a custom resource after its Create request; ``DeployError`` on FAILED."""
    provider = PROVIDERS.get(kind)
    if provider is None:
        raise DeployError(f"{logical_id}: no local provider for {kind}")
    answer = provider(
        {
            "RequestType": "Create",
            "StackId": stack_id,
            "RequestId": f"local-{logical_id}",
            "LogicalResourceId": logical_id,
            "ResourceType": kind,
            "ResourceProperties": dict(properties),
        }
    )
    if answer["Status"] != "SUCCESS":
        raise DeployError(
            f"{logical_id} ({kind}): Received response status [FAILED] from custom resource. "
            f"Message returned: {answer.get('Reason', '')}"
        )
    return {key: str(value) for key, value in (answer.get("Data") or {}).items()}
