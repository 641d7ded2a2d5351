"""DetectDrift and bad input against moto: every malformed file is quarantined with its reason, a second
delivery is harmless, accepted encodings are checked, and an unversioned bucket uses the ETag."""

from __future__ import annotations

import gzip
import re

import pytest
from functional_support import (
    frame_to_csv_bytes,
    list_executions,
    list_keys,
    load_event,
    read_report,
)

from drift_retrain.layout import quarantine_copy_key, quarantine_record_key

# --- bad input: quarantined, original kept, never retrained -----------------------------------------

HEADER = b"churned,tenure,monthly_charges,support_calls,plan,region\n"
ROWS = (
    b"0,12.5,70.1,2,basic,north\n"
    b"1,3.0,99.9,5,premium,south\n"
    b"0,48.0,45.2,1,plus,east\n"
    b"1,6.5,88.0,4,basic,west\n"
)
GOOD = HEADER + ROWS

BAD_INPUTS = [
    pytest.param("empty.csv", b"", "empty_file", "the file is empty", id="empty-file"),
    pytest.param("header-only.csv", HEADER, "no_rows", "header row but no data rows", id="header-only"),
    pytest.param(
        "missing-column.csv",
        b"churned,tenure,monthly_charges,support_calls,plan\n0,12.5,70.1,2,basic\n",
        "missing_columns",
        "missing feature columns ['region']",
        id="missing-column",
    ),
    pytest.param(
        "renamed-label.csv",
        b"Churned,tenure,monthly_charges,support_calls,plan,region\n0,12.5,70.1,2,basic,north\n",
        "renamed_columns",
        "the label column 'churned' looks renamed to 'Churned'",
        id="renamed-label",
    ),
    pytest.param(
        "renamed-column.csv",
        GOOD.replace(b"tenure", b"tenure_months", 1),
        "renamed_columns",
        "'tenure' looks renamed to 'tenure_months'",
        id="renamed-column",
    ),
    pytest.param("ragged.csv", GOOD + b"1,2,3\n", "ragged_row", "line 6: expected 6 fields", id="ragged-row"),
    pytest.param(
        "non-numeric.csv",
        HEADER + b"0,twelve,70.1,2,basic,north\n" + ROWS,
        "not_numeric",
        "column 'tenure': 'twelve' is not a number",
        id="non-numeric",
    ),
    pytest.param(
        "latin1.csv",
        HEADER + b"0,12.5,70.1,2,basic,n\xf6rth\n" + ROWS,
        "not_utf8",
        "not valid UTF-8",
        id="undecodable-bytes",
    ),
    pytest.param(
        "corrupt.csv.gz",
        gzip.compress(GOOD)[:25] + b"\x00garbage\xff" * 4,
        "corrupt_gzip",
        "gzip data is corrupt or truncated",
        id="corrupt-gzip",
    ),
    pytest.param(
        "truncated.csv.gz",
        gzip.compress(GOOD)[:-12],
        "corrupt_gzip",
        "gzip data is corrupt or truncated",
        id="truncated-gzip",
    ),
]


@pytest.mark.parametrize(("name", "body", "code", "reason"), BAD_INPUTS)
def test_bad_input_is_quarantined_with_its_reason(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, topic, name, body, code, reason
) -> None:
    key = f"incoming/{name}"
    event = detect_drift.upload(key, body)

    result = detect_drift.invoke(event)  # returns normally: a raised error would make Lambda retry

    assert result.response["status"] == "invalid"
    assert reason in result.response["message"]
    # quarantined copy (byte for byte) and the reason beside it
    assert clients.s3.get_object(Bucket=bucket, Key=quarantine_copy_key(key))["Body"].read() == body
    error = read_report(clients, bucket, quarantine_record_key(key))
    assert error["code"] == code
    assert reason in error["reason"]
    assert error["batch_id"] == result.response["batch_id"]
    assert error["time"]
    # the original is still where it landed
    assert clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    # no retrain, and the report says invalid, never drift
    assert list_executions(clients, state_machine_arn) == []
    report = read_report(clients, bucket, result.response["report_key"])
    assert report["status"] == "invalid" and report["error_code"] == code
    assert report["retrain"] is False and report["drifted_features"] == []
    assert report["concept_drift"]["detected"] is False
    assert result.metric("QuarantinedBatches") == 1
    assert result.metric_values("RetrainTriggered") == []
    [message] = topic.messages()
    assert message["subject"] == f"[drift-retrain] Batch quarantined: {key.rpartition('/')[2]} ({code})"
    assert reason in message["message"]


