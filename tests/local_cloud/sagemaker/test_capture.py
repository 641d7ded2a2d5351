"""Data Capture of the local endpoints: records, paths, sampling, modes and files as SageMaker writes them
("Capture data from real-time endpoint", SageMaker developer guide). The writer is tested on its own with
a fixed clock (no waiting for an hour to pass); the endpoint tests go through the embedded AWS."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest
from scipy import stats
from service_support import (  # noqa: F401 (fixtures)
    BUCKET,
    data,
    disarm_failures,
    endpoint_config,
    features_csv,
    service_cloud,
    trained_models,
    wait_for,
)

from drift_retrain.capture.ground_truth import read_ground_truth
from drift_retrain.capture.join import join_labels
from drift_retrain.capture.records import read_capture
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.schema import infer_schema
from drift_retrain_local.cloud.local_cloud import LocalCloud
from drift_retrain_local.run.traffic import ground_truth_lines
from drift_retrain_local.sagemaker.capture import CaptureSettings, CaptureWriter

#: The DataCaptureConfig the stack's endpoint configs carry (template.yaml, statemachine/retrain.asl.json).
CONFIG = {
    "EnableCapture": True,
    "InitialSamplingPercentage": 100,
    "DestinationS3Uri": f"s3://{BUCKET}/capture/",
    "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
    "CaptureContentTypeHeader": {"CsvContentTypes": ["text/csv"], "JsonContentTypes": ["application/json"]},
}
#: AWS's file name inside the hour folder: minute-second-millisecond-uuid.jsonl
FILE_NAME = re.compile(
    r"^\d{2}-\d{2}-\d{3}-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.jsonl$"
)
START = datetime(2026, 12, 5, 8, 44, 45, 123000, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


class Bucket:
    """Where the writer puts its files (in memory)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.kms: dict[str, str | None] = {}

    def put(self, bucket: str, key: str, body: bytes, kms: str | None) -> None:
        self.files[f"{bucket}/{key}"] = body
        self.kms[f"{bucket}/{key}"] = kms

    def records(self) -> list[dict[str, Any]]:
        return [json.loads(line) for body in self.files.values() for line in body.decode().splitlines()]


def settings(**changes: Any) -> CaptureSettings:
    found = CaptureSettings.from_config({**CONFIG, **changes})
    assert found is not None
    return found


def capture(writer: CaptureWriter, endpoint: str = "ep", variant: str = "AllTraffic", **request: Any) -> bool:
    return writer.capture(
        endpoint,
        variant,
        request.pop("settings", settings()),
        request=request.pop("body", b"1.5,2,3\n"),
        request_type=request.pop("request_type", "text/csv"),
        response=request.pop("response", b"0.25"),
        response_type=request.pop("response_type", "text/csv"),
        inference_id=request.pop("inference_id", None),
    )


# ------------------------------------------------------------------------------------------------ records
def test_a_csv_request_is_written_as_the_aws_record_layout() -> None:
    bucket, clock = Bucket(), Clock()
    writer = CaptureWriter(bucket.put, clock=clock)
    assert capture(writer, inference_id="req-7")
    assert bucket.files == {}  # buffered until flushed
    [key] = writer.flush()
    assert key.startswith("capture/ep/AllTraffic/2026/12/05/08/44-45-123-")
    assert FILE_NAME.match(key.rsplit("/", 1)[1])
    [record] = bucket.records()
    assert record["eventVersion"] == "0"
    assert record["captureData"] == {
        "endpointInput": {
            "observedContentType": "text/csv",
            "mode": "INPUT",
            "data": "1.5,2,3\n",
            "encoding": "CSV",
        },
        "endpointOutput": {
            "observedContentType": "text/csv",
            "mode": "OUTPUT",
            "data": "0.25",
            "encoding": "CSV",
        },
    }
    metadata = record["eventMetadata"]
    assert metadata["inferenceTime"] == "2026-12-05T08:44:45Z"
    assert metadata["inferenceId"] == "req-7"
    assert re.fullmatch(r"[0-9a-f-]{36}", metadata["eventId"])


