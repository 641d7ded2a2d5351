"""DetectDrift during an A/B test: both variants score the batch's labelled rows, the evidence lands in the
record once per batch revision, concurrent writers lose nothing, the token is completed once the test
decides (a duplicate completion's TaskTimedOut is ignored), and no retrain starts meanwhile.

S3 is moto (conditional writes included); the endpoint runtime and Step Functions are small fakes that
answer per TargetVariant and record the token calls.
"""

from __future__ import annotations

import json
import threading
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from botocore.exceptions import ClientError, ParamValidationError
from functional_support import LABEL, PROFILE_KEY, AtomicPuts, frame_to_csv_bytes

from drift_retrain.aws.ab_record import read_record, update_record, write_record
from drift_retrain.detect.context import DetectSettings
from drift_retrain.detect.service import process_object
from drift_retrain.engine.ab_evidence import new_record
from drift_retrain.engine.config import DriftConfig
from drift_retrain.layout import AB_RECORD_KEY


@dataclass
class FakeRuntime:
    """Each variant answers the truth, wrong on a fixed share of rows (seeded per variant)."""

    labels: dict[bytes, int] = field(default_factory=dict)
    error_rates: dict[str, float] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)
    calls: list[str | None] = field(default_factory=list)
    truth: list[int] = field(default_factory=list)

    def invoke_endpoint(self, **kwargs: Any) -> dict[str, Any]:
        variant = kwargs.get("TargetVariant")
        self.calls.append(variant)
        if variant in self.failing:
            raise ClientError({"Error": {"Code": "ModelError", "Message": "variant down"}}, "InvokeEndpoint")
        rows = kwargs["Body"].decode().strip().splitlines()
        rng = np.random.default_rng(zlib.crc32(str(variant).encode()))
        wrong = rng.random(len(rows)) < self.error_rates.get(variant or "", 0.0)
        truth = np.asarray(self.truth[: len(rows)])
        answers = np.where(wrong, 1 - truth, truth)
        return {"Body": _Body("\n".join(str(float(a)) for a in answers).encode()), "ContentType": "text/csv"}


@dataclass
class _Body:
    data: bytes

    def read(self) -> bytes:
        return self.data


@dataclass
class FakeSfn:
    closed: bool = False
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def _closed(self, op: str) -> None:
        if self.closed:
            raise ClientError({"Error": {"Code": "TaskTimedOut", "Message": "Task Timed Out"}}, op)

    def send_task_success(self, taskToken: str, output: str) -> dict:
        self.calls.append(("success", json.loads(output)))
        self._closed("SendTaskSuccess")
        self.closed = True
        return {}

    def send_task_heartbeat(self, taskToken: str) -> dict:
        self.calls.append(("heartbeat", None))
        self._closed("SendTaskHeartbeat")
        return {}

    def start_execution(self, **kwargs: Any) -> dict:
        raise AssertionError("no retrain may start during an A/B test")


class FakeSageMaker:
    def describe_endpoint(self, EndpointName: str) -> dict:
        return {"EndpointStatus": "InService"}


@dataclass
class AbClients:
    s3: Any
    sagemaker_runtime: FakeRuntime
    stepfunctions: FakeSfn
    sns: Any
    sagemaker: FakeSageMaker = field(default_factory=FakeSageMaker)


@pytest.fixture
def ab(clients, bucket, profile_uploaded):
    write_record(
        clients.s3,
        bucket,
        new_record(
            task_token="token-1",
            execution_arn="arn:aws:states:us-east-1:123456789012:execution:sm:run",
            endpoint_name="churn-champion",
            champion={"variant_name": "AllTraffic", "model_name": "m-old"},
            candidate={"variant_name": "Candidate", "model_name": "m-new"},
            traffic_share=0.1,
            alpha=0.05,
            min_rows=100,
            max_duration_seconds=3600,
            now=datetime.now(UTC),
        ),
    )
    return AbClients(s3=clients.s3, sagemaker_runtime=FakeRuntime(), stepfunctions=FakeSfn(), sns=clients.sns)


