"""One batch through a running local cloud, followed to its end: what ``local_run``, ``traffic``,
``drift-retrain local serve`` and the tests use.

:class:`BatchRunner` uploads a batch (a file, or a folder as one partition) into ``incoming/``, waits for
DetectDrift's delivery and the execution it started, and returns the batch's timeline entry: outcome,
drift, the states entered, the endpoint's config before and after, the evaluation, the A/B steps.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from drift_retrain import strict_json
from drift_retrain.echo import clip
from drift_retrain.engine.policy import CHALLENGER, REFRESH
from drift_retrain_local.cloud.local_cloud import LocalCloud
from drift_retrain_local.exceptions import LocalRunTimeoutError
from drift_retrain_local.run.ab_watch import (
    AB_WAIT_STATE,
    ab_record,
    ab_steps,
    endpoint_variants,
    evidence_entry,
    started_entry,
    waits_for_decision,
)
from drift_retrain_local.run.observe import (
    NotificationLog,
    copy_prefix,
    endpoint_config,
    evaluation_report,
    evaluation_summary,
    execution_path,
    wait_for_execution,
)
from drift_retrain_local.stack.deploy import DeployedStack

__all__ = ["OUTCOMES", "BatchRunner", "local_links", "partition_files"]

OUTCOMES = (
    "no_drift",
    "drift_alert",
    "promoted",
    "promoted_incomplete",
    "rejected",
    "quarantined",
    "failed",
    "ab_testing",
    "ab_evidence",
)
#: The states that tell a promotion from a rejection (offline, or online after an A/B test) in a path.
PROMOTED_STATE, REJECTED_STATES = "Promote candidate", ("Record rejection", "Record A/B rejection")
INCOMPLETE_STATE = "Promotion left incomplete"

Echo = Callable[[str], None]


def partition_files(folder: Path) -> list[tuple[str, Path]]:
    """A folder's files as the partition's parts, by name: ``part-*`` kept, others given the prefix;
    markers and hidden files (``_SUCCESS``, ``.crc``) left out (the upload writes ``_SUCCESS`` last)."""
    files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(("_", "."))]
    return sorted((p.name if p.name.startswith("part-") else f"part-{p.name}", p) for p in files)


class BatchRunner:
    """Uploads batches into a running local cloud and follows each to the end (used by the tests too)."""

    def __init__(
        self,
        cloud: LocalCloud,
        echo: Echo,
        timeout: float,
        stack: DeployedStack | None = None,
        *,
        verbose: bool = False,
    ) -> None:
        self.cloud = cloud
        self.stack = stack or cloud.stack
        self.echo = echo
        #: Echo each step too; otherwise one line per batch, when it is done.
        self.verbose = verbose
        #: One clock for every line about a batch: seconds since its upload (or the bootstrap's start).
        self._started = time.monotonic()
        self._label = ""
        self.timeout = timeout
        self.bucket = self.stack.bucket
        self.endpoint = self.stack.endpoint_name
        self.s3 = cloud.client("s3")
        self.sfn = cloud.client("stepfunctions")
        self.sagemaker = cloud.client("sagemaker")
        self.notifications = NotificationLog.subscribe(
            cloud.client("sns"), cloud.client("sqs"), self.stack.topic_arn
        )
        #: The execution waiting for an A/B decision (PromotionMode ab), followed again once it is made.
        self.waiting: str | None = None

    def _begin(self, label: str) -> None:
        self._label, self._started = label, time.monotonic()

    def _elapsed(self) -> float:
        return time.monotonic() - self._started

    def _step(self, line: str) -> None:
        """A line about one step of the current batch (``--verbose`` only), on the batch's clock."""
        if self.verbose:
            self.echo(f"    {self._elapsed():6.1f}s  {line}")

    def _on_state(self) -> Callable[[str, float], None] | None:
        """A line per state entered, with ``--verbose`` only (otherwise nothing reads the history while
        the execution runs)."""
        return (lambda name, _: self._step(name)) if self.verbose else None

    def watch(self, arn: str) -> dict[str, Any]:
        pause = waits_for_decision(self.s3, self.bucket, arn)
        record = wait_for_execution(
            self.sfn, arn, timeout=self.timeout, on_state=self._on_state(), pause=pause
        )
        line = f"execution {record.status}"
        if record.status == "WAITING":
            self.waiting = arn
            line += ": the A/B test waits for the next labelled batches"
        self._step(line + (f": {record.error}: {record.cause}" if record.error else ""))
        return {"record": record, **record.to_dict()}

    def bootstrap(self, train: Path) -> dict[str, Any]:
        key = f"seed/{train.name}"
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=train.read_bytes())
        return self.bootstrap_key(key)

    def bootstrap_key(self, key: str, name: str = "bootstrap-1") -> dict[str, Any]:
        """Start the first-deployment execution on ``seed/`` data already in the bucket; follow it."""
        self._begin(f"bootstrap {key.rpartition('/')[2]}")
        self._step(f"s3://{self.bucket}/{key}: the first model through the state machine")
        before = endpoint_config(self.sagemaker, self.endpoint)
        batch = {"bucket": self.bucket, "key": key, "version_id": None, "etag": None, "batch_id": "bootstrap"}
        started = self.sfn.start_execution(
            stateMachineArn=self.stack.state_machine_arn,
            name=name,
            input=json.dumps({"bootstrap": True, "batch": batch}),
        )
        watched = self.watch(started["executionArn"])
        return self._entry(key.rpartition("/")[2], "bootstrap", None, watched, before)

    def batch(self, path: Path, index: int, count: int) -> dict[str, Any]:
        if path.is_dir():
            return self.partition(path, index, count)
        return self.upload(path.name, path.read_bytes(), label=f"[{index}/{count}] {path.name}")

    def partition(self, folder: Path, index: int, count: int) -> dict[str, Any]:
        """Upload a folder as ``incoming/<folder>/part-*``, then ``_SUCCESS`` (its event is the batch's)."""
        files = partition_files(folder)
        for name, path in files:
            self.s3.put_object(
                Bucket=self.bucket, Key=f"incoming/{folder.name}/{name}", Body=path.read_bytes()
            )
        self.cloud.events.wait(timeout=self.timeout)  # each part's event: waiting for its partition
        label = f"[{index}/{count}] {folder.name}/ ({len(files)} parts, then _SUCCESS)"
        return self.upload(f"{folder.name}/_SUCCESS", b"", label=label)

    def upload(self, name: str, body: bytes, label: str | None = None) -> dict[str, Any]:
        """Put ``incoming/<name>``, follow what it sets off to the end; the timeline entry."""
        key = f"incoming/{name}"
        self._begin(label or name)
        self._step(f"uploaded to s3://{self.bucket}/{key}")
        before = endpoint_config(self.sagemaker, self.endpoint)
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)
        return self.follow(name, key, self.detect(key), before)

    def follow(
        self, name: str, key: str, response: dict[str, Any], before: str | None, label: str | None = None
    ) -> dict[str, Any]:
        """Follow what DetectDrift's ``response`` for ``key`` started to its end; the timeline entry."""
        if label is not None:
            self._begin(label)
        execution = response.get("execution") or {}
        watched = None
        if execution.get("execution_arn") and not execution.get("duplicate"):
            self._step(f"retrain started: execution {execution['name']}")
            watched = self.watch(execution["execution_arn"])
        elif self.waiting and self._test_over(response):
            arn, self.waiting = self.waiting, None
            self._step("the A/B test decided: following its execution to the end")
            watched = self.watch(arn)
        return self._entry(name, key, response, watched, before)

    def _test_over(self, response: dict[str, Any]) -> bool:
        """DetectDrift reported the decision, or the execution left the wait (heartbeat, maximum duration)."""
        if (response.get("ab_test") or {}).get("decision"):
            return True
        assert self.waiting is not None
        path = execution_path(self.sfn, self.waiting)
        return not path or path[-1] != AB_WAIT_STATE

    def detect(self, key: str) -> dict[str, Any]:
        """The DetectDrift delivery for ``key``: wait for it (bounded) and return its response."""
        deadline = time.monotonic() + self.timeout
        while not self.cloud.events.deliveries_for(key, self.bucket):
            if time.monotonic() > deadline:
                raise LocalRunTimeoutError(f"no S3 event was delivered for {key}")
            time.sleep(0.05)
        self.cloud.events.wait(timeout=self.timeout)
        result = self.cloud.events.deliveries_for(key, self.bucket)[-1].result(timeout=1)
        if not result.ok:
            error = result.json() or {}
            message = f"{error.get('errorType')}: {error.get('errorMessage')}"
            self._step(f"DetectDrift failed after its retries: {message}")
            return {"status": "error", "message": message}
        response = result.json()
        if response.get("status") == "partition_check_started":
            response = self.partition_check(response)
        concept = "concept drift" if response.get("concept_drift") else "no concept drift"
        drifted = ", ".join(response.get("drifted_features") or []) or "none"
        self._step(
            f"DetectDrift: {response.get('status')}: {response.get('message')}; "
            f"drifted features: {drifted}; {concept}"
        )
        return response

    def partition_check(self, response: dict[str, Any]) -> dict[str, Any]:
        """Follow a partition's check on the Distributed Map; its reduce step's response, as DetectDrift's
        would be for one object (the execution's output, or, when it failed, its last step's)."""
        started = response["partition_check"]
        self._step(f"DetectDrift: {response.get('message')}")
        record = wait_for_execution(
            self.sfn, started["execution_arn"], timeout=self.timeout, on_state=self._on_state()
        )
        self._step(f"partition check {record.status}" + (f": {record.cause}" if record.cause else ""))
        events = self.sfn.get_execution_history(executionArn=started["execution_arn"], reverseOrder=True)
        for event in events["events"]:
            output = (event.get("taskSucceededEventDetails") or {}).get("output")
            if output is not None:
                return json.loads(output)["Payload"]
        return {"status": "error", "message": f"partition check {record.status}: {record.cause}"}

    def _entry(
        self,
        name: str,
        key: str,
        response: dict[str, Any] | None,
        watched: dict[str, Any] | None,
        before: str | None,
    ) -> dict[str, Any]:
        record = watched.pop("record") if watched else None
        evaluation = (
            evaluation_summary(evaluation_report(self.s3, self.bucket, record.name)) if record else None
        )
        messages = self.notifications.drain()
        entry: dict[str, Any] = {
            "file": name,
            "key": key,
            "outcome": _outcome(response, record),
            "detect": None
            if response is None
            else {
                k: response.get(k)
                for k in ("status", "message", "report_key", "quarantine_key", "quarantine_record_key")
            },
            "drifted_features": list((response or {}).get("drifted_features") or []),
            "concept_drift": bool((response or {}).get("concept_drift")),
            "retrain_trigger": (response or {}).get("retrain_trigger"),
            "execution": watched,
            "endpoint_config_before": before,
            "endpoint_config_after": endpoint_config(self.sagemaker, self.endpoint),
            "notifications": [m["subject"] for m in messages],
        }
        if evaluation is not None:
            entry["evaluation"] = evaluation
        self._ab_entries(entry, response, record)
        self.echo(f"{self._label}: {_batch_line(entry, response)} ({self._elapsed():.1f}s)")
        return entry

    def _ab_entries(self, entry: dict[str, Any], response: dict[str, Any] | None, record: Any) -> None:
        """The A/B test in the timeline: started at w, this batch's evidence, the steps, the variants."""
        if (response or {}).get("ab_test"):
            entry["ab_test"] = evidence_entry(response["ab_test"])
        if record is not None and record.status == "WAITING":
            entry["ab_test"] = started_entry(ab_record(self.s3, self.bucket) or {})
        steps = ab_steps(record.path) if record is not None else []
        if steps:
            entry["ab_steps"] = steps
        if "ab_test" in entry or steps:
            entry["endpoint_variants_after"] = endpoint_variants(self.sagemaker, self.endpoint)
            self._step(
                f"A/B: {entry.get('ab_test', {}).get('event', 'steps')}; serving {entry['endpoint_variants_after']}"
            )

    def collect(self, out: Path) -> None:
        for prefix in ("reports/", "quarantine/"):
            copy_prefix(self.s3, self.bucket, prefix, out)
        # each retrain's training manifest (which batches, windows and rows it used), as its notice links
        # it; not the training data itself
        copy_prefix(self.s3, self.bucket, TRAINING_PREFIX, out, keep=_MANIFEST_KEY.fullmatch)
        self.notifications.drain()
        with (out / "notifications.jsonl").open("w", encoding="utf-8") as handle:
            for message in self.notifications.messages:
                local = {
                    **message,
                    "message": local_links(str(message.get("message") or ""), self.bucket, out),
                }
                handle.write(strict_json.dumps(local, indent=None) + "\n")