def test_no_inference_id_means_no_field_and_each_event_has_its_own_id() -> None:
    bucket = Bucket()
    writer = CaptureWriter(bucket.put, clock=Clock())
    capture(writer)
    capture(writer)
    writer.flush()
    first, second = bucket.records()
    assert "inferenceId" not in first["eventMetadata"]
    assert first["eventMetadata"]["eventId"] != second["eventMetadata"]["eventId"]


@pytest.mark.parametrize(
    ("content_type", "body", "encoding"),
    [
        ("application/json", b'{"instances": [[1, 2]]}', "JSON"),
        ("text/csv; charset=utf-8", b"1,2\n", "CSV"),  # parameters do not change the media type
        ("application/x-npy", b"\x93NUMPY\x01\x00", "BASE64"),  # not declared
        ("text/csv", b"\xff\xfe1,2", "BASE64"),  # declared, but not text
    ],
)
def test_declared_content_types_are_text_and_everything_else_base64(
    content_type: str, body: bytes, encoding: str
) -> None:
    bucket = Bucket()
    writer = CaptureWriter(bucket.put, clock=Clock())
    capture(writer, body=body, request_type=content_type)
    writer.flush()
    written = bucket.records()[0]["captureData"]["endpointInput"]
    assert written["encoding"] == encoding
    assert written["observedContentType"] == content_type
    decoded = base64.b64decode(written["data"]) if encoding == "BASE64" else written["data"].encode()
    assert decoded == body


def test_without_a_content_type_header_everything_is_base64() -> None:
    bucket = Bucket()
    plain = CaptureSettings.from_config({k: v for k, v in CONFIG.items() if k != "CaptureContentTypeHeader"})
    writer = CaptureWriter(bucket.put, clock=Clock())
    capture(writer, settings=plain)
    writer.flush()
    written = bucket.records()[0]["captureData"]
    assert {part["encoding"] for part in written.values()} == {"BASE64"}
    assert base64.b64decode(written["endpointInput"]["data"]) == b"1.5,2,3\n"


@pytest.mark.parametrize(
    ("modes", "parts"), [(["Input"], {"endpointInput"}), (["Output"], {"endpointOutput"})]
)
def test_capture_options_choose_input_or_output(modes: list[str], parts: set[str]) -> None:
    bucket = Bucket()
    writer = CaptureWriter(bucket.put, clock=Clock())
    capture(writer, settings=settings(CaptureOptions=[{"CaptureMode": m} for m in modes]))
    writer.flush()
    assert set(bucket.records()[0]["captureData"]) == parts


def test_capture_off_writes_nothing() -> None:
    assert CaptureSettings.from_config({**CONFIG, "EnableCapture": False}) is None
    assert CaptureSettings.from_config({}) is None
    assert CaptureSettings.from_config(None) is None
    bucket = Bucket()
    writer = CaptureWriter(bucket.put, clock=Clock())
    assert not capture(writer, settings=None)
    assert writer.flush() == [] and bucket.files == {}


def test_the_kms_key_of_the_config_encrypts_its_files() -> None:
    bucket = Bucket()
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    writer = CaptureWriter(bucket.put, clock=Clock())
    capture(writer, settings=settings(KmsKeyId=key_arn))
    writer.flush()
    assert list(bucket.kms.values()) == [key_arn]


# ------------------------------------------------------------------------------------------------ sampling
@pytest.mark.parametrize("percent", [0, 30, 100])
def test_sampling_keeps_the_configured_share_of_requests(percent: int) -> None:
    bucket = Bucket()
    writer = CaptureWriter(bucket.put, seed=11, clock=Clock())
    requests = 2000
    kept = sum(capture(writer, settings=settings(InitialSamplingPercentage=percent)) for _ in range(requests))
    writer.flush()
    assert len(bucket.records()) == kept
    if percent in (0, 100):
        assert kept == requests * percent // 100
    else:  # two-sided binomial test at 1%: the seeded draws are a fair 30% sample
        assert stats.binomtest(kept, requests, percent / 100).pvalue > 0.01


def test_the_same_seed_samples_the_same_requests() -> None:
    def kept(seed: int) -> list[bool]:
        writer = CaptureWriter(Bucket().put, seed=seed, clock=Clock())
        return [capture(writer, settings=settings(InitialSamplingPercentage=50)) for _ in range(200)]

    assert kept(3) == kept(3)
    assert kept(3) != kept(4)


