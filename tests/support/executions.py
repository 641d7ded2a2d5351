"""Running a Step Functions definition on a local cloud to its end, for the seam tests."""

from __future__ import annotations

import json
import time
from typing import Any

#: The role every state machine created by a test names (the local cloud does not check it).
ROLE = "arn:aws:iam::123456789012:role/local"


def wait_until_done(sfn: Any, arn: str, *, timeout: float = 20.0) -> dict[str, Any]:
    """The execution's description once it is no longer RUNNING; fails after ``timeout`` real seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError(f"execution {arn} still running after {timeout} s")


def run_definition(
    cloud: Any, name: str, definition: dict[str, Any], payload: Any = None, *, timeout: float = 20.0
) -> dict[str, Any]:
    """Create state machine ``name`` from ``definition``, run it on ``payload`` and return its description."""
    sfn = cloud.client("stepfunctions")
    machine = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)
    started = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps(payload or {}))
    return wait_until_done(sfn, started["executionArn"], timeout=timeout)
