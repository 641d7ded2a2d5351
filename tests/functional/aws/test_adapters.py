"""The AWS adapters of drift_retrain.aws against moto: S3, SageMaker runtime, Step Functions, SNS."""

from __future__ import annotations

import gzip
import io
import json
import re

import boto3
import numpy as np
import pandas as pd
import pytest
from botocore.stub import ANY, Stubber

from drift_retrain.aws import naming
from drift_retrain.aws.endpoint import EndpointPredictor, iter_payloads, parse_predictions
from drift_retrain.aws.exceptions import (
    EndpointInvocationError,
    ExecutionStartError,
    NotificationError,
    ObjectChangedError,
    ObjectNotFoundError,
)
from drift_retrain.aws.executions import execution_arn_for, start_execution
from drift_retrain.aws.notifications import notify
from drift_retrain.aws.objects import ObjectRef, open_object, quarantine_object
from drift_retrain.aws.storage import read_object as read_bytes
from drift_retrain.aws.storage import write_json
from drift_retrain.exceptions import ChampionUnavailableError

# --- naming -----------------------------------------------------------------------------------------


def test_batch_id_is_stem_plus_8_hex_and_stable() -> None:
    first = naming.batch_id_for("incoming/x.csv", "v1", '"etag"')
    assert re.fullmatch(r"x-[0-9a-f]{8}", first)
    assert naming.batch_id_for("incoming/x.csv", "v1", "other-etag") == first  # version id wins
    assert naming.batch_id_for("incoming/x.csv", "v2", '"etag"') != first
    assert naming.batch_id_for("incoming/x.csv", "null", '"abc"') == naming.batch_id_for(
        "incoming/x.csv", None, "abc"
    )


def test_batch_id_sanitizes_nested_and_odd_keys() -> None:
    batch_id = naming.batch_id_for("incoming/2024/05/Day 14 (final).CSV.GZ", None, "abc")
    assert re.fullmatch(r"2024-05-Day-14-final-[0-9a-f]{8}", batch_id)
    # keys that sanitize alike still differ
    assert naming.batch_id_for("incoming/a/b.csv", None, "e") != naming.batch_id_for(
        "incoming/a-b.csv", None, "e"
    )


@pytest.mark.parametrize(
    "key",
    [
        "incoming/x.csv",
        "incoming/" + "very-long-name_" * 20 + ".csv",
        "incoming/ünïcødé {weird} [chars] #%&$.csv.gz",
        "incoming/.csv",
    ],
)
def test_execution_name_is_valid_and_deterministic(key: str) -> None:
    name = naming.execution_name_for("bucket", key, None, '"etag"')
    assert 1 <= len(name) <= 80
    assert re.fullmatch(r"[A-Za-z0-9_-]+", name)
    assert name == naming.execution_name_for("bucket", key, None, "etag")
    assert name != naming.execution_name_for("other-bucket", key, None, "etag")
    assert name != naming.execution_name_for("bucket", key, "v2", "etag")


# --- S3 ---------------------------------------------------------------------------------------------


def _put(s3, bucket: str, key: str, body: bytes) -> ObjectRef:
    response = s3.put_object(Bucket=bucket, Key=key, Body=body)
    return ObjectRef(bucket, key, response.get("VersionId"), response["ETag"].strip('"'), len(body))


def test_open_object_streams_in_chunks_and_pins_the_version(clients, bucket) -> None:
    body = b"a,b\n" + b"".join(f"{i},{i * 2}\n".encode() for i in range(200_000))
    ref = _put(clients.s3, bucket, "incoming/big.csv", body)
    clients.s3.put_object(Bucket=bucket, Key="incoming/big.csv", Body=b"a,b\n1,2\n")  # a newer version

    with open_object(clients.s3, ref, buffer_size=64 * 1024) as opened:
        assert opened.size == len(body)
        assert opened.stream.readline() == b"a,b\n"
        text = io.TextIOWrapper(opened.stream, encoding="utf-8", newline="")
        rest = text.read()
    assert rest.encode() == body[4:]


def test_open_object_unversioned_detects_overwrite(clients, mocked_aws) -> None:
    clients.s3.create_bucket(Bucket="plain")
    ref = _put(clients.s3, "plain", "incoming/x.csv", b"a\n1\n")
    with open_object(clients.s3, ref) as opened:
        assert opened.stream.read() == b"a\n1\n"
    clients.s3.put_object(Bucket="plain", Key="incoming/x.csv", Body=b"a\n2\n")
    with pytest.raises(ObjectChangedError) as caught:
        open_object(clients.s3, ref)
    assert caught.value.code == "PreconditionFailed"