# ------------------------------------------------------------------------------------------------- files
def test_one_stream_per_variant() -> None:
    bucket = Bucket()
    writer = CaptureWriter(bucket.put, clock=Clock())
    capture(writer, variant="champion")
    capture(writer, variant="candidate")
    capture(writer, variant="champion")
    keys = sorted(writer.flush())
    assert [k.split("/")[2] for k in keys] == ["candidate", "champion"]
    assert [len(bucket.files[f"{BUCKET}/{k}"].splitlines()) for k in keys] == [1, 2]


def test_a_full_buffer_is_written_without_a_flush() -> None:
    bucket = Bucket()
    writer = CaptureWriter(bucket.put, max_records=3, clock=Clock())
    for _ in range(7):
        capture(writer)
    assert sorted(len(body.splitlines()) for body in bucket.files.values()) == [3, 3]
    assert writer.pending() == 1
    writer.flush()
    assert writer.pending() == 0 and len(bucket.records()) == 7


def test_a_new_hour_starts_a_new_file_in_its_own_folder() -> None:
    bucket, clock = Bucket(), Clock(datetime(2026, 12, 5, 8, 59, 59, tzinfo=UTC))
    writer = CaptureWriter(bucket.put, clock=clock)
    capture(writer)
    clock.now += timedelta(seconds=2)
    capture(writer)  # the 08 file is written when the 09 record arrives
    assert [key.split("/")[-2] for key in bucket.files] == ["08"]
    writer.flush()
    hours = sorted(key.split("/")[-2] for key in bucket.files)
    assert hours == ["08", "09"]
    assert all(FILE_NAME.match(key.rsplit("/", 1)[1]) for key in bucket.files)


def test_a_failed_upload_never_fails_the_request() -> None:
    def refuse(*_: Any) -> None:
        raise OSError("bucket gone")

    writer = CaptureWriter(refuse, max_records=1, clock=Clock())
    assert capture(writer)
    assert writer.written == []


# --------------------------------------------------------------------------------- through the endpoint
def _deploy(cloud: LocalCloud, name: str, capture_config: dict[str, Any] | None, *variants: tuple) -> None:
    endpoint_config(cloud, f"{name}-cfg", *variants, capture=capture_config)
    sm = cloud.client("sagemaker")
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-cfg")
    wait_for(
        lambda: sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService", f"{name} InService"
    )


def _objects(cloud: LocalCloud, prefix: str) -> dict[str, list[dict[str, Any]]]:
    s3 = cloud.client("s3")
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {
        item["Key"]: [
            json.loads(line)
            for line in s3.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read().decode().splitlines()
        ]
        for item in listed
    }


def test_the_endpoint_captures_each_request_with_its_inference_id(
    cloud: LocalCloud, models: dict[str, Any]
) -> None:
    _deploy(cloud, "ep-capture", CONFIG, ("AllTraffic", "model-old", 1.0))
    x, _ = data(3, seed=5)
    runtime = cloud.client("sagemaker-runtime")
    answers = []
    for i, row in enumerate(x):
        response = runtime.invoke_endpoint(
            EndpointName="ep-capture",
            ContentType="text/csv",
            Body=features_csv(row[None, :]),
            InferenceId=f"id-{i}",
        )
        answers.append(response["Body"].read().decode())
    assert cloud.sagemaker is not None
    written = cloud.sagemaker.capture.flush("ep-capture")
    assert len(written) == 1
    files = _objects(cloud, "capture/ep-capture/")
    [(key, records)] = files.items()
    assert re.fullmatch(r"capture/ep-capture/AllTraffic/\d{4}/\d{2}/\d{2}/\d{2}/[^/]+\.jsonl", key)
    assert FILE_NAME.match(key.rsplit("/", 1)[1])
    assert [r["eventMetadata"]["inferenceId"] for r in records] == ["id-0", "id-1", "id-2"]
    assert [r["captureData"]["endpointInput"]["data"] for r in records] == [
        features_csv(row[None, :]) for row in x
    ]
    assert [r["captureData"]["endpointOutput"]["data"] for r in records] == answers
    assert {r["captureData"]["endpointOutput"]["encoding"] for r in records} == {"CSV"}


