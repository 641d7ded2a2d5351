"""DetectDrift hands a partition of more than one part (or more than SINGLE_CHECK_MAX_BYTES) to the
partition-check state machine (moto): the item list pins each part, the execution is named after the
marker's revision so a redelivery starts nothing, a part over MAX_OBJECT_BYTES fails the batch naming the
part before anything starts, and a small one-part partition is still read in the Lambda."""

from __future__ import annotations

import gzip
import io
import itertools
import json
import math
import os

import fastparquet
import pandas as pd
import pytest
from functional_support import ACCOUNT, LABEL, list_executions

from drift_retrain.aws.clients import LazyClients
from drift_retrain.detect.context import DetectSettings
from drift_retrain.engine.summary import PartialSummary, merge_summaries
from drift_retrain.layout import partition_check_keys, quarantine_record_key
from drift_retrain.partition_check.part import summarise_part
from drift_retrain.settings.lambda_env import settings_environ

FOLDER = "incoming/day=2026-12-02/"


@pytest.fixture
def check_arn(clients, monkeypatch) -> str:
    arn = clients.sfn.create_state_machine(
        name="drift-retrain-check-partition",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/check-partition",
    )["stateMachineArn"]
    monkeypatch.setenv("PARTITION_CHECK_STATE_MACHINE_ARN", arn)
    return arn


def parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    fastparquet.write(buffer, frame, compression="SNAPPY")
    return buffer.getvalue()


def upload_parts(detect_drift, make_frame_fn, count: int) -> list[dict]:
    frame = make_frame_fn(300 * count, seed=3)
    return [
        detect_drift.upload(f"{FOLDER}part-{i:05d}.parquet", parquet(frame.iloc[i * 300 : (i + 1) * 300]))
        for i in range(count)
    ]


def test_a_partition_of_several_parts_starts_one_check_and_a_redelivery_starts_nothing(
    detect_drift, clients, bucket, profile_uploaded, state_machine_arn, check_arn, make_frame_fn
):
    upload_parts(detect_drift, make_frame_fn, 3)
    marker = detect_drift.upload(f"{FOLDER}_SUCCESS", b"")
    first = detect_drift.invoke(marker).response
    again = detect_drift.invoke(marker).response

    assert first["status"] == "partition_check_started" and first["report_key"] is None
    assert first["partition_check"]["duplicate"] is False and again["partition_check"]["duplicate"] is True
    assert first["partition_check"]["name"] == again["partition_check"]["name"]
    executions = list_executions(clients, check_arn)
    assert len(executions) == 1
    payload = json.loads(clients.sfn.describe_execution(executionArn=executions[0]["executionArn"])["input"])
    assert (
        payload["batch"]["key"] == f"{FOLDER}_SUCCESS" and payload["batch"]["batch_id"] == first["batch_id"]
    )
    assert payload["items"] == {"bucket": bucket, "key": partition_check_keys(first["batch_id"])[0]}
    items = json.loads(clients.s3.get_object(Bucket=bucket, Key=payload["items"]["key"])["Body"].read())
    listed = {o["Key"]: o for o in clients.s3.list_objects_v2(Bucket=bucket, Prefix=FOLDER)["Contents"]}
    assert [(i["index"], i["key"]) for i in items] == [(n, f"{FOLDER}part-{n:05d}.parquet") for n in range(3)]
    assert all(i["etag"] == listed[i["key"]]["ETag"].strip('"') for i in items)  # each part pinned
    assert list_executions(clients, state_machine_arn) == []  # the reduce step decides, not DetectDrift
    assert not clients.s3.list_objects_v2(Bucket=bucket, Prefix="reports/drift/").get("KeyCount")


def test_a_part_over_max_object_bytes_fails_the_batch_naming_it_before_anything_starts(
    detect_drift, clients, bucket, profile_uploaded, check_arn, make_frame_fn, monkeypatch
):
    upload_parts(detect_drift, make_frame_fn, 2)
    sizes = [o["Size"] for o in clients.s3.list_objects_v2(Bucket=bucket, Prefix=FOLDER)["Contents"]]
    monkeypatch.setenv("MAX_OBJECT_BYTES", str(min(sizes)))  # a per-part limit: the larger part is over it
    response = detect_drift.invoke(detect_drift.upload(f"{FOLDER}_SUCCESS", b"")).response

    assert response["status"] == "invalid"
    record = json.loads(
        clients.s3.get_object(Bucket=bucket, Key=quarantine_record_key(f"{FOLDER}_SUCCESS"))["Body"].read()
    )
    assert record["code"] == "object_too_large" and "part-0000" in record["reason"]
    assert list_executions(clients, check_arn) == []