#: PrepareTrainingData's files of one execution, ``training/<execution>/``, and its manifest there.
TRAINING_PREFIX = "training/"
_MANIFEST_KEY = re.compile(r"training/[^/]+/manifest\.json")
#: An S3 console link of the message, and a Step Functions console link (no console in a local run). A
#: link ends at white space or ")": a message puts links in parentheses ("started (<url>)"), and neither
#: link holds a raw ")" (keys are percent-quoted, ARNs have none).
_CONSOLE_OBJECT = re.compile(
    r"https://s3\.console\.aws\.amazon\.com/s3/object/(?P<bucket>[^?\s)]+)\?[^\s)]*?prefix=(?P<key>[^\s)]+)"
)
_CONSOLE_EXECUTION = re.compile(r"https://[a-z0-9-]+\.console\.aws\.amazon\.com/states/home[^\s)]*")


def local_links(text: str, bucket: str, out: Path) -> str:
    """A notification as a local run's reader can follow it: the console page of a report, a quarantined
    file or a training manifest (copied to ``out``) becomes its path there; any other object's becomes
    its place in the local cloud, ``s3://bucket/key`` (there is no console for its account); an
    execution's page becomes the timeline's. The published messages stay as the Lambdas wrote them (what
    AWS would send)."""

    def object_path(match: re.Match[str]) -> str:
        key = unquote(match["key"])
        if match["bucket"] != bucket or not (out / key).is_file():
            return f"s3://{match['bucket']}/{key}"
        return str(out / key)

    text = _CONSOLE_OBJECT.sub(object_path, text)
    return _CONSOLE_EXECUTION.sub(str(out / "timeline.html"), text)


