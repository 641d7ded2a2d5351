"""DetectDrift on partitions (moto): parts wait, the marker checks them as one batch, late or unlisted
parts and broken markers each get their own reason, and nothing is lost."""

from __future__ import annotations

import io
import json

import boto3
import fastparquet
import pandas as pd
import pytest
from functional_support import LABEL, REGION, list_executions, read_report

from drift_retrain.layout import quarantine_copy_key, quarantine_record_key

FOLDER = "incoming/day=2026-12-01/"


def parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    fastparquet.write(buffer, frame, row_group_offsets=500, compression="SNAPPY")
    return buffer.getvalue()


@pytest.fixture
def drifted_parts(make_frame_fn) -> list[bytes]:
    """3,000 drifted, labelled rows written as three Parquet parts (1,000 rows each)."""
    frame = make_frame_fn(3000, seed=7, shift=0.5)
    return [parquet(frame.iloc[i : i + 1000].reset_index(drop=True)) for i in range(0, 3000, 1000)]


def upload_parts(detect_drift, parts: list[bytes]) -> list[tuple[dict, dict]]:
    """Put each part and deliver its event, as S3 would: (event, DetectDrift's response) per part."""
    delivered = []
    for i, body in enumerate(parts):
        event = detect_drift.upload(f"{FOLDER}part-{i:05d}.parquet", body)
        delivered.append((event, detect_drift.invoke(event).response))
    return delivered


def test_a_parquet_partition_is_one_batch_one_report_one_retrain(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, drifted_parts, monkeypatch
):
    monkeypatch.setenv("RETRAIN_ON", "performance_or_features")
    delivered = upload_parts(detect_drift, drifted_parts)
    assert [response["status"] for _, response in delivered] == ["waiting_for_partition"] * 3
    assert list_executions(clients, state_machine_arn) == []
    assert not clients.s3.list_objects_v2(Bucket=bucket, Prefix="reports/drift/").get("KeyCount")

    marker = detect_drift.upload(f"{FOLDER}_SUCCESS", b"")
    first = detect_drift.invoke(marker).response
    again = detect_drift.invoke(marker).response  # at-least-once delivery
    redelivered_part = detect_drift.invoke(delivered[1][0]).response  # a part's event, delivered again

    assert first["status"] == "checked" and first["retrain"] is True
    assert first["batch_id"].startswith("day-2026-12-01-")  # named after the partition, not the marker
    report = read_report(clients, bucket, first["report_key"])
    assert report["rows"] == 3000 and report["labelled_rows"] == 3000
    assert [p["key"] for p in report["sampling"]["parts"]] == [
        f"{FOLDER}part-{i:05d}.parquet" for i in range(3)
    ]
    assert again["execution"]["duplicate"] is True
    executions = list_executions(clients, state_machine_arn)
    assert len(executions) == 1
    payload = json.loads(clients.sfn.describe_execution(executionArn=executions[0]["executionArn"])["input"])
    assert payload["batch"]["key"] == f"{FOLDER}_SUCCESS"
    assert redelivered_part["status"] == "waiting_for_partition"
    assert redelivered_part["message"].endswith("checked with its partition")
    assert len(list_executions(clients, state_machine_arn)) == 1


def test_a_part_after_the_marker_is_quarantined_as_late_and_kept(
    detect_drift, clients, bucket, profile_uploaded, drifted_parts
):
    upload_parts(detect_drift, drifted_parts[:2])
    checked = detect_drift.invoke(detect_drift.upload(f"{FOLDER}_SUCCESS", b"")).response
    assert read_report(clients, bucket, checked["report_key"])["rows"] == 2000

    late_key = f"{FOLDER}part-00002.parquet"
    late = detect_drift.invoke(detect_drift.upload(late_key, drifted_parts[2])).response

    assert late["status"] == "invalid"
    error = read_report(clients, bucket, quarantine_record_key(late_key))
    assert error["code"] == "late_part" and "checked without it" in error["reason"]
    assert clients.s3.get_object(Bucket=bucket, Key=late_key)["Body"].read() == drifted_parts[2]
    assert (
        clients.s3.get_object(Bucket=bucket, Key=quarantine_copy_key(late_key))["Body"].read()
        == drifted_parts[2]
    )


def test_a_manifest_names_the_parts_and_an_unlisted_part_is_quarantined_unread(
    detect_drift, clients, bucket, profile_uploaded, drifted_parts
):
    upload_parts(detect_drift, drifted_parts)
    manifest = {
        "parts": [
            {"key": "part-00000.parquet", "size": len(drifted_parts[0])},
            {"key": f"{FOLDER}part-00001.parquet", "size": len(drifted_parts[1])},
        ]
    }
    checked = detect_drift.invoke(
        detect_drift.upload(f"{FOLDER}_manifest.json", json.dumps(manifest).encode())
    )

    assert checked.response["status"] == "checked"
    assert read_report(clients, bucket, checked.response["report_key"])["rows"] == 2000
    unlisted = f"{FOLDER}part-00002.parquet"
    error = read_report(clients, bucket, quarantine_record_key(unlisted))
    assert error["code"] == "part_not_in_manifest"
    assert clients.s3.get_object(Bucket=bucket, Key=unlisted)["Body"].read() == drifted_parts[2]


