"""Following an A/B promotion from outside (``drift-retrain local run --promotion ab`` and the tests).

An A/B execution does not end on its own: it waits on a task token until later labelled batches decide.
The runner therefore stops watching it once it waits (with the record written), uploads the next
batches, and follows it to its end when DetectDrift reports the decision (or when it left the wait on
its heartbeat or maximum duration). What it shows in ``timeline.json``: the test started at w, each
batch's evidence, the decision, the weight shift and the single variant left serving.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from drift_retrain.layout import AB_RECORD_KEY

__all__ = [
    "AB_STEPS",
    "AB_WAIT_STATE",
    "ab_record",
    "ab_steps",
    "endpoint_variants",
    "evidence_entry",
    "started_entry",
    "waits_for_decision",
]

AB_WAIT_STATE = "Wait for the A/B test decision"
#: The states that tell an A/B promotion's story, in the order they can happen.
AB_STEPS = (
    "Start the A/B test with a blue/green update",
    AB_WAIT_STATE,
    "The A/B test ended without a decision",
    "Close the A/B record",
    "Shift all traffic to the candidate variant",
    "Shift all traffic back to the champion variant",
    "Remove the champion variant",
    "Remove the candidate variant",
    "Promote candidate",
    "Record A/B rejection",
)


def ab_record(s3: Any, bucket: str) -> dict[str, Any] | None:
    """The running test's record, or ``None``."""
    try:
        return json.loads(s3.get_object(Bucket=bucket, Key=AB_RECORD_KEY)["Body"].read())
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise


def waits_for_decision(s3: Any, bucket: str, arn: str) -> Callable[[Callable[[], list[str]]], bool]:
    """``pause(path_of)`` for :func:`~drift_retrain_local.run.observe.wait_for_execution`: the execution's
    A/B record is written (so the next batch is scored on both variants) and it sits in the token task.
    The record is read first: until it names this execution, no history is read."""

    def pause(path_of: Callable[[], list[str]]) -> bool:
        record = ab_record(s3, bucket)
        if record is None or record.get("execution_arn") != arn:
            return False
        path = path_of()
        return bool(path) and path[-1] == AB_WAIT_STATE

    return pause


def endpoint_variants(sagemaker: Any, endpoint_name: str) -> list[dict[str, Any]]:
    """``[{variant, weight}]`` serving now (empty when there is no endpoint)."""
    try:
        described = sagemaker.describe_endpoint(EndpointName=endpoint_name)
    except ClientError:
        return []
    return [
        {"variant": v["VariantName"], "weight": v.get("CurrentWeight")}
        for v in described.get("ProductionVariants") or []
    ]


def started_entry(record: dict[str, Any]) -> dict[str, Any]:
    """The timeline's note of a test that started: share, variants and models, the test's settings."""
    return {
        "event": "started",
        "traffic_share": record.get("traffic_share"),
        "variants": record.get("variants"),
        "test": record.get("test"),
        "started_at": record.get("started_at"),
        "deadline": record.get("deadline"),
    }


def evidence_entry(look: dict[str, Any]) -> dict[str, Any]:
    """The timeline's note of one batch's look: its rows, the evidence so far, the decision if any."""
    evidence = look.get("evidence") or {}
    keep = (
        "batches",
        "rows",
        "metric",
        "champion_error",
        "candidate_error",
        "statistic",
        "boundary",
        "p_value",
    )
    return {
        "event": "decided" if look.get("decision") else ("evidence" if look.get("added") else "not counted"),
        "batch_rows": look.get("rows"),
        "counted": bool(look.get("added")),
        "evidence": {k: evidence.get(k) for k in keep},
        "decision": look.get("decision"),
        "skipped": look.get("skipped"),
    }


def ab_steps(path: list[str]) -> list[str]:
    """The A/B states an execution went through, in order (none when it ran no A/B test)."""
    if AB_STEPS[0] not in path:
        return []
    return [name for name in path if name in AB_STEPS]
