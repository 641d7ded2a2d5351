"""The chaos table: each fault the local cloud can inject, what the service must then do, and the table in
docs/failure-handling.md rendered from the same rows (``python tests/statemachine/chaos_rows.py`` rewrites it).

A row arms its fault on the running local cloud, uploads a batch of one kind (``calm``: what the champion
predicts well; ``winner``: a concept change a candidate learns, so a retrain starts and reaches the swap
unless the fault ends it first) and names the outcome. ``test_chaos.py`` runs every row through the same invariants.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drift_retrain_local.cloud.api_faults import S3_INTERNAL_ERROR, S3_SLOW_DOWN, THROTTLING, ApiError
from drift_retrain_local.sagemaker.failures import LAMBDA, LAMBDA_OOM, LAMBDA_TIMEOUT

if TYPE_CHECKING:
    from drift_retrain_local.cloud.local_cloud import LocalCloud

DOC = Path(__file__).resolve().parents[2] / "docs" / "failure-handling.md"
TABLE_START, TABLE_END = "<!-- chaos-table:start -->", "<!-- chaos-table:end -->"

#: The registry refusing the model package (not retried by botocore: the run's Retry is what retries).
REGISTRY_REFUSAL = ApiError(400, "ValidationException", "injected registry refusal (local cloud)")

Arm = Callable[["LocalCloud"], list[Any]]


@dataclass(frozen=True)
class Row:
    """One fault and what must follow."""

    id: str
    fault: str  # the table: the fault, as an operator would name it
    result: str  # the table: what the service does about it
    outcome: str  # the batch's outcome (BatchRunner's codes)
    batch: str  # calm | winner | calm-partition (a calm batch as three parts and _SUCCESS)
    arm: Arm
    #: The outcome leaves the baseline behind what serves (said so in the notification): repair, then recheck.
    repair: bool = False
    #: DetectDrift gives up on the batch: its event must wait on the failure queue.
    queued: bool = False
    #: The notification subject's detail, the words in parentheses (a regular expression): exactly what
    #: serves (a failure adds ": <what failed>"). None: the row sends no workflow notice.
    detail: str | None = None
    #: What failed, in the words of the notice ("What failed: ..." in the body, after the detail in the
    #: subject unless SNS's 100 characters cut it).
    failure: str | None = None


def _lambda_fault(function: str, times: int | None = None, how: str = LAMBDA) -> Arm:
    return lambda cloud: [cloud.failures.fail_lambda(function, times=times, how=how)]


def _api(service: str, operation: str, error: ApiError, **kwargs: Any) -> Arm:
    def arm(cloud: LocalCloud) -> list[Any]:
        assert cloud.api_faults is not None
        return [cloud.api_faults.fail(service, operation, error=error, **kwargs)]

    return arm


#: The subject details of each outcome the rows reach (the notice says exactly what serves).
SWAP = r"error rate \d+\.\d% -> \d+\.\d%"
KEEPS = "champion keeps serving"
STEP_FAILED = "a workflow step failed"
REPAIR = "run drift-retrain repair"

QUEUED = "after Lambda's retries the event waits on DetectDrift's failure queue (alarmed) for `drift-retrain redrive`"
FAILED = "retrain failed; champion keeps serving"

ROWS: tuple[Row, ...] = (
    Row(
        "detect-crash-once",
        "DetectDrift crashes once",
        "Lambda's retry checks the batch",
        "no_drift",
        "calm",
        _lambda_fault("DetectDriftFunction", times=1),
    ),
    Row(
        "detect-crash",
        "DetectDrift crashes on every attempt",
        QUEUED,
        "failed",
        "calm",
        _lambda_fault("DetectDriftFunction"),
        queued=True,
    ),
    Row(
        "detect-timeout",
        "DetectDrift times out on every attempt",
        QUEUED,
        "failed",
        "calm",
        _lambda_fault("DetectDriftFunction", how=LAMBDA_TIMEOUT),
        queued=True,
    ),
    Row(
        "detect-oom",
        "DetectDrift runs out of memory on every attempt",
        QUEUED,
        "failed",
        "calm",
        _lambda_fault("DetectDriftFunction", how=LAMBDA_OOM),
        queued=True,
    ),
    Row(
        "s3-read-absorbed",
        "S3 SlowDown (503) twice on reading the batch",
        "absorbed by botocore's retries; batch checked",
        "no_drift",
        "calm",
        _api("s3", "GetObject", S3_SLOW_DOWN, key_prefix="incoming/", times=2),
    ),
    Row(
        "s3-write-absorbed",
        "S3 500 twice on writing the drift report",
        "absorbed by botocore's retries; batch checked",
        "no_drift",
        "calm",
        _api("s3", "PutObject", S3_INTERNAL_ERROR, key_prefix="reports/drift/", times=2),
    ),
    Row(
        "s3-read-exhausted",
        "S3 SlowDown (503) on every read of the batch",
        QUEUED,
        "failed",
        "calm",
        _api("s3", "GetObject", S3_SLOW_DOWN, key_prefix="incoming/"),
        queued=True,
    ),
    Row(
        "summarise-part-crash",
        "SummarisePart crashes on every attempt (a partition checked on the Distributed Map)",
        "each child retried, then the map fails; the partition quarantined as `part_check_failed` naming "
        "the part (its parts untouched), notified",
        "quarantined",
        "calm-partition",
        _lambda_fault("SummarisePartFunction"),
    ),
    Row(
        "prepare-crash",
        "PrepareTrainingData crashes",
        FAILED,
        "failed",
        "winner",
        _lambda_fault("PrepareTrainingDataFunction"),
        detail=KEEPS,
        failure=STEP_FAILED,
    ),
    Row(
        "evaluate-crash",
        "EvaluateCandidate crashes",
        FAILED,
        "failed",
        "winner",
        _lambda_fault("EvaluateCandidateFunction"),
        detail=KEEPS,
        failure=STEP_FAILED,
    ),
    Row(
        "s3-write-exhausted",
        "S3 500 on every write of the training data",
        FAILED,
        "failed",
        "winner",
        _api("s3", "PutObject", S3_INTERNAL_ERROR, key_prefix="training/"),
        detail=KEEPS,
        failure=STEP_FAILED,
    ),
    Row(
        "s3-transform-read-exhausted",
        "S3 SlowDown (503) on every read of the transform outputs",
        FAILED,
        "failed",
        "winner",
        _api("s3", "GetObject", S3_SLOW_DOWN, key_prefix="transforms/"),
        detail=KEEPS,
        failure=STEP_FAILED,
    ),
    Row(
        "training-fails",
        "every training job fails",
        FAILED,
        "failed",
        "winner",
        lambda cloud: [cloud.failures.fail_training()],
        detail=KEEPS,
        failure="no candidate could be trained and scored",
    ),
    Row(
        "transform-fails",
        "the champion's transform job fails",
        FAILED,
        "failed",
        "winner",
        lambda cloud: [cloud.failures.fail_transform("*-champ", times=1)],
        detail=KEEPS,
        failure=STEP_FAILED,
    ),
    Row(
        "update-rolls-back",
        "the blue/green endpoint update rolls back",
        FAILED,
        "failed",
        "winner",
        lambda cloud: [cloud.failures.roll_back_update(times=1)],
        detail=KEEPS,
        failure="deployment rolled back",
    ),
    Row(
        "sm-throttle-training",
        "SageMaker throttles CreateTrainingJob",
        "the state's Retry absorbs it; the candidate is promoted as usual",
        "promoted",
        "winner",
        _api("sagemaker", "CreateTrainingJob", THROTTLING, times=1, unretried_only=True),
        detail=SWAP,
    ),
    Row(
        "sm-throttle-describe",
        "SageMaker throttles DescribeEndpoint three times in a row",
        "the state's Retry absorbs it; the candidate is promoted as usual",
        "promoted",
        "winner",
        _api("sagemaker", "DescribeEndpoint", THROTTLING, times=3, unretried_only=True),
        detail=SWAP,
    ),
    Row(
        "notify-crash",
        "Notify crashes once",
        "retried; the promotion is notified",
        "promoted",
        "winner",
        _lambda_fault("NotifyFunction", times=1),
        detail=SWAP,
    ),
    Row(
        "promote-crash",
        "PromoteModel crashes on every attempt, before it writes the profile (after the swap)",
        "promoted incomplete: candidate serves, notice says so; `drift-retrain repair` finishes it",
        "promoted_incomplete",
        "winner",
        _lambda_fault("PromoteModelFunction"),
        repair=True,
        detail=REPAIR,
    ),
    Row(
        "promote-registry",
        "PromoteModel fails after writing the profile (the registry refuses the package)",
        "promoted incomplete: candidate serves with its profile; `drift-retrain repair` registers it",
        "promoted_incomplete",
        "winner",
        _api("sagemaker", "CreateModelPackage", REGISTRY_REFUSAL),
        repair=True,
        detail=REPAIR,
    ),
)


def render_table(rows: tuple[Row, ...] = ROWS) -> str:
    """The chaos table: fault | outcome | batches lost (every row asserts 0)."""
    lines = ["| fault | outcome | batches lost |", "|---|---|---|"]
    lines += [f"| {row.fault} | {row.result} | 0 |" for row in rows]
    return "\n".join(lines)


def doc_table(text: str) -> str:
    """The table between the page's chaos-table markers."""
    match = re.search(re.escape(TABLE_START) + r"\n(.*?)\n" + re.escape(TABLE_END), text, re.S)
    return match.group(1).strip() if match else ""


def write_doc(path: Path = DOC) -> None:
    text = path.read_text(encoding="utf-8")
    current = doc_table(text)
    if not current:
        sys.exit(f"{path}: no {TABLE_START} ... {TABLE_END} markers")
    path.write_text(text.replace(current, render_table()), encoding="utf-8")


if __name__ == "__main__":
    write_doc()