def _settings(bucket: str) -> DetectSettings:
    return DetectSettings(
        data_bucket=bucket,
        profile_key=PROFILE_KEY,
        endpoint_name="churn-champion",
        state_machine_arn="arn:aws:states:us-east-1:123456789012:stateMachine:sm",
        drift=DriftConfig(max_prediction_rows=400, min_labelled_rows=100),
    )


def _upload(ab_clients: AbClients, bucket: str, key: str, frame) -> dict[str, Any]:
    body = frame_to_csv_bytes(frame)
    etag = ab_clients.s3.put_object(Bucket=bucket, Key=key, Body=body)["ETag"].strip('"')
    ab_clients.sagemaker_runtime.truth = frame[LABEL].tolist()
    return {"bucket": bucket, "key": key, "etag": etag, "size": len(body)}


def test_a_batch_is_scored_on_both_variants_and_counted_once(ab, bucket, make_frame_fn):
    # both far above the holdout's 10%: concept drift, and the policy fires
    ab.sagemaker_runtime.error_rates = {"AllTraffic": 0.4, "Candidate": 0.4}
    event = _upload(ab, bucket, "incoming/b1.csv", make_frame_fn(300, seed=5))
    first = process_object(ab, _settings(bucket), **event)
    again = process_object(ab, _settings(bucket), **event)  # the same S3 event delivered twice
    record, _ = read_record(ab.s3, bucket)
    assert first.ab_test["added"] and not again.ab_test["added"]
    assert record["evidence"]["totals"]["rows"] == 300
    assert [entry["batch"] for entry in record["evidence"]["batches"]] == [f"incoming/b1.csv@{event['etag']}"]
    assert {"AllTraffic", "Candidate"} <= set(ab.sagemaker_runtime.calls)
    assert None not in ab.sagemaker_runtime.calls  # the concept test asks the champion variant only
    assert ab.stepfunctions.calls == [("heartbeat", None)]
    assert first.message == "retrain deferred: an A/B test is running"


def test_a_clearly_better_candidate_completes_the_token_and_a_duplicate_completion_is_ignored(
    ab, bucket, make_frame_fn
):
    ab.sagemaker_runtime.error_rates = {"AllTraffic": 0.12, "Candidate": 0.0}  # no concept drift
    event = _upload(ab, bucket, "incoming/b2.csv", make_frame_fn(400, seed=6))
    outcome = process_object(ab, _settings(bucket), **event)
    assert outcome.ab_test["decision"]["winner"] == "candidate" and outcome.ab_test["completed"]
    kind, output = ab.stepfunctions.calls[-1]
    assert kind == "success" and output["decision"] == "candidate"
    assert output["evidence"]["rows"] == 400
    assert output["evidence"]["candidate_error"] < output["evidence"]["champion_error"]
    assert output["evidence"]["p_value"] < 0.05
    repeat = process_object(ab, _settings(bucket), **event)  # redelivered: the completion is sent again
    assert not repeat.ab_test["added"] and not repeat.ab_test["completed"]  # TaskTimedOut, logged, ignored


def test_a_failing_champion_variant_hands_the_test_to_the_candidate(ab, bucket, make_frame_fn):
    ab.sagemaker_runtime.failing = {"AllTraffic"}
    event = _upload(ab, bucket, "incoming/b3.csv", make_frame_fn(300, seed=7))
    outcome = process_object(ab, _settings(bucket), **event)
    decision = outcome.ab_test["decision"]
    assert decision["winner"] == "candidate" and decision["reason"].startswith("champion variant failed")
    assert ab.stepfunctions.calls[-1][0] == "success"


