"""Watching the local cloud from outside, through public AWS APIs only: executions, the endpoint, the
notifications and the reports. Used by ``drift-retrain local run`` and by ``tests/statemachine``.

Every wait here is bounded and raises :class:`~drift_retrain_local.exceptions.LocalRunTimeoutError`
with what was still running.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from drift_retrain.layout import evaluation_report_key
from drift_retrain_local.exceptions import LocalRunTimeoutError

__all__ = [
    "ExecutionRecord",
    "NotificationLog",
    "child_executions",
    "copy_prefix",
    "endpoint_config",
    "evaluation_report",
    "execution_path",
    "wait_for_execution",
]

#: ``on_state(state_name, seconds_since_start)`` when an execution enters a state.
StateCallback = Callable[[str, float], None]


@dataclass
class ExecutionRecord:
    """How an execution ended: status, the states it entered (in order), its error and output."""

    name: str
    arn: str
    status: str
    path: list[str]
    seconds: float
    error: str | None = None
    cause: str | None = None
    output: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "arn": self.arn, "status": self.status, "path": self.path}
        out["seconds"] = round(self.seconds, 1)
        if self.error:
            out["error"] = self.error
            out["cause"] = self.cause
        return out


def endpoint_config(sagemaker: Any, endpoint_name: str) -> str | None:
    """The endpoint's current config name, or ``None`` when there is no endpoint."""
    try:
        return sagemaker.describe_endpoint(EndpointName=endpoint_name)["EndpointConfigName"]
    except ClientError as error:
        if "Could not find endpoint" in str(error) or error.response["Error"]["Code"] in (
            "ValidationException",
            "ResourceNotFound",
        ):
            return None
        raise


def _history(sfn: Any, arn: str, *, data: bool = False) -> Iterator[dict[str, Any]]:
    """The execution's events, without their inputs and outputs unless ``data`` (mostly only the names
    are read here)."""
    kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000, "includeExecutionData": data}
    while True:
        page = sfn.get_execution_history(**kwargs)
        yield from page.get("events", [])
        token = page.get("nextToken")
        if not token:
            return
        kwargs["nextToken"] = token


def child_executions(sfn: Any, arn: str) -> dict[int, str]:
    """The child executions the execution started (``states:startExecution`` tasks): the id of each
    ``TaskSubmitted`` event -> the child's ARN."""
    children = {}
    for event in _history(sfn, arn, data=True):
        details = event.get("taskSubmittedEventDetails") or {}
        if details.get("resourceType") == "states" and details.get("output"):
            children[event["id"]] = json.loads(details["output"])["ExecutionArn"]
    return children


def execution_path(sfn: Any, arn: str, children: dict[str, dict[int, str]] | None = None) -> list[str]:
    """Names of the states the execution entered, in order (Parallel branches' states included, and a
    child state machine's states where the task that started it waits for it).

    ``children`` caches each execution's child ARNs between calls (a started child never changes), so a
    watcher polling a running execution reads its history with data only when a new child starts.
    """
    children = {} if children is None else children
    path: list[str] = []
    for event in _history(sfn, arn):
        if event.get("type", "").endswith("StateEntered") and "stateEnteredEventDetails" in event:
            path.append(event["stateEnteredEventDetails"]["name"])
        elif (event.get("taskSubmittedEventDetails") or {}).get("resourceType") == "states":
            known = children.setdefault(arn, {})
            if event["id"] not in known:
                known.update(child_executions(sfn, arn))
            if event["id"] in known:
                path += execution_path(sfn, known[event["id"]], children)
    return path


class _PathReader:
    """``execution_path`` of one execution, read at most once per poll (``forget`` starts a poll), with
    its children's ARNs cached across polls."""

    def __init__(self, sfn: Any, arn: str) -> None:
        self.sfn, self.arn = sfn, arn
        self.children: dict[str, dict[int, str]] = {}
        self._path: list[str] | None = None

    def forget(self) -> None:
        self._path = None

    def __call__(self) -> list[str]:
        if self._path is None:
            self._path = execution_path(self.sfn, self.arn, self.children)
        return self._path


#: ``pause(path_of)``: whether to stop waiting; ``path_of()`` gives the states entered so far (read only
#: when asked: a pause that needs no path costs no history).
PauseCheck = Callable[[Callable[[], list[str]]], bool]


