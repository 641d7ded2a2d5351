"""A quarantine record belongs to its batch: an upload named like a record gets its own, and a key near
S3's 1,024-byte limit still gets its copy and record (S3's limit enforced as the local cloud does)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from functional_support import read_report

from drift_retrain.layout import MAX_KEY_BYTES, quarantine_keys
from drift_retrain_local.seams import s3_keys

RAGGED = b"churned,tenure,monthly_charges,support_calls,plan,region\n0,12.5,70.1,2,basic,north\n1,2\n"
NOT_CSV = b"PK\x03\x04" + b"\x00" * 64  # a zip archive: refused whatever its name


@pytest.fixture
def s3_key_limit(mocked_aws: None) -> Iterator[None]:
    """moto with S3's key-length limit, as the local cloud runs it."""
    s3_keys.install()
    yield
    s3_keys.uninstall()


def test_an_upload_named_like_a_record_leaves_the_batchs_reason_alone(
    detect_drift, clients, bucket, profile_uploaded
) -> None:
    detect_drift.invoke(detect_drift.upload("incoming/x.csv", RAGGED))
    detect_drift.invoke(detect_drift.upload("incoming/x.csv.error.json", NOT_CSV))

    assert read_report(clients, bucket, quarantine_keys("incoming/x.csv")[1])["code"] == "ragged_row"
    assert (
        read_report(clients, bucket, quarantine_keys("incoming/x.csv.error.json")[1])["code"] == "zip_archive"
    )


def test_a_key_near_the_s3_limit_gets_its_quarantine_copy_and_record(
    s3_key_limit, detect_drift, clients, bucket, profile_uploaded
) -> None:
    key = "incoming/" + "ü" * ((MAX_KEY_BYTES - len("incoming/") - len(".csv")) // 2) + ".csv"
    assert len(key.encode("utf-8")) <= MAX_KEY_BYTES

    result = detect_drift.invoke(detect_drift.upload(key, RAGGED))

    assert result.response["status"] == "invalid"
    copy, record = quarantine_keys(key)
    assert (result.response["quarantine_key"], result.response["quarantine_record_key"]) == (copy, record)
    assert clients.s3.get_object(Bucket=bucket, Key=copy)["Body"].read() == RAGGED
    assert read_report(clients, bucket, record)["source"]["key"] == key