def test_open_object_gzip_stream_works_with_gzip_module(clients, bucket) -> None:
    raw = b"a,b\n" + b"1,2\n" * 10_000
    ref = _put(clients.s3, bucket, "incoming/x.csv.gz", gzip.compress(raw))
    with open_object(clients.s3, ref) as opened, gzip.GzipFile(fileobj=opened.stream) as unzipped:
        assert unzipped.read() == raw


def test_missing_objects_raise_not_found(clients, bucket) -> None:
    with pytest.raises(ObjectNotFoundError) as caught:
        read_bytes(clients.s3, bucket, "baseline/current/profile.json")
    assert caught.value.code == "NoSuchKey"
    with pytest.raises(ObjectNotFoundError):
        open_object(clients.s3, ObjectRef(bucket, "incoming/gone.csv", None, "abc"))


def test_write_json_and_read_back(clients, bucket) -> None:
    write_json(clients.s3, bucket, "reports/drift/x.json", {"status": "ok", "rows": 3})
    obj = clients.s3.get_object(Bucket=bucket, Key="reports/drift/x.json")
    assert obj["ContentType"] == "application/json"
    assert json.loads(obj["Body"].read()) == {"status": "ok", "rows": 3}


def test_quarantine_copies_the_exact_version_and_keeps_the_original(clients, bucket) -> None:
    ref = _put(clients.s3, bucket, "incoming/bad.csv", b"not,a\nvalid")
    clients.s3.put_object(Bucket=bucket, Key="incoming/bad.csv", Body=b"newer bytes")
    record = quarantine_object(
        clients.s3, ref, reason="ragged row on line 2", code="ragged_row", batch_id="bad-1"
    )

    assert record.copy_key == "quarantine/files/incoming/bad.csv"
    copy = clients.s3.get_object(Bucket=bucket, Key=record.copy_key)["Body"].read()
    assert copy == b"not,a\nvalid"
    error = json.loads(clients.s3.get_object(Bucket=bucket, Key=record.error_key)["Body"].read())
    assert record.error_key == "quarantine/records/incoming/bad.csv.json"
    assert error["reason"] == "ragged row on line 2"
    assert error["code"] == "ragged_row"
    assert error["batch_id"] == "bad-1"
    assert error["time"].endswith("Z")
    assert error["source"]["version_id"] == ref.version_id
    # the original (both versions) is still there
    original = clients.s3.get_object(Bucket=bucket, Key="incoming/bad.csv", VersionId=ref.version_id)
    assert original["Body"].read() == b"not,a\nvalid"


# --- SageMaker runtime ------------------------------------------------------------------------------


def _features(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows)})


def test_payloads_stay_under_the_limit() -> None:
    lines = [b"%d,%d\n" % (i, i) for i in range(1000)]
    payloads = list(iter_payloads(lines, max_bytes=500))
    assert sum(rows for rows, _ in payloads) == 1000
    assert all(len(body) <= 500 for _, body in payloads)
    assert b"".join(body for _, body in payloads) == b"".join(lines)
    with pytest.raises(ValueError, match="payload limit"):
        list(iter_payloads([b"x" * 20], max_bytes=10))


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        ("0.1\n0.9\n0.4\n", "text/csv", [0.1, 0.9, 0.4]),
        ("0.1,0.9,0.4", "text/csv; charset=utf-8", [0.1, 0.9, 0.4]),
        (
            '{"predictions": [{"score": 0.1}, {"score": 0.9}, {"score": 0.4}]}',
            "application/json",
            [0.1, 0.9, 0.4],
        ),
        ('{"score": 0.1}\n{"score": 0.9}\n{"score": 0.4}\n', "application/jsonlines", [0.1, 0.9, 0.4]),
        ("[0.1, 0.9, 0.4]", "application/json", [0.1, 0.9, 0.4]),
    ],
)
def test_parse_predictions_vector_shapes(body: str, content_type: str, expected: list[float]) -> None:
    np.testing.assert_allclose(parse_predictions(body.encode(), content_type, 3), expected)