def test_two_variants_write_two_streams_and_a_config_without_capture_writes_none(
    cloud: LocalCloud, models: dict[str, Any]
) -> None:
    _deploy(cloud, "ep-capture-ab", CONFIG, ("champion", "model-old", 1.0), ("candidate", "model-new", 1.0))
    _deploy(cloud, "ep-no-capture", None, ("AllTraffic", "model-old", 1.0))
    runtime = cloud.client("sagemaker-runtime")
    body = features_csv(data(2, seed=6)[0])
    for variant in ("champion", "candidate", "champion"):
        runtime.invoke_endpoint(
            EndpointName="ep-capture-ab", ContentType="text/csv", Body=body, TargetVariant=variant
        )
    runtime.invoke_endpoint(EndpointName="ep-no-capture", ContentType="text/csv", Body=body)
    assert cloud.sagemaker is not None
    cloud.sagemaker.capture.flush()
    files = _objects(cloud, "capture/ep-capture-ab/")
    per_variant = {key.split("/")[2]: len(records) for key, records in files.items()}
    assert per_variant == {"champion": 2, "candidate": 1}
    assert _objects(cloud, "capture/ep-no-capture/") == {}


def _sdk() -> tuple[Any, Any, Any]:
    """The SDK's ``Session``, ``Predictor`` and ``CSVSerializer``; a missing SDK fails the test (a dev
    dependency, never in the layer)."""
    try:
        from sagemaker.predictor import Predictor
        from sagemaker.serializers import CSVSerializer
        from sagemaker.session import Session
    except ImportError as exc:
        pytest.fail(f"sagemaker (pyproject.toml's dev extra; make setup) is missing: {exc}")
    return Session, Predictor, CSVSerializer


def test_the_sagemaker_sdk_as_a_client_sets_the_inference_id_the_capture_carries_and_its_label_joins(
    cloud: LocalCloud, models: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SageMaker Python SDK as the seeds' notebooks use it (``Predictor.predict`` with a CSVSerializer
    and ``inference_id``) calls the local endpoint; its clients reach the embedded AWS through
    AWS_ENDPOINT_URL. The capture record carries the request's inferenceId, and a ground-truth record keyed
    on it, as the local run uploads labels, joins both rows of the request."""
    import boto3

    monkeypatch.setenv("SAGEMAKER_SUPPRESS_V2_WARNING", "1")
    session_class, predictor_class, serializer = _sdk()
    monkeypatch.setenv("AWS_ENDPOINT_URL", cloud.aws.endpoint_url)
    _deploy(cloud, "ep-sdk", CONFIG, ("AllTraffic", "model-old", 1.0))
    session = session_class(boto_session=boto3.session.Session(region_name="us-east-1"))
    predictor = predictor_class("ep-sdk", sagemaker_session=session, serializer=serializer())
    x, y = data(2, seed=8)
    answer = predictor.predict(x.tolist(), inference_id="notebook-42")
    assert len(answer.decode().splitlines()) == 2
    assert cloud.sagemaker is not None
    cloud.sagemaker.capture.flush("ep-sdk")
    [(key, records)] = _objects(cloud, "capture/ep-sdk/").items()
    assert [r["eventMetadata"]["inferenceId"] for r in records] == ["notebook-42"]
    assert len(records[0]["captureData"]["endpointInput"]["data"].splitlines()) == 2

    profile = _profile()
    lines = cloud.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read().splitlines()
    captured = read_capture(lines, profile)
    assert captured.bad == () and len(captured.frame) == 2
    labels = [str(int(v)) for v in y]
    truth = read_ground_truth(ground_truth_lines([("notebook-42", labels)]).splitlines(), profile)
    joined = join_labels(captured.frame, truth, profile)
    assert joined.frame["label"].tolist() == labels
    assert (joined.stats.labelled, joined.stats.orphans, joined.stats.duplicates) == (2, 0, 0)


def _profile():
    """A profile of the endpoint's three numeric features (``data``'s columns, in that order)."""
    x, y = data(300, seed=3)
    frame = pd.DataFrame({"label": y.astype(int), "f0": x[:, 0], "f1": x[:, 1], "f2": x[:, 2]})
    return build_profile(frame, infer_schema(frame, label="label"), metadata={"algorithm": "xgboost"})
