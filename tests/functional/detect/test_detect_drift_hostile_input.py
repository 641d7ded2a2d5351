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

from drift_retrain.layout import quarantine_copy_key, quarantine_record_key

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
    # issue 19
    pytest.param(
        GOOD + b"1,true,50.0,1,basic,north\n", "not_numeric", "'true' is not a number", id="true-in-numeric"
    ),
    pytest.param(GOOD.replace(b",", b";"), "wrong_delimiter", "separated by semicolons", id="semicolons"),
    pytest.param(b"sep=,\n" + GOOD, "excel_sep_line", "Excel's separator hint", id="excel-sep-line"),
    pytest.param(
        HEADER + b"0,1.0,2.0,1," + b"p" * (1024 * 1024 + 1) + b",north\n",
        "cell_too_large",
        "line 2, column 'plan'",
        id="huge-cell",
    ),
    pytest.param(
        HEADER.rstrip(b"\n") + b"".join(b",c%d" % i for i in range(150_000)) + b"\n",
        "too_many_columns",
        "150,006 columns, over MAX_COLUMNS=10,000",
        id="150k-columns",
    ),
]


@pytest.mark.parametrize(("body", "code", "fragment"), HOSTILE)
def test_hostile_input_is_quarantined_with_a_reason_naming_it(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, topic, body, code, fragment
) -> None:
    key = "incoming/hostile.csv"
    result = detect_drift.invoke(detect_drift.upload(key, body))

    assert result.response["status"] == "invalid"
    error = read_report(clients, bucket, quarantine_record_key(key))
    assert (error["code"], fragment in error["reason"]) == (code, True), error["reason"]
    assert clients.s3.get_object(Bucket=bucket, Key=quarantine_copy_key(key))["Body"].read() == body
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
    error = read_report(clients, bucket, quarantine_record_key("incoming/huge.csv"))
    assert error["code"] == "object_too_large"
    assert "3.0 GiB" in error["reason"] and "MAX_OBJECT_BYTES=2.0 GiB" in error["reason"]
    assert list_keys(clients, bucket, "quarantine/") == [
        "quarantine/files/incoming/huge.csv",
        "quarantine/records/incoming/huge.csv.json",
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
    error = read_report(clients, bucket, quarantine_record_key("incoming/bomb.csv.gz"))
    assert error["code"] == "decompressed_too_large"


def test_a_ten_megabyte_cell_is_echoed_capped_everywhere(
    detect_drift, clients, bucket, profile_uploaded, topic, monkeypatch
) -> None:
    monkeypatch.setenv("MAX_CELL_BYTES", str(16 * 1024**2))
    cell = b"9" * 5_000_000 + b"x" * 5_000_000
    body = HEADER + b"0," + cell + b",70.1,2,basic,north\n" + ROWS

    result = detect_drift.invoke(detect_drift.upload("incoming/big-cell.csv", body))

    assert result.response["status"] == "invalid"
    error = read_report(clients, bucket, quarantine_record_key("incoming/big-cell.csv"))
    assert error["code"] == "not_numeric"
    assert "(10,000,000 characters)" in error["reason"] and len(error["reason"]) < 500
    report = clients.s3.get_object(Bucket=bucket, Key=result.response["report_key"])["Body"].read()
    assert len(report) < 20_000
    [message] = topic.messages()
    assert len(message["message"]) < 1_500


def test_a_ten_megabyte_category_is_reported_capped(
    detect_drift, clients, bucket, profile_uploaded, make_frame_fn, monkeypatch
) -> None:
    monkeypatch.setenv("MAX_CELL_BYTES", str(16 * 1024**2))
    frame = make_frame_fn(600, seed=5)
    frame.loc[0, "region"] = "r" * 10_000_000
    result = detect_drift.invoke(detect_drift.upload("incoming/big-category.csv", frame_to_csv_bytes(frame)))

    assert result.response["status"] == "checked"
    report = clients.s3.get_object(Bucket=bucket, Key=result.response["report_key"])["Body"].read()
    assert len(report) < 100_000
    region = next(f for f in json.loads(report)["features"] if f["name"] == "region")
    [unseen] = region["unseen_categories"]
    assert unseen["value"].endswith("(10,000,000 characters)") and unseen["count"] == 1


def test_a_wide_header_is_quarantined_in_linear_time(detect_drift, clients, bucket, profile_uploaded) -> None:
    """150,000 distinct names past the cap, and 9,000 with a duplicate among them under it: both refused
    by name (the duplicate check was quadratic: 235 s for this header)."""
    wide = HEADER.rstrip(b"\n") + b"".join(b",c%d" % i for i in range(9_000)) + b",c5\n" + ROWS
    result = detect_drift.invoke(detect_drift.upload("incoming/wide.csv", wide))
    error = read_report(clients, bucket, quarantine_record_key("incoming/wide.csv"))
    assert (result.response["status"], error["code"]) == ("invalid", "duplicate_columns")
    assert "['c5']" in error["reason"]


def test_an_extra_column_is_a_warning_and_the_known_columns_are_checked(
    detect_drift, clients, bucket, profile_uploaded, make_frame_fn
) -> None:
    frame = make_frame_fn(600, seed=5)
    frame["coupon"] = "yes"
    result = detect_drift.invoke(detect_drift.upload("incoming/extra.csv", frame_to_csv_bytes(frame)))

    assert result.response["status"] == "checked"
    report = read_report(clients, bucket, result.response["report_key"])
    [warning] = report["input_warnings"]
    assert (warning["code"], warning["columns"], warning["count"]) == ("extra_columns", ["'coupon'"], 1)
    assert {f["name"] for f in report["features"]} == {
        "tenure",
        "monthly_charges",
        "support_calls",
        "plan",
        "region",
    }
    assert report["rows"] == 600 and report["labelled_rows"] == 600


def test_rows_of_a_new_class_are_set_aside_and_alerted_never_retrained(
    detect_drift, clients, bucket, profile_uploaded, make_frame_fn, state_machine_arn, topic
) -> None:
    frame = make_frame_fn(600, seed=6).astype({"churned": object})
    frame.loc[[3, 10, 11], "churned"] = "maybe"
    result = detect_drift.invoke(detect_drift.upload("incoming/new-class.csv", frame_to_csv_bytes(frame)))

    assert result.response["status"] == "checked"
    report = read_report(clients, bucket, result.response["report_key"])
    assert report["set_aside"]["unknown_class"] == {
        "rows": 3,
        "classes": {"maybe": 3},
        "distinct": 1,
        "first_line": 5,
    }
    [alert] = report["input_alerts"]
    assert alert["code"] == "label_classes_changed" and alert["new_classes"] == ["maybe"]
    assert report["alert"] is True and report["retrain"] is False
    assert report["rows"] == 597 and report["labelled_rows"] == 597
    assert list_executions(clients, state_machine_arn) == []
    [message] = topic.messages()
    assert "3 rows have labels the model never saw ('maybe'" in message["message"]


def test_a_batch_of_only_new_classes_is_quarantined_with_the_way_forward(
    detect_drift, clients, bucket, profile_uploaded, make_frame_fn
) -> None:
    frame = make_frame_fn(50, seed=7).astype({"churned": object})
    frame["churned"] = "maybe"
    result = detect_drift.invoke(detect_drift.upload("incoming/all-new.csv", frame_to_csv_bytes(frame)))

    error = read_report(clients, bucket, quarantine_record_key("incoming/all-new.csv"))
    assert (result.response["status"], error["code"]) == ("invalid", "unknown_class")
    assert "new classes ['maybe']" in error["reason"] and "bootstrap run" in error["reason"]
