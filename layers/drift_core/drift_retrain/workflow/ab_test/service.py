"""The AbTest step: open the A/B record with the execution's task token, and close it on every way out.

``start`` runs as the ``lambda:invoke.waitForTaskToken`` task right after the endpoint serves both
variants: it writes ``ab/current.json`` (token, variants and models, start, deadline, the test's
settings, no evidence yet) and returns; the execution then waits until DetectDrift completes the token
(:mod:`drift_retrain.detect.ab_test`) or the task's heartbeat or maximum duration runs out.

``finish`` runs after the decision on every path (won, lost, timed out, failed): it returns the online
evidence the record holds and deletes the record, so no later batch is scored against a finished test.
Both are idempotent: a retried ``start`` writes the same record with the new token, a retried ``finish``
finds nothing and says so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from drift_retrain.aws.ab_record import delete_record, read_record, write_record
from drift_retrain.engine.ab_evidence import evidence_summary, new_record
from drift_retrain.workflow.shared.exceptions import WorkflowInputError

__all__ = ["AbTestSettings", "finish_ab_test", "handle", "start_ab_test"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AbTestSettings:
    bucket: str

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> AbTestSettings:
        bucket = (environ.get("DATA_BUCKET") or "").strip()
        if not bucket:
            raise WorkflowInputError("DATA_BUCKET is not set")
        return cls(bucket=bucket)


def _required(event: Mapping[str, Any], name: str) -> Any:
    value = event.get(name)
    if value in (None, ""):
        raise WorkflowInputError(f"the AbTest event has no {name!r}")
    return value


def start_ab_test(
    s3: Any, settings: AbTestSettings, event: Mapping[str, Any], now: datetime | None = None
) -> dict[str, Any]:
    """Write the record that DetectDrift adds evidence to; returns where it is."""
    test = _required(event, "test")
    record = new_record(
        task_token=_required(event, "task_token"),
        execution_arn=_required(event, "execution_arn"),
        endpoint_name=_required(event, "endpoint_name"),
        champion=_required(event, "champion"),
        candidate=_required(event, "candidate"),
        traffic_share=float(test["traffic_percent"]) / 100,
        alpha=float(test["alpha"]),
        min_rows=int(test["min_rows"]),
        max_duration_seconds=int(test["max_duration_seconds"]),
        now=now or datetime.now(UTC),
    )
    write_record(s3, settings.bucket, record)
    logger.info(
        "A/B test started", extra={k: record[k] for k in ("execution_arn", "traffic_share", "variants")}
    )
    return {"record": f"s3://{settings.bucket}/ab/current.json", "started_at": record["started_at"]}


def finish_ab_test(s3: Any, settings: AbTestSettings, event: Mapping[str, Any]) -> dict[str, Any]:
    """The evidence of this execution's test, and the record deleted (another execution's is left alone)."""
    execution_arn = _required(event, "execution_arn")
    stored = read_record(s3, settings.bucket)
    if stored is None:
        return {"found": False, "evidence": None}
    record, _ = stored
    if record.get("execution_arn") != execution_arn:
        logger.warning(
            "A/B record belongs to another execution; left in place",
            extra={"owner": record.get("execution_arn")},
        )
        return {"found": False, "evidence": None}
    delete_record(s3, settings.bucket)
    logger.info("A/B test closed", extra={"decision": record.get("decision")})
    return {"found": True, "evidence": evidence_summary(record)}


def handle(s3: Any, settings: AbTestSettings, event: Mapping[str, Any]) -> dict[str, Any]:
    """Dispatch on ``event["action"]`` (``start`` or ``finish``)."""
    action = event.get("action")
    if action == "start":
        return start_ab_test(s3, settings, event)
    if action == "finish":
        return finish_ab_test(s3, settings, event)
    raise WorkflowInputError(f"unknown AbTest action {action!r} (start or finish)")
