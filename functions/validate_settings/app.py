"""ValidateSettings: the ``ValidatedSettings`` custom resource. Checks the stack's ``Settings`` JSON against
the settings schema at deploy time and answers CloudFormation: the values as attributes, or FAILED with the
bad key and the nearest valid one, which fails (and rolls back) the deploy.

The answer is ``drift_retrain.settings.cfn.custom_resource_response``; this handler only sends it to the
request's pre-signed ``ResponseURL``, as the custom resource protocol requires.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from drift_retrain.settings.cfn import PHYSICAL_ID, custom_resource_response

logger = Logger()


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        response = custom_resource_response(event)
    except Exception as error:  # an answer must always go back, or CloudFormation waits for an hour
        logger.exception("settings validation crashed")
        response = {
            "Status": "FAILED",
            "Reason": f"settings validation crashed: {error}",
            "PhysicalResourceId": event.get("PhysicalResourceId") or PHYSICAL_ID,
            "StackId": event.get("StackId", ""),
            "RequestId": event.get("RequestId", ""),
            "LogicalResourceId": event.get("LogicalResourceId", ""),
        }
    logger.info("settings", extra={"status": response["Status"], "reason": response.get("Reason", "")})
    send(event["ResponseURL"], response)
    return response


def send(url: str, response: dict[str, Any]) -> None:
    """PUT the answer to CloudFormation's pre-signed S3 URL (content type empty, as the URL is signed)."""
    body = json.dumps(response).encode("utf-8")
    if not url.startswith("https://"):
        raise ValueError(f"ResponseURL must be https, got {url[:40]!r}")
    request = urllib.request.Request(
        url, data=body, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(body))}
    )
    with urllib.request.urlopen(request, timeout=20) as answer:
        answer.read()
