"""``drift-retrain repair``: finish a promotion whose endpoint swap happened but whose bookkeeping did not.

A run that ends in ``PromotedIncomplete`` has the candidate serving while the baseline profile, the
model registry or the lineage record may still describe the previous champion. PromoteModel is
idempotent, so the repair re-invokes it with the exact input the execution gave it (read from the
execution's history), after checking that the endpoint still serves that execution's endpoint config:
if it does not (a later retrain swapped again, or someone rolled back by hand), there is nothing to
repair and the command says what serves instead.

Works against AWS with the default credentials, and against the local cloud through
``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["PROMOTE_STATE", "RepairError", "RepairResult", "promotion_input", "repair"]

#: The state whose input is replayed (statemachine/retrain.asl.json).
PROMOTE_STATE = "Promote candidate"


class RepairError(RuntimeError):
    """The execution cannot be repaired (with the reason, for the person who asked)."""


@dataclass(frozen=True)
class RepairResult:
    execution_arn: str
    endpoint: str
    endpoint_config: str
    promotion: dict[str, Any]


def promotion_input(sfn: Any, execution_arn: str) -> tuple[str, dict[str, Any]]:
    """The function and payload of the execution's last PromoteModel invocation."""
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        events.extend(page["events"])
    entered = False
    scheduled: dict[str, Any] | None = None
    for event in events:
        if event["type"] == "TaskStateEntered":
            entered = event["stateEnteredEventDetails"]["name"] == PROMOTE_STATE
        elif event["type"] == "TaskScheduled" and entered:
            scheduled = event["taskScheduledEventDetails"]
    if scheduled is None:
        raise RepairError(f"{execution_arn} never reached '{PROMOTE_STATE}': there is no promotion to finish")
    parameters = json.loads(scheduled["parameters"])
    return str(parameters["FunctionName"]), dict(parameters["Payload"])


def repair(sfn: Any, lambda_client: Any, sagemaker: Any, execution_arn: str) -> RepairResult:
    """Re-run PromoteModel for ``execution_arn`` if its endpoint config still serves; its summary."""
    function, payload = promotion_input(sfn, execution_arn)
    endpoint = str(payload.get("endpoint_name") or "")
    expected = str(((payload.get("data") or {}).get("names") or {}).get("endpoint_config") or "")
    serving = sagemaker.describe_endpoint(EndpointName=endpoint)
    if serving.get("EndpointConfigName") != expected or serving.get("EndpointStatus") != "InService":
        raise RepairError(
            f"endpoint {endpoint} is {serving.get('EndpointStatus')} on {serving.get('EndpointConfigName')}, "
            f"not on this execution's {expected}: nothing to repair (the baseline follows what serves)"
        )
    response = lambda_client.invoke(FunctionName=function, Payload=json.dumps(payload).encode())
    body = json.loads(response["Payload"].read() or b"{}")
    if response.get("FunctionError"):
        raise RepairError(f"PromoteModel failed again: {body.get('errorType')}: {body.get('errorMessage')}")
    return RepairResult(execution_arn, endpoint, expected, body)