def _batch_line(entry: Mapping[str, Any], response: Mapping[str, Any] | None) -> str:
    """What happened to one batch, in one line: its outcome and why."""
    parts = [entry["outcome"]]
    if response is not None and response.get("status") == "error":
        parts.append(
            f"DetectDrift failed: {response.get('message')} (on its failure queue: drift-retrain redrive)"
        )
    elif response is not None and response.get("status") == "invalid":
        parts.append(str(response.get("message")))
    elif response is not None:
        drifted = entry["drifted_features"]
        parts.append(f"drifted: {', '.join(drifted)}" if drifted else "no feature drift")
        parts.append("concept drift" if entry["concept_drift"] else "no concept drift")
        if entry.get("retrain_trigger") == REFRESH:
            parts.append("refresh: the serving model learnt its change from a small sample")
        if entry.get("retrain_trigger") == CHALLENGER:
            parts.append("challenger: no loss seen, but the serving error rose")
    execution = entry.get("execution") or {}
    if execution:
        parts.append(f"execution {execution.get('name')} {execution.get('status')}")
    if execution.get("error"):
        parts.append(clip(f"{execution['error']}: {execution.get('cause')}", 300))
    return "; ".join(parts)


def _outcome(response: dict[str, Any] | None, record: Any) -> str:
    if record is not None and record.status == "WAITING":
        return "ab_testing"
    if record is None and (response or {}).get("ab_test"):
        return "ab_evidence"
    if record is not None:
        if INCOMPLETE_STATE in record.path:
            return "promoted_incomplete"  # the candidate serves; PromoteModel's bookkeeping did not finish
        if record.status != "SUCCEEDED":
            return "failed"
        if PROMOTED_STATE in record.path:
            return "promoted"
        return "rejected" if any(state in record.path for state in REJECTED_STATES) else "failed"
    if response is None:
        return "failed"
    status = response.get("status")
    if status == "invalid":
        return "quarantined"
    if status != "checked":
        return "failed"
    if response.get("retrain") and not response.get("execution"):
        return "failed"  # the policy fired but no execution started (logged by DetectDrift)
    alert = response.get("message") in ("alert", "retrain")
    return (
        "drift_alert"
        if alert or response.get("drifted_features") or response.get("concept_drift")
        else "no_drift"
    )