def test_second_delivery_of_a_bad_file_is_harmless(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn
) -> None:
    event = detect_drift.upload("incoming/ragged.csv", GOOD + b"1,2\n")
    first = detect_drift.invoke(event)
    second = detect_drift.invoke(event)
    assert (
        first.response["quarantine_key"]
        == second.response["quarantine_key"]
        == "quarantine/files/incoming/ragged.csv"
    )
    assert list_keys(clients, bucket, "quarantine/") == [
        "quarantine/files/incoming/ragged.csv",
        "quarantine/records/incoming/ragged.csv.json",
    ]
    assert list_executions(clients, state_machine_arn) == []


# --- accepted encodings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        pytest.param("plain.csv", lambda data: data, id="csv"),
        pytest.param("zipped.csv.gz", gzip.compress, id="csv-gz"),
        pytest.param("bom.csv", lambda data: b"\xef\xbb\xbf" + data, id="utf8-bom"),
        pytest.param("windows.csv", lambda data: data.replace(b"\n", b"\r\n"), id="crlf"),
        pytest.param(
            "bom-crlf.csv.gz",
            lambda data: gzip.compress(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")),
            id="all",
        ),
    ],
)
def test_accepted_encodings_are_checked(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, make_frame_fn, name, encode
) -> None:
    body = encode(frame_to_csv_bytes(make_frame_fn(600, seed=5)))
    result = detect_drift.invoke(detect_drift.upload(f"incoming/{name}", body))

    assert result.response["status"] == "checked", result.response["message"]
    report = read_report(clients, bucket, result.response["report_key"])
    assert report["status"] == "ok" and report["rows"] == 600
    assert report["sampling"]["compressed"] is name.endswith(".gz")
    assert list_keys(clients, bucket, "quarantine/") == []


def test_unversioned_bucket_uses_the_etag(
    detect_drift, clients, mocked_aws, lambda_env, baseline_profile, make_frame_fn, monkeypatch
) -> None:
    clients.s3.create_bucket(Bucket="plain-bucket")
    clients.s3.put_object(
        Bucket="plain-bucket", Key="baseline/current/profile.json", Body=baseline_profile.to_json_bytes()
    )
    monkeypatch.setenv("DATA_BUCKET", "plain-bucket")
    body = gzip.compress(frame_to_csv_bytes(make_frame_fn(600, seed=9)))
    put = clients.s3.put_object(
        Bucket="plain-bucket", Key="incoming/2024/05/batch-2024-05-14.csv.gz", Body=body
    )
    event = load_event("detect_drift_object_created_unversioned.json")
    event["detail"]["bucket"]["name"] = "plain-bucket"
    event["detail"]["object"]["etag"] = put["ETag"].strip('"')
    event["detail"]["object"]["size"] = len(body)

    result = detect_drift.invoke(event)

    assert result.response["status"] == "checked"
    assert re.fullmatch(r"2024-05-batch-2024-05-14-[0-9a-f]{8}", result.response["batch_id"])
    assert read_report(clients, "plain-bucket", result.response["report_key"])["status"] == "ok"


def test_object_deleted_before_the_check_is_skipped(detect_drift, clients, bucket, profile_uploaded) -> None:
    event = detect_drift.upload("incoming/short-lived.csv", GOOD)
    version = event["detail"]["object"]["version-id"]
    clients.s3.delete_object(Bucket=bucket, Key="incoming/short-lived.csv", VersionId=version)

    result = detect_drift.invoke(event)

    assert result.response["status"] == "object_gone"
    assert list_keys(clients, bucket, "quarantine/") == [] and list_keys(clients, bucket, "reports/") == []
    assert result.metric("SkippedBatches") == 1