def wait_for_execution(
    sfn: Any,
    arn: str,
    *,
    timeout: float,
    poll: float = 0.5,
    on_state: StateCallback | None = None,
    pause: PauseCheck | None = None,
) -> ExecutionRecord:
    """Wait until the execution is no longer RUNNING (at most ``timeout`` seconds).

    ``on_state`` is called for every state entered, as it happens (polled, so a very short state may be
    reported together with the next one). ``pause(path_of)`` true ends the wait early with status
    ``WAITING`` (an A/B test waits for later batches, not for time). With neither, each poll is one
    DescribeExecution: the history is read once, at the end.
    """
    started = time.monotonic()
    reported = 0
    path_of = _PathReader(sfn, arn)
    while True:
        described = sfn.describe_execution(executionArn=arn)
        path_of.forget()
        if on_state is not None:
            path = path_of()
            for name in path[reported:]:
                on_state(name, time.monotonic() - started)
            reported = len(path)
        if described["status"] != "RUNNING":
            break
        if pause is not None and pause(path_of):
            described = {**described, "status": "WAITING"}
            break
        if time.monotonic() - started > timeout:
            raise LocalRunTimeoutError(
                f"execution {described['name']} still RUNNING after {timeout:.0f} s "
                f"(last state: {(path_of() or ['?'])[-1]})"
            )
        time.sleep(poll)
    output = described.get("output")
    start, stop = described.get("startDate"), described.get("stopDate")
    seconds = (stop - start).total_seconds() if start and stop else time.monotonic() - started
    return ExecutionRecord(
        name=described["name"],
        arn=arn,
        status=described["status"],
        path=path_of(),  # read after the final status: complete, and not read twice
        seconds=seconds,
        error=described.get("error"),
        cause=described.get("cause"),
        output=json.loads(output) if output else None,
    )


def evaluation_report(s3: Any, bucket: str, execution_name: str) -> dict[str, Any] | None:
    """``reports/evaluation/<execution>.json`` written by EvaluateCandidate, or ``None``."""
    key = evaluation_report_key(execution_name)
    try:
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise


def evaluation_summary(report: dict[str, Any] | None) -> dict[str, Any] | None:
    """``{metric, candidate, champion, decision, winner, candidates, failed}`` of an evaluation report:
    the best candidate's and the champion's error (champion ``None`` at first), the winning strategy,
    every candidate's ``(strategy, error)`` and the strategies that failed."""
    if not report:
        return None
    metric = report.get("primary_metric")
    champion = report.get("champion") or {}
    return {
        "metric": metric,
        "candidate": (report.get("candidate") or {}).get("metrics", {}).get(metric),
        "champion": (champion.get("metrics") or {}).get(metric) if champion else None,
        "decision": report.get("decision"),
        "winner": (report.get("best") or {}).get("strategy"),
        "candidates": [[c.get("strategy"), c.get(metric)] for c in report.get("candidates") or []],
        "failed": [f.get("strategy") for f in report.get("failed_candidates") or []],
        # Candidates are windows x algorithms: which algorithm each one (and the winner) trained with.
        "winner_algorithm": (report.get("best") or {}).get("algorithm") or "xgboost",
        "winner_label": _winner_label(report.get("best") or {}),
        "candidate_algorithms": [c.get("algorithm") or "xgboost" for c in report.get("candidates") or []],
    }


def _winner_label(best: dict[str, Any]) -> str | None:
    """``since_change``, or ``since_change (linear-learner)`` when another algorithm than XGBoost won."""
    algorithm = best.get("algorithm") or "xgboost"
    return best.get("strategy") if algorithm == "xgboost" else f"{best.get('strategy')} ({algorithm})"


def copy_prefix(
    s3: Any, bucket: str, prefix: str, destination: Path, keep: Callable[[str], bool] | None = None
) -> list[str]:
    """Download every object under ``prefix`` (those ``keep`` accepts, when given) into ``destination``
    (keeping the key's path)."""
    copied = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            if keep is not None and not keep(obj["Key"]):
                continue
            target = destination / obj["Key"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read())
            copied.append(obj["Key"])
    return copied


@dataclass
class NotificationLog:
    """Every message published to the stack's topic, captured through an SQS subscription (as a team
    would subscribe a queue or an inbox on AWS)."""

    sqs: Any
    queue_url: str
    messages: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def subscribe(
        cls, sns: Any, sqs: Any, topic_arn: str, queue_name: str = "local-notifications"
    ) -> NotificationLog:
        queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        return cls(sqs, queue_url)

    def drain(self) -> list[dict[str, Any]]:
        """Messages that arrived since the last call (also appended to :attr:`messages`)."""
        new: list[dict[str, Any]] = []
        while True:
            received = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not received:
                break
            for message in received:
                envelope = json.loads(message["Body"])
                new.append(
                    {
                        "subject": envelope.get("Subject"),
                        "message": envelope.get("Message"),
                        "timestamp": envelope.get("Timestamp"),
                    }
                )
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        new.sort(key=lambda m: m.get("timestamp") or "")
        self.messages.extend(new)
        return new