def test_parse_predictions_class_probabilities_and_errors() -> None:
    matrix = parse_predictions(b"0.2,0.8\n0.7,0.3\n", "text/csv", 2)
    assert matrix.shape == (2, 2)
    with pytest.raises(EndpointInvocationError, match="2 predictions for 3 rows"):
        parse_predictions(b"0.2\n0.8\n", "text/csv", 3)
    with pytest.raises(EndpointInvocationError, match="cannot parse"):
        parse_predictions(b"oops", "text/csv", 1)


def test_predictor_chunks_and_parses_moto_responses(clients, endpoint, queue_results) -> None:
    frame = _features(50)
    predictor = EndpointPredictor(
        clients.runtime, endpoint, sagemaker=clients.sagemaker, max_payload_bytes=400
    )
    # each row is ~20-40 bytes: work out the chunking the predictor will use, and answer per chunk
    from drift_retrain.aws.endpoint import encode_csv_lines

    chunks = [rows for rows, _ in iter_payloads(encode_csv_lines(frame.to_numpy()), max_bytes=400)]
    assert len(chunks) > 2
    expected = np.arange(50) / 100
    bodies, start = [], 0
    for rows in chunks:
        bodies.append("\n".join(f"{value:.2f}" for value in expected[start : start + rows]) + "\n")
        start += rows
    queue_results(bodies)

    predictions = predictor(frame)
    np.testing.assert_allclose(predictions, expected)
    assert predictor.requests == len(chunks)


def test_predictor_uses_the_encoder(clients, endpoint, queue_results) -> None:
    seen = []

    def encode(frame: pd.DataFrame) -> np.ndarray:
        seen.append(list(frame.columns))
        return frame.to_numpy() * 0

    queue_results(["1\n1\n"])
    predictor = EndpointPredictor(clients.runtime, endpoint, encode=encode)
    np.testing.assert_allclose(predictor(_features(2)), [1, 1])
    assert seen == [["a", "b"]]


def test_missing_endpoint_means_no_champion(clients, mocked_aws) -> None:
    predictor = EndpointPredictor(clients.runtime, "no-such-endpoint", sagemaker=clients.sagemaker)
    with pytest.raises(ChampionUnavailableError, match="no champion yet"):
        predictor(_features(3))
    assert predictor.requests == 0


def test_endpoint_not_in_service_means_no_champion(mocked_aws) -> None:
    sagemaker = boto3.client("sagemaker", region_name="us-east-1")
    runtime = boto3.client("sagemaker-runtime", region_name="us-east-1")
    with Stubber(sagemaker) as stub:
        stub.add_response(
            "describe_endpoint",
            {
                "EndpointName": "champ",
                "EndpointArn": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/champ",
                "EndpointConfigName": "cfg",
                "EndpointStatus": "Creating",
                "CreationTime": "2024-01-01T00:00:00Z",
                "LastModifiedTime": "2024-01-01T00:00:00Z",
            },
            {"EndpointName": "champ"},
        )
        with pytest.raises(ChampionUnavailableError, match="is Creating, not InService"):
            EndpointPredictor(runtime, "champ", sagemaker=sagemaker)(_features(2))


def test_invoke_errors_are_translated(mocked_aws) -> None:
    runtime = boto3.client("sagemaker-runtime", region_name="us-east-1")
    with Stubber(runtime) as stub:
        stub.add_client_error(
            "invoke_endpoint",
            service_error_code="ValidationException",
            service_message="Endpoint champ of account 123456789012 not found.",
        )
        stub.add_client_error("invoke_endpoint", service_error_code="ModelError", service_message="boom")
        predictor = EndpointPredictor(runtime, "champ")
        with pytest.raises(ChampionUnavailableError, match="no champion yet"):
            predictor(_features(2))
        with pytest.raises(
            ChampionUnavailableError, match="failed, concept test skipped: InvokeEndpoint: ModelError"
        ):
            predictor(_features(2))


# --- Step Functions ---------------------------------------------------------------------------------


def test_start_execution_once_per_name(clients, state_machine_arn) -> None:
    name = naming.execution_name_for("b", "incoming/x.csv", "v1", "e")
    payload = {"batch": {"key": "incoming/x.csv"}}
    first = start_execution(clients.sfn, state_machine_arn, name, payload)
    second = start_execution(clients.sfn, state_machine_arn, name, payload)
    third = start_execution(clients.sfn, state_machine_arn, name, {"different": "input"})

    assert not first.duplicate
    assert second.duplicate and third.duplicate
    assert first.execution_arn == second.execution_arn == execution_arn_for(state_machine_arn, name)
    executions = clients.sfn.list_executions(stateMachineArn=state_machine_arn)["executions"]
    assert [e["name"] for e in executions] == [name]
    described = clients.sfn.describe_execution(executionArn=first.execution_arn)
    assert json.loads(described["input"]) == payload


