"""One scenario through the REAL local service: the ``local run`` machinery used as a library.

Why through the service and not a re-implementation: the point is to measure the policy that ships
(DetectDrift's tests and retrain policy, PrepareTrainingData's window, the state machine's evaluation and
promotion), as it is at the moment of the run. The serving model's prequential error on batch i is read
from batch i's drift report (``concept_drift.error``): DetectDrift scores the batch's labelled rows
with the champion endpoint before any retrain can use those labels. Batches hold at most
``MAX_PREDICTION_ROWS`` rows, so the figure is exact; a report without a tested concept check, or one that
scored fewer rows than the batch holds, stops the benchmark.

Training and transform jobs are counted by asking the local SageMaker (ListTrainingJobs /
DescribeTrainingJob: BillableTimeInSeconds, ResourceConfig; ListTransformJobs / DescribeTransformJob:
TransformStartTime..TransformEndTime, TransformResources), and attributed to the batch whose upload
started them. The bootstrap's jobs (the first model, common to every policy) are kept apart.

Challengers (a retrain started with no loss evidence) are read from the drift report's ``challenger``
field, or the runner's timeline entry's, when the service has one (``challenger``); a service without
the field gets None per batch, shown as "n/a", never as 0.
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from drift_retrain.engine.challenger import CHALLENGE
from drift_retrain_local.run.batches import BatchRunner

__all__ = ["BenchmarkError", "ServiceRun", "challenger", "run_service"]

SEED_KEY = "seed/train.csv"
#: Keys of a ``challenger`` object that say it ran.
_RAN_KEYS = ("ran", "started", "run", "trained", "execution", "execution_arn")


class BenchmarkError(RuntimeError):
    """The service did something the benchmark cannot measure (no error figure, no first model)."""


@dataclass
class ServiceRun:
    """What the service did on one scenario."""

    batches: list[dict[str, Any]] = field(default_factory=list)
    bootstrap: dict[str, Any] = field(default_factory=dict)
    bootstrap_job: dict[str, Any] = field(default_factory=dict)
    #: the seed file as the bootstrap's trigger names it (key, ETag): what seeds its split
    seed_file: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def _paged(call: Callable[..., dict[str, Any]], key: str) -> list[dict[str, Any]]:
    items, token = [], None
    while True:
        page = call(MaxResults=100, **({"NextToken": token} if token else {}))
        items.extend(page.get(key) or [])
        token = page.get("NextToken")
        if not token:
            return items


def _seconds(start: Any, end: Any) -> int:
    if start is None or end is None:
        return 0
    return max(1, math.ceil((end - start).total_seconds()))


class JobLedger:
    """The local SageMaker's training and transform jobs, described once each."""

    def __init__(self, sagemaker: Any):
        self.sm = sagemaker
        self.seen: set[str] = set()

    def new_jobs(self) -> list[dict[str, Any]]:
        """Jobs created since the last call (all finished: the runner waited for the execution)."""
        out = []
        for summary in _paged(self.sm.list_training_jobs, "TrainingJobSummaries"):
            name = summary["TrainingJobName"]
            if ("training", name) in self.seen:
                continue
            self.seen.add(("training", name))
            job = self.sm.describe_training_job(TrainingJobName=name)
            resources = job.get("ResourceConfig") or {}
            out.append(
                {
                    "kind": "training",
                    "name": name,
                    "status": job.get("TrainingJobStatus"),
                    "seconds": int(job.get("BillableTimeInSeconds") or job.get("TrainingTimeInSeconds") or 0),
                    "instance_type": resources.get("InstanceType"),
                    "instance_count": int(resources.get("InstanceCount") or 1),
                }
            )
        for summary in _paged(self.sm.list_transform_jobs, "TransformJobSummaries"):
            name = summary["TransformJobName"]
            if ("transform", name) in self.seen:
                continue
            self.seen.add(("transform", name))
            job = self.sm.describe_transform_job(TransformJobName=name)
            resources = job.get("TransformResources") or {}
            out.append(
                {
                    "kind": "transform",
                    "name": name,
                    "status": job.get("TransformJobStatus"),
                    "seconds": _seconds(job.get("TransformStartTime"), job.get("TransformEndTime")),
                    "instance_type": resources.get("InstanceType"),
                    "instance_count": int(resources.get("InstanceCount") or 1),
                }
            )
        return out

    def describe_training(self, name: str) -> dict[str, Any]:
        return self.sm.describe_training_job(TrainingJobName=name)


def _short_error(execution: dict[str, Any]) -> str | None:
    """``Error: message`` of a failed execution (the Lambda's errorMessage when the cause is its JSON)."""
    if not execution.get("error"):
        return None
    cause = str(execution.get("cause") or "")
    with contextlib.suppress(ValueError, AttributeError):
        cause = json.loads(cause).get("errorMessage", cause)
    return f"{execution['error']}: {cause[:300]}{'...' if len(cause) > 300 else ''}"