def test_a_small_one_part_partition_is_read_in_the_lambda(
    detect_drift, clients, bucket, profile_uploaded, check_arn, make_frame_fn
):
    upload_parts(detect_drift, make_frame_fn, 1)
    response = detect_drift.invoke(detect_drift.upload(f"{FOLDER}_SUCCESS", b"")).response
    assert response["status"] == "checked" and response["partition_check"] is None
    assert list_executions(clients, check_arn) == []


def test_one_part_over_single_check_max_bytes_goes_to_the_map(
    detect_drift, clients, profile_uploaded, check_arn, make_frame_fn, monkeypatch
):
    monkeypatch.setenv("SINGLE_CHECK_MAX_BYTES", "1")
    upload_parts(detect_drift, make_frame_fn, 1)
    response = detect_drift.invoke(detect_drift.upload(f"{FOLDER}_SUCCESS", b"")).response
    assert response["status"] == "partition_check_started"
    assert len(list_executions(clients, check_arn)) == 1


def test_a_csv_over_single_check_max_bytes_goes_to_the_map_in_byte_ranges_unless_gzipped_or_cr_only(
    detect_drift, clients, bucket, profile_uploaded, check_arn, make_frame_fn, monkeypatch
):
    body = make_frame_fn(2000, seed=4).to_csv(index=False).encode()
    monkeypatch.setenv("SINGLE_CHECK_MAX_BYTES", str(len(body) // 3))
    response = detect_drift.invoke(detect_drift.upload("incoming/big.csv", body)).response

    assert response["status"] == "partition_check_started", response
    (execution,) = list_executions(clients, check_arn)
    payload = json.loads(clients.sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert payload["batch"]["key"] == "incoming/big.csv"
    items = json.loads(clients.s3.get_object(Bucket=bucket, Key=payload["items"]["key"])["Body"].read())
    etag = clients.s3.head_object(Bucket=bucket, Key="incoming/big.csv")["ETag"].strip('"')
    assert [i["index"] for i in items] == list(range(len(items))) and len(items) == 4  # ceil(3 + remainder)
    assert {(i["key"], i["etag"], i["size"]) for i in items} == {("incoming/big.csv", etag, len(body))}
    assert items[0]["start"] == 0 and items[-1]["end"] == len(body)
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(items))
    assert all(i["end"] - i["start"] <= len(body) // 3 for i in items)

    compressed = gzip.compress(make_frame_fn(8000, seed=5).to_csv(index=False).encode())
    assert len(compressed) > len(body) // 3
    gzipped = detect_drift.invoke(detect_drift.upload("incoming/big-gzip.csv", compressed))
    assert gzipped.response["status"] == "checked"  # gzip cannot be cut: read in the Lambda, as before
    cr_only = detect_drift.invoke(detect_drift.upload("incoming/big-cr.csv", body.replace(b"\n", b"\r")))
    assert cr_only.response["status"] == "checked"  # no line feed to cut at
    assert len(list_executions(clients, check_arn)) == 1


def test_max_object_bytes_bounds_what_one_lambda_reads_so_a_csv_that_can_be_cut_is_never_too_large(
    detect_drift, clients, bucket, profile_uploaded, check_arn, make_frame_fn, monkeypatch
):
    """A plain CSV over MAX_OBJECT_BYTES is checked in byte ranges of at most SINGLE_CHECK_MAX_BYTES; one
    that cannot be cut (gzip) is still quarantined from the event alone."""
    body = make_frame_fn(2000, seed=6).to_csv(index=False).encode()
    monkeypatch.setenv("MAX_OBJECT_BYTES", str(len(body) // 2))
    monkeypatch.setenv("SINGLE_CHECK_MAX_BYTES", str(len(body) // 4))
    response = detect_drift.invoke(detect_drift.upload("incoming/huge.csv", body)).response

    assert response["status"] == "partition_check_started", response
    (execution,) = list_executions(clients, check_arn)
    payload = json.loads(clients.sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    items = json.loads(clients.s3.get_object(Bucket=bucket, Key=payload["items"]["key"])["Body"].read())
    assert len(items) >= 4 and all(i["end"] - i["start"] <= len(body) // 4 for i in items)
    assert items[0]["start"] == 0 and items[-1]["end"] == len(body)

    compressed = gzip.compress(body)
    monkeypatch.setenv("MAX_OBJECT_BYTES", str(len(compressed) // 2))
    gzipped = detect_drift.invoke(detect_drift.upload("incoming/huge.csv.gz", compressed)).response
    assert gzipped["status"] == "invalid"
    record = json.loads(
        clients.s3.get_object(Bucket=bucket, Key=quarantine_record_key("incoming/huge.csv.gz"))["Body"].read()
    )
    assert record["code"] == "object_too_large"
    assert len(list_executions(clients, check_arn)) == 1


def test_a_csv_part_over_max_object_bytes_is_cut_into_ranges_not_refused(
    detect_drift, clients, bucket, profile_uploaded, check_arn, make_frame_fn, monkeypatch
):
    frame = make_frame_fn(1200, seed=7)
    bodies = [frame.iloc[:600].to_csv(index=False).encode(), frame.iloc[600:].to_csv(index=False).encode()]
    for i, body in enumerate(bodies):
        detect_drift.upload(f"{FOLDER}part-{i:05d}.csv", body)
    limit = max(len(b) for b in bodies) // 2
    monkeypatch.setenv("MAX_OBJECT_BYTES", str(limit))
    monkeypatch.setenv("SINGLE_CHECK_MAX_BYTES", str(limit))
    response = detect_drift.invoke(detect_drift.upload(f"{FOLDER}_SUCCESS", b"")).response

    assert response["status"] == "partition_check_started", response
    (execution,) = list_executions(clients, check_arn)
    payload = json.loads(clients.sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    items = json.loads(clients.s3.get_object(Bucket=bucket, Key=payload["items"]["key"])["Body"].read())
    assert {i["key"] for i in items} == {f"{FOLDER}part-00000.csv", f"{FOLDER}part-00001.csv"}
    assert all("start" in i and i["end"] - i["start"] <= limit for i in items)


def test_the_parts_share_the_batchs_row_budgets_by_bytes_so_the_merged_sample_stays_uniform(
    detect_drift, clients, bucket, profile_uploaded, check_arn, make_frame_fn, monkeypatch, lambda_env
):
    """A part ten times larger than another gets ten times the rows: merged, the children's samples are
    one sample of about MAX_ROWS rows in which each row had the same chance, and the endpoint is asked to
    score about MAX_PREDICTION_ROWS in all, as one Lambda reading the batch would."""
    frame = make_frame_fn(3300, seed=8).drop(columns=[LABEL])
    bodies = [frame.iloc[:3000].to_csv(index=False).encode(), frame.iloc[3000:].to_csv(index=False).encode()]
    for i, body in enumerate(bodies):
        detect_drift.upload(f"{FOLDER}part-{i:05d}.csv", body)
    monkeypatch.setenv("MAX_ROWS", "200")
    monkeypatch.setenv("MAX_PREDICTION_ROWS", "40")
    response = detect_drift.invoke(detect_drift.upload(f"{FOLDER}_SUCCESS", b"")).response

    assert response["status"] == "partition_check_started", response
    items_key = partition_check_keys(response["batch_id"])[0]
    items = json.loads(clients.s3.get_object(Bucket=bucket, Key=items_key)["Body"].read())
    assert [i["max_rows"] for i in items] == [math.ceil(200 * len(b) / sum(map(len, bodies))) for b in bodies]
    assert 200 <= sum(i["max_rows"] for i in items) <= 200 + len(items)
    assert 40 <= sum(i["max_prediction_rows"] for i in items) <= 40 + len(items)

    settings = DetectSettings.from_env(settings_environ(os.environ))
    batch = {"bucket": bucket, "batch_id": response["batch_id"]}
    partials = []
    for item in items:
        done = summarise_part(
            LazyClients(), settings, {"batch": batch, "part": item, "champion_variant": None}
        )
        body = clients.s3.get_object(Bucket=bucket, Key=done["partial_key"])["Body"].read()
        partials.append(PartialSummary.from_json(json.loads(body)))
    merged = merge_summaries(partials)
    assert [p.rows for p in partials] == [i["max_rows"] for i in items]
    assert merged.rows_read == 3300 and merged.sampling["method"] == "uniform_sample"
    assert abs(partials[1].rows / merged.rows - 300 / 3300) < 0.01  # not 50%: the small part kept whole


@pytest.mark.parametrize(("every", "probe"), [("4", None), ("1", True)])
def test_the_items_ask_for_the_challengers_probe_only_when_a_challenge_is_due(
    detect_drift, clients, bucket, profile_uploaded, check_arn, make_frame_fn, monkeypatch, every, probe
):
    """The first batch of a model is 1 of 4 by default (not due); every batch is due at 1."""
    monkeypatch.setenv("CHALLENGER_EVERY_BATCHES", every)
    upload_parts(detect_drift, make_frame_fn, 2)
    response = detect_drift.invoke(detect_drift.upload(f"{FOLDER}_SUCCESS", b"")).response

    items_key = partition_check_keys(response["batch_id"])[0]
    items = json.loads(clients.s3.get_object(Bucket=bucket, Key=items_key)["Body"].read())
    assert [i.get("probe") for i in items] == [probe] * 2