def test_concurrent_batches_lose_no_evidence(ab, bucket, clients):
    """Eight writers add a batch each at once: the If-Match write makes the losers re-read and retry."""
    from drift_retrain.engine.ab_evidence import add_batch
    from drift_retrain.engine.stats.sequential import paired_losses

    s3 = AtomicPuts(clients.s3)

    def add(index: int) -> None:
        losses = paired_losses(np.zeros(10), np.zeros(10))
        update_record(
            s3,
            bucket,
            lambda record: add_batch(
                record, f"b{index}@e", losses, metric="error_rate", now=datetime.now(UTC)
            ),
            attempts=20,
        )

    threads = [threading.Thread(target=add, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    record, _ = read_record(clients.s3, bucket)
    assert sorted(e["batch"] for e in record["evidence"]["batches"]) == sorted(f"b{i}@e" for i in range(8))
    assert record["evidence"]["totals"]["rows"] == 80


class _SdkWithoutIfMatch:
    """An S3 client whose botocore predates PutObject's IfMatch: the parameter is refused before sending."""

    def __init__(self, s3: Any) -> None:
        self._s3 = s3

    def put_object(self, **kwargs: Any) -> Any:
        if "IfMatch" in kwargs:
            raise ParamValidationError(report="Unknown parameter in input: 'IfMatch'")
        return self._s3.put_object(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)


def test_an_sdk_without_if_match_still_adds_evidence_and_refuses_a_stale_write(
    ab, bucket, clients, monkeypatch
):
    """As the write-once reports do on an old runtime SDK: a HEAD on the ETag, then the PUT."""
    from drift_retrain.aws import ab_record
    from drift_retrain.aws.exceptions import RecordConflictError
    from drift_retrain.engine.ab_evidence import add_batch
    from drift_retrain.engine.stats.sequential import paired_losses

    monkeypatch.setattr(ab_record, "knows_put_condition", lambda s3, member: member != "IfMatch")
    old_sdk = _SdkWithoutIfMatch(clients.s3)
    losses = paired_losses(np.zeros(10), np.ones(10))
    now = datetime.now(UTC)
    result = update_record(
        old_sdk, bucket, lambda r: add_batch(r, "b1@e", losses, metric="error_rate", now=now)
    )
    assert result is not None and result[1] is True
    record, etag = read_record(clients.s3, bucket)
    assert [b["batch"] for b in record["evidence"]["batches"]] == ["b1@e"]

    clients.s3.put_object(Bucket=bucket, Key="ab/current.json", Body=json.dumps(record).encode())  # a rival
    with pytest.raises(RecordConflictError):
        ab_record.replace_record(old_sdk, bucket, record, etag)


def test_a_batch_written_before_the_test_started_is_no_evidence(ab, bucket, make_frame_fn):
    """A batch redriven from the failure queue (or delivered late) may be in the candidate's training
    window: checked as usual, but its rows are not counted for either variant."""
    ab.sagemaker_runtime.error_rates = {"AllTraffic": 0.4, "Candidate": 0.0}
    event = _upload(ab, bucket, "incoming/old.csv", make_frame_fn(300, seed=8))
    record, _ = read_record(ab.s3, bucket)
    written = ab.s3.head_object(Bucket=bucket, Key="incoming/old.csv")["LastModified"]
    later = (written + timedelta(seconds=2)).astimezone(UTC).isoformat(timespec="seconds")
    write_record(ab.s3, bucket, {**record, "started_at": later})
    outcome = process_object(ab, _settings(bucket), **event)
    assert outcome.status == "checked" and outcome.report_key
    assert not outcome.ab_test["added"] and "before the test started" in outcome.ab_test["skipped"]
    record, _ = read_record(ab.s3, bucket)
    assert record["evidence"]["batches"] == [] and not record.get("decision")
    assert ab.stepfunctions.calls == []


def test_a_retrain_deferred_by_a_test_is_not_started_by_a_duplicate_after_it(ab, bucket, make_frame_fn):
    # concept drift on both variants: the policy fires, but the test defers the retrain
    ab.sagemaker_runtime.error_rates = {"AllTraffic": 0.4, "Candidate": 0.4}
    event = _upload(ab, bucket, "incoming/late.csv", make_frame_fn(300, seed=8))
    first = process_object(ab, _settings(bucket), **event)
    assert first.report["retrain"] and first.report["retrain_deferred"]
    ab.s3.delete_object(Bucket=bucket, Key=AB_RECORD_KEY)  # the test ended meanwhile
    late = process_object(ab, _settings(bucket), **event)  # FakeSfn.start_execution would raise
    assert late.duplicate_delivery and late.execution is None
    assert "retrain deferred" in late.message