def _report(runner: BatchRunner, entry: dict[str, Any], rows: int) -> dict[str, Any]:
    detect = entry.get("detect") or {}
    key = detect.get("report_key")
    if not key:
        raise BenchmarkError(
            f"{entry['file']}: DetectDrift wrote no drift report (outcome {entry['outcome']}: "
            f"{detect.get('message')})"
        )
    report = json.loads(runner.s3.get_object(Bucket=runner.bucket, Key=key)["Body"].read())
    concept = report.get("concept_drift") or {}
    if not concept.get("tested"):
        raise BenchmarkError(
            f"{entry['file']}: the drift report has no tested concept drift ({concept.get('reason')}): "
            "no prequential error for this batch"
        )
    if int(concept.get("rows") or 0) != rows:
        raise BenchmarkError(
            f"{entry['file']}: the champion scored {concept.get('rows')} of the batch's {rows} labelled rows "
            "(batches must stay within MAX_PREDICTION_ROWS for an exact prequential error)"
        )
    return report


def challenger(report: Mapping[str, Any], response: Mapping[str, Any], retrained: bool) -> dict[str, Any]:
    """Did this batch start a challenger, and why (not)? ``ran`` None: no challenger field anywhere.

    Read from the report's or the timeline entry's ``challenger`` (an object with ``ran``/``started``/...
    and ``reason``, or a bool); failing that, a retrain whose reasons or trigger name a challenger."""
    for source in (report, response):
        field = source.get("challenger")
        if isinstance(field, bool):
            return {"ran": field and retrained, "reason": None}
        if isinstance(field, Mapping):
            ran = field.get("decision") == CHALLENGE or any(bool(field.get(key)) for key in _RAN_KEYS)
            reason = field.get("reason") or field.get("why") or field.get("message")
            return {"ran": ran, "reason": None if reason is None else str(reason)}
    named = [str(r) for r in report.get("retrain_reasons") or []] + [
        str(response.get("retrain_trigger") or "")
    ]
    if retrained and any("challenger" in text.lower() for text in named):
        return {"ran": True, "reason": "; ".join(t for t in named if "challenger" in t.lower())}
    return {"ran": None, "reason": None}


def run_service(
    cloud: Any,
    train_csv: bytes,
    batches: Sequence[bytes],
    rows: Sequence[int],
    *,
    echo: Callable[[str], None],
    log: Callable[[str], None],
    timeout: float,
) -> ServiceRun:
    """Bootstrap the first model from ``train_csv``, then upload each batch and follow it to the end."""
    started = time.monotonic()
    runner = BatchRunner(cloud, echo, timeout)
    ledger = JobLedger(runner.sagemaker)
    run = ServiceRun()
    put = runner.s3.put_object(Bucket=runner.bucket, Key=SEED_KEY, Body=train_csv)
    run.seed_file = {"key": SEED_KEY, "etag": put["ETag"]}
    boot = runner.bootstrap_key(SEED_KEY)
    jobs = ledger.new_jobs()
    run.bootstrap = {"outcome": boot["outcome"], "jobs": jobs, "execution": boot.get("execution")}
    if boot["outcome"] != "promoted":
        execution = boot.get("execution") or {}
        raise BenchmarkError(
            f"the bootstrap did not deploy a first model: execution {execution.get('status')}, "
            f"{_short_error(execution) or boot['outcome']}"
        )
    training = [j for j in jobs if j["kind"] == "training" and j["status"] == "Completed"]
    if not training:
        raise BenchmarkError("the bootstrap ran no completed training job")
    run.bootstrap_job = ledger.describe_training(training[-1]["name"])
    log(f"  service: first model deployed ({time.monotonic() - started:.0f} s)")
    for i, body in enumerate(batches):
        clock = time.monotonic()
        entry = runner.upload(f"batch-{i:02d}.csv", body)
        report = _report(runner, entry, rows[i])
        concept = report["concept_drift"]
        jobs = ledger.new_jobs()
        execution = entry.get("execution") or {}
        challenge = challenger(report, entry, bool(execution))
        record = {
            "batch": i,
            "outcome": entry["outcome"],
            "error": float(concept["error"]),
            "metric": concept.get("metric"),
            "rows": int(concept["rows"]),
            "baseline_error": concept.get("baseline_error"),
            "concept_drift": bool(concept.get("detected")),
            "concept_p_value": concept.get("p_value"),
            "drifted_features": list(report.get("drifted_features") or []),
            "retrain_reasons": list(report.get("retrain_reasons") or []),
            "retrain_blocked_by": report.get("retrain_blocked_by"),
            "model": (report.get("profile") or {}).get("model_name"),
            "retrained": bool(execution),
            "challenger": challenge["ran"],
            "challenger_reason": challenge["reason"],
            "execution_status": execution.get("status"),
            "execution_seconds": execution.get("seconds"),
            "execution_error": _short_error(execution),
            "evaluation": entry.get("evaluation"),
            "jobs": jobs,
            "seconds": round(time.monotonic() - clock, 1),
        }
        run.batches.append(record)
        n_train = sum(j["kind"] == "training" for j in jobs)
        log(
            f"  service: batch {i:2d}: error {record['error']:.3f}  {record['outcome']:<11}"
            f"  drifted {len(record['drifted_features'])}  training jobs {n_train}  ({record['seconds']:.0f} s)"
        )
    run.seconds = time.monotonic() - started
    return run
