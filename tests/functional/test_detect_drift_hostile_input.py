"""DetectDrift and hostile or mislabelled input against moto (issue 9): every kind is quarantined with a
reason that names what the file is, limits stop oversized work before or while reading, and values
echoed from the input are capped in the report, the quarantine record and the notification."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import zipfile

import pytest
from functional_support import frame_to_csv_bytes, list_executions, list_keys, read_report

HEADER = b"churned,tenure,monthly_charges,support_calls,plan,region\n"
ROWS = b"0,12.5,70.1,2,basic,north\n1,3.0,99.9,5,premium,south\n0,48.0,45.2,1,plus,east\n"
GOOD = HEADER + ROWS


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("batch.csv", data)
    return buffer.getvalue()


HOSTILE = [
    pytest.param(
        b"PAR1\x15\x04\x15\x00\x00\x00" + b"\x00" * 64 + b"PAR1",
        "wrong_extension",
        "named as CSV but its bytes are a Parquet file",
        id="parquet-named-csv",
    ),
    pytest.param(_zip(GOOD), "zip_archive", "zip archive", id="zip"),
    pytest.param(bz2.compress(GOOD), "unsupported_compression", "bzip2", id="bzip2"),
    pytest.param(GOOD.decode().encode("utf-16"), "utf16", "UTF-16", id="utf16-bom"),
    pytest.param(GOOD.decode().encode("utf-16-le"), "utf16", "UTF-16", id="utf16-no-bom"),
    pytest.param(b"\x00" * 4096, "binary_file", "only NUL", id="nul-only"),
    pytest.param(
        GOOD + b"1,2.0,50.0,1,ba\x00sic,north\n", "nul_byte", "line 5: a NUL byte", id="nul-in-category"
    ),
    pytest.param(GOOD + b"1,2.0,50.0,1,ba\rsic,north\n", "carriage_return", "line 5", id="cr-in-field"),
    pytest.param(GOOD + b"1,2.0,50.0,1,5'10\",north\n", "stray_quote", "line 5", id="stray-quote"),
    pytest.param(GOOD + b"1,inf,50.0,1,basic,north\n", "infinite_value", "'inf'", id="inf"),
    pytest.param(GOOD + b"1,1e400,50.0,1,basic,north\n", "infinite_value", "'1e400'", id="1e400"),
]


@pytest.mark.parametrize(("body", "code", "fragment"), HOSTILE)
def test_hostile_input_is_quarantined_with_a_reason_naming_it(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, topic, body, code, fragment
) -> None:
    key = "incoming/hostile.csv"
    result = detect_drift.invoke(detect_drift.upload(key, body))

    assert result.response["status"] == "invalid"
    error = read_report(clients, bucket, f"quarantine/{key}.error.json")
    assert (error["code"], fragment in error["reason"]) == (code, True), error["reason"]
    assert clients.s3.get_object(Bucket=bucket, Key=f"quarantine/{key}")["Body"].read() == body
    assert clients.s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    assert read_report(clients, bucket, result.response["report_key"])["error_code"] == code
    assert list_executions(clients, state_machine_arn) == []
    [message] = topic.messages()
    assert f"({code})" in message["subject"] and fragment in message["message"]


def test_an_object_over_the_size_limit_is_quarantined_from_the_event_alone(
    detect_drift, clients, bucket, profile_uploaded, topic, monkeypatch
) -> None:
    monkeypatch.setenv("MAX_OBJECT_BYTES", str(2 * 1024**3))
    event = detect_drift.upload("incoming/huge.csv", GOOD)
    event["detail"]["object"]["size"] = 3 * 1024**3  # what the event says; the few bytes are never read

    result = detect_drift.invoke(event)

    assert result.response["status"] == "invalid"
    error = read_report(clients, bucket, "quarantine/incoming/huge.csv.error.json")
    assert error["code"] == "object_too_large"
    assert "3.0 GiB" in error["reason"] and "MAX_OBJECT_BYTES=2.0 GiB" in error["reason"]
    assert list_keys(clients, bucket, "quarantine/") == [
        "quarantine/incoming/huge.csv",
        "quarantine/incoming/huge.csv.error.json",
    ]


def test_without_a_size_in_the_event_the_limit_holds_while_reading(
    detect_drift, clients, bucket, profile_uploaded, monkeypatch
) -> None:
    monkeypatch.setenv("MAX_OBJECT_BYTES", "100")
    event = detect_drift.upload("incoming/unsized.csv", GOOD * 3)
    del event["detail"]["object"]["size"]

    result = detect_drift.invoke(event)

    assert result.response["status"] == "invalid"
    assert read_report(clients, bucket, result.response["report_key"])["error_code"] == "object_too_large"


def test_gzip_expanding_past_the_decompressed_limit_is_quarantined(
    detect_drift, clients, bucket, profile_uploaded, monkeypatch
) -> None:
    monkeypatch.setenv("MAX_DECOMPRESSED_BYTES", "100000")
    body = gzip.compress(HEADER + b"0,12.5,70.1,2,basic,north\n" * 10_000)  # 260 kB from about 1 kB

    result = detect_drift.invoke(detect_drift.upload("incoming/bomb.csv.gz", body))

    assert result.response["status"] == "invalid"
    error = read_report(clients, bucket, "quarantine/incoming/bomb.csv.gz.error.json")
    assert error["code"] == "decompressed_too_large"


def test_a_ten_megabyte_cell_is_echoed_capped_everywhere(
    detect_drift, clients, bucket, profile_uploaded, topic
) -> None:
    cell = b"9" * 5_000_000 + b"x" * 5_000_000
    body = HEADER + b"0," + cell + b",70.1,2,basic,north\n" + ROWS

    result = detect_drift.invoke(detect_drift.upload("incoming/big-cell.csv", body))

    assert result.response["status"] == "invalid"
    error = read_report(clients, bucket, "quarantine/incoming/big-cell.csv.error.json")
    assert error["code"] == "not_numeric"
    assert "(10,000,000 characters)" in error["reason"] and len(error["reason"]) < 500
    report = clients.s3.get_object(Bucket=bucket, Key=result.response["report_key"])["Body"].read()
    assert len(report) < 20_000
    [message] = topic.messages()
    assert len(message["message"]) < 1_500


def test_a_ten_megabyte_category_is_reported_capped(
    detect_drift, clients, bucket, profile_uploaded, make_frame_fn
) -> None:
    frame = make_frame_fn(600, seed=5)
    frame.loc[0, "region"] = "r" * 10_000_000
    result = detect_drift.invoke(detect_drift.upload("incoming/big-category.csv", frame_to_csv_bytes(frame)))

    assert result.response["status"] == "checked"
    report = clients.s3.get_object(Bucket=bucket, Key=result.response["report_key"])["Body"].read()
    assert len(report) < 100_000
    region = next(f for f in json.loads(report)["features"] if f["name"] == "region")
    [unseen] = region["unseen_categories"]
    assert unseen["value"].endswith("(10,000,000 characters)") and unseen["count"] == 1