def test_execution_already_exists_without_describe_permission(mocked_aws) -> None:
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:SM"
    with Stubber(sfn) as stub:
        stub.add_client_error("describe_execution", service_error_code="AccessDeniedException")
        stub.add_client_error("start_execution", service_error_code="ExecutionAlreadyExists")
        result = start_execution(sfn, arn, "x-1", {})
    assert result.duplicate
    assert result.execution_arn == "arn:aws:states:us-east-1:123456789012:execution:SM:x-1"


def test_start_execution_other_errors_raise(clients, mocked_aws) -> None:
    arn = "arn:aws:states:us-east-1:123456789012:stateMachine:Missing"
    with pytest.raises(ExecutionStartError) as caught:
        start_execution(clients.sfn, arn, "x-1", {})
    assert caught.value.code == "StateMachineDoesNotExist"


# --- SNS --------------------------------------------------------------------------------------------


def test_notify_publishes_and_skips_without_topic(clients, topic) -> None:
    assert notify(clients.sns, None, "s", "m") is None
    assert notify(clients.sns, "", "s", "m") is None
    long_subject = "Drift détecté\non batch " + "x" * 200
    assert notify(clients.sns, topic.arn, long_subject, "body text")
    [message] = topic.messages()
    assert message["message"] == "body text"
    assert len(message["subject"]) <= 100 and "\n" not in message["subject"]


def test_notify_translates_errors(clients, mocked_aws) -> None:
    with pytest.raises(NotificationError):
        notify(clients.sns, "arn:aws:sns:us-east-1:123456789012:missing", "s", "m")


def test_predictor_sends_headerless_encoded_csv(mocked_aws) -> None:
    from drift_retrain.engine.encoding import FeatureEncoder
    from drift_retrain.engine.schema import infer_schema

    training = pd.DataFrame({"y": [0, 1, 0, 1], "x": [1.5, 2.0, None, 4.25], "c": ["b", "a", "b", "c"]})
    encoder = FeatureEncoder.fit(training, infer_schema(training, label="y"))
    runtime = boto3.client("sagemaker-runtime", region_name="us-east-1")
    with Stubber(runtime) as stub:
        stub.add_response(
            "invoke_endpoint",
            {"Body": b"0.2\n0.7\n0.1\n", "ContentType": "text/csv"},
            {
                "EndpointName": "champ",
                "ContentType": "text/csv",
                "Accept": "text/csv",
                # categories as their sorted-vocabulary codes, missing and unseen values as empty fields
                "Body": b"1.5,1\n,0\n4.25,\n",
                # the service's own request, left out of Data Capture's windows (test_records.py)
                "InferenceId": ANY,
            },
        )
        predictions = EndpointPredictor(runtime, "champ", encode=encoder.transform)(
            pd.DataFrame({"x": [1.5, None, 4.25], "c": ["b", "a", "zzz"]})
        )
    np.testing.assert_allclose(predictions, [0.2, 0.7, 0.1])


class _FlakyBody:
    """A StreamingBody whose connection times out after the first chunk."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.reads = 0

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        if self.reads > 1:
            from botocore.exceptions import ReadTimeoutError

            raise ReadTimeoutError(endpoint_url="https://s3.amazonaws.com")
        return self._data.read(size)

    def close(self) -> None:
        pass


@pytest.mark.parametrize("compress", [False, True], ids=["csv", "csv-gz"])
def test_network_failure_mid_stream_is_a_storage_error_not_a_bad_file(compress: bool) -> None:
    """botocore's ReadTimeoutError is an OSError; it must not reach the reader as "corrupt gzip"."""
    from drift_retrain.aws.exceptions import StorageError
    from drift_retrain.aws.objects import _StreamingBodyReader
    from drift_retrain.engine.reading import read_csv

    data = b"a,b\n" + b"1,2\n" * 50_000
    body = _FlakyBody(gzip.compress(data) if compress else data)
    stream = io.BufferedReader(_StreamingBodyReader(body), buffer_size=4096)
    with pytest.raises(StorageError, match="mid-stream") as caught:
        read_csv(stream, label="a", block_bytes=8192)
    assert caught.value.code == "StreamReadError"