@pytest.mark.parametrize(
    ("marker", "body", "code", "fragment"),
    [
        ("_SUCCESS", b"", "empty_partition", "no part-* file"),
        ("_manifest.json", b"{not json", "invalid_manifest", "not JSON"),
        (
            "_manifest.json",
            b'{"parts": [{"key": "part-00000.parquet"}]}',
            "invalid_manifest",
            '"size" or an "etag"',
        ),
        (
            "_manifest.json",
            b'{"parts": [{"key": "part-00009.parquet", "size": 1}]}',
            "part_missing",
            "not in the folder",
        ),
        (
            "_manifest.json",
            b'{"parts": [{"key": "part-00000.parquet", "size": 1}]}',
            "part_missing",
            "the manifest says 1",
        ),
    ],
    ids=[
        "marker-without-parts",
        "manifest-not-json",
        "manifest-no-size",
        "manifest-part-absent",
        "manifest-wrong-size",
    ],
)
def test_a_broken_partition_is_quarantined_with_its_reason(
    detect_drift,
    clients,
    bucket,
    profile_uploaded,
    drifted_parts,
    state_machine_arn,
    marker,
    body,
    code,
    fragment,
):
    if marker == "_manifest.json":
        upload_parts(detect_drift, drifted_parts[:1])
    result = detect_drift.invoke(detect_drift.upload(f"{FOLDER}{marker}", body)).response

    assert result["status"] == "invalid"
    error = read_report(clients, bucket, quarantine_record_key(f"{FOLDER}{marker}"))
    assert (error["code"], fragment in error["reason"]) == (code, True), error["reason"]
    assert read_report(clients, bucket, result["report_key"])["error_code"] == code
    assert list_executions(clients, state_machine_arn) == []


def test_parts_that_disagree_fail_the_partition_naming_the_part(
    detect_drift, clients, bucket, profile_uploaded, drifted_parts, make_frame_fn
):
    unlabelled = parquet(make_frame_fn(1000, seed=9).drop(columns=[LABEL]))
    upload_parts(detect_drift, [drifted_parts[0], unlabelled])
    result = detect_drift.invoke(detect_drift.upload(f"{FOLDER}_SUCCESS", b"")).response

    error = read_report(clients, bucket, quarantine_record_key(f"{FOLDER}_SUCCESS"))
    assert result["status"] == "invalid" and error["code"] == "partition_schema_mismatch"
    assert "part-00001.parquet" in error["reason"] and LABEL in error["reason"]


def test_a_part_over_max_object_bytes_fails_its_partition(
    detect_drift, clients, bucket, profile_uploaded, drifted_parts, monkeypatch
):
    monkeypatch.setenv("MAX_OBJECT_BYTES", str(max(len(p) for p in drifted_parts) - 1))
    upload_parts(detect_drift, drifted_parts)
    result = detect_drift.invoke(detect_drift.upload(f"{FOLDER}_SUCCESS", b"")).response

    error = read_report(clients, bucket, quarantine_record_key(f"{FOLDER}_SUCCESS"))
    assert result["status"] == "invalid" and error["code"] == "object_too_large"


def test_a_parquet_object_is_checked_through_ranged_reads_pinned_to_its_revision(
    detect_drift, clients, bucket, profile_uploaded, drifted_parts
):
    from drift_retrain.aws.objects import ObjectRef
    from drift_retrain.aws.ranged import RangedObject
    from drift_retrain.engine.batch_reader import read_batch

    event = detect_drift.upload("incoming/batch.parquet", drifted_parts[0])
    result = detect_drift.invoke(event).response
    assert result["status"] == "checked"
    assert read_report(clients, bucket, result["report_key"])["rows"] == 1000

    gets = []
    s3 = boto3.client("s3", region_name=REGION)  # its own: the shared clients stay unchanged
    s3.meta.events.register(
        "before-parameter-build.s3.GetObject", lambda params, **_: gets.append(dict(params))
    )
    version = event["detail"]["object"]["version-id"]
    ranged = RangedObject(
        s3, ObjectRef(bucket, "incoming/batch.parquet", version_id=version), block_bytes=4096
    )
    clients.s3.put_object(
        Bucket=bucket, Key="incoming/batch.parquet", Body=b"overwritten"
    )  # a newer revision
    assert read_batch(ranged, name="incoming/batch.parquet").rows_read == 1000
    assert gets and all(g["Range"].startswith("bytes=") and g["VersionId"] == version for g in gets)
