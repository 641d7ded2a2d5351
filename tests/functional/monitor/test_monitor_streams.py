"""Data streams on moto: small objects under incoming-stream/ accumulate into windows by the capture
monitor's own parts, ledger and rules, and each window is written once as an ordinary incoming/ batch."""

from __future__ import annotations

import io
import json
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import fastparquet
import pandas as pd
import pytest
from functional_support import (
    LABEL,
    AtomicPuts,
    frame_to_csv_bytes,
    list_keys,
    object_created_event,
    read_report,
)

from drift_retrain.engine.batch_reader import read_batch
from drift_retrain.layout import quarantine_copy_key, quarantine_record_key
from drift_retrain.monitor.keys import Stream, window_key
from drift_retrain.monitor.service import process_object, tick
from drift_retrain.monitor.settings import MonitorSettings
from drift_retrain.monitor.store import read_ledger
from drift_retrain.monitor.windows import WindowRules

STREAM = Stream.data("clicks")
SOURCE = "incoming-stream/clicks/2026/12/05/09/"
BATCH = "incoming/stream-clicks/w000001.csv"


def _settings(bucket: str, rows: int = 300) -> MonitorSettings:
    return MonitorSettings(
        data_bucket=bucket, rules=WindowRules(window_rows=rows, window_minutes=30, min_rows=50)
    )


@pytest.fixture
def monitor(clients, profile_uploaded):
    return SimpleNamespace(s3=clients.s3, sagemaker=clients.sagemaker)


def _upload(s3: Any, bucket: str, key: str, body: bytes) -> dict[str, Any]:
    response = s3.put_object(Bucket=bucket, Key=key, Body=body)
    return {"bucket": bucket, "key": key, "etag": response["ETag"], "size": len(body)}


def _deliver(monitor, settings: MonitorSettings, event: dict[str, Any], now: datetime | None = None):
    return process_object(monitor, settings, now=now, **event)


def _send(monitor, settings: MonitorSettings, name: str, frame: pd.DataFrame):
    """Upload ``frame`` as the CSV object ``<SOURCE><name>`` and deliver its event."""
    event = _upload(monitor.s3, str(settings.data_bucket), f"{SOURCE}{name}", frame_to_csv_bytes(frame))
    return _deliver(monitor, settings, event)


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    fastparquet.write(buffer, frame)
    return buffer.getvalue()


def _jsonl(frame: pd.DataFrame) -> bytes:
    return frame.to_json(orient="records", lines=True).encode("utf-8")


def _batch(monitor, bucket: str, key: str, baseline_profile) -> pd.DataFrame:
    body = monitor.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return read_batch(body, name=key, schema=baseline_profile.schema).frame


def test_small_objects_in_any_format_fill_one_window_written_once_as_a_batch(
    monitor, bucket, make_frame_fn, baseline_profile
):
    frames = [make_frame_fn(100, seed=i) for i in range(3)]
    settings = _settings(bucket)
    bodies = [frame_to_csv_bytes(frames[0]), _jsonl(frames[1]), _parquet(frames[2])]
    names = ["a.csv", "b.jsonl", "c.parquet"]
    outcomes = [
        _deliver(monitor, settings, _upload(monitor.s3, bucket, f"{SOURCE}{n}", b))
        for n, b in zip(names, bodies, strict=True)
    ]
    assert [(o.status, o.rows) for o in outcomes] == [("stream", 100)] * 3
    assert [o.batches_written for o in outcomes] == [[], [], [BATCH]]
    assert outcomes[2].windows_closed == ["_incoming-stream/clicks/w000001"]
    assert window_key(STREAM, "w000001") == BATCH
    batch = _batch(monitor, bucket, BATCH, baseline_profile)
    expected = pd.concat(frames, ignore_index=True)
    assert len(batch) == 300 and batch[LABEL].notna().all()
    assert sorted(batch["tenure"]) == sorted(expected["tenure"])
    assert (
        list_keys(monitor, bucket, "monitor/windows/") == []
    )  # a data stream's window is an incoming/ batch
    ledger = read_ledger(monitor.s3, bucket, STREAM)
    assert ledger["stream"]["data_stream"] == "clicks" and ledger["windows"][0]["materialised"]


def test_unlabelled_and_labelled_objects_share_a_window(monitor, bucket, make_frame_fn, baseline_profile):
    settings = _settings(bucket, rows=200)
    _send(monitor, settings, "a.csv", make_frame_fn(100, seed=1))
    unlabelled = make_frame_fn(100, seed=2).drop(columns=[LABEL])
    last = _send(monitor, settings, "b.csv", unlabelled)
    assert last.batches_written == [BATCH]
    batch = _batch(monitor, bucket, BATCH, baseline_profile)
    assert len(batch) == 200 and int(batch[LABEL].notna().sum()) == 100


def test_a_quiet_stream_closes_after_the_window_minutes_with_enough_rows(
    monitor, bucket, make_frame_fn, baseline_profile
):
    settings = _settings(bucket)
    start = datetime.now(UTC)
    _send(monitor, settings, "a.csv", make_frame_fn(60, seed=1))
    assert tick(monitor, settings, now=start + timedelta(minutes=10)).batches_written == []
    closed = tick(monitor, settings, now=start + timedelta(minutes=31))
    assert closed.batches_written == [BATCH] and len(_batch(monitor, bucket, BATCH, baseline_profile)) == 60
    assert tick(monitor, settings, now=start + timedelta(minutes=62)).batches_written == []
    assert list_keys(monitor, bucket, "incoming/") == [BATCH]


def test_a_quiet_stream_below_the_minimum_rows_waits_for_more(monitor, bucket, make_frame_fn):
    settings = _settings(bucket)
    start = datetime.now(UTC)
    _send(monitor, settings, "a.csv", make_frame_fn(40, seed=1))
    assert tick(monitor, settings, now=start + timedelta(hours=5)).batches_written == []
    _send(monitor, settings, "b.csv", make_frame_fn(20, seed=2))
    assert tick(monitor, settings, now=start + timedelta(hours=5)).batches_written == [BATCH]


def test_a_redelivered_or_reuploaded_object_adds_nothing(monitor, bucket, make_frame_fn, baseline_profile):
    settings = _settings(bucket)
    body = frame_to_csv_bytes(make_frame_fn(150, seed=1))
    event = _upload(monitor.s3, bucket, f"{SOURCE}a.csv", body)
    outcomes = [_deliver(monitor, settings, event) for _ in range(3)]
    again = _deliver(monitor, settings, _upload(monitor.s3, bucket, f"{SOURCE}a.csv", body))  # same bytes
    assert [o.duplicate for o in [*outcomes, again]] == [False, True, True, True]
    assert list_keys(monitor, bucket, "incoming/") == []  # 150 rows once, not 600
    closing = _deliver(monitor, settings, _upload(monitor.s3, bucket, f"{SOURCE}b.csv", body))
    assert closing.batches_written == [BATCH]
    late_again = _deliver(monitor, settings, event)  # redelivered after its window closed
    assert late_again.duplicate and late_again.batches_written == []
    assert list_keys(monitor, bucket, "incoming/") == [BATCH]
    assert len(_batch(monitor, bucket, BATCH, baseline_profile)) == 300
    assert [w["id"] for w in read_ledger(monitor.s3, bucket, STREAM)["windows"]] == ["w000001"]


class CountingPuts(AtomicPuts):
    """Atomic puts that remember every batch written under incoming/ (a second write would show here)."""

    def __init__(self, s3: Any) -> None:
        super().__init__(s3)
        self.batches: list[str] = []

    def put_object(self, **kwargs: Any) -> Any:
        response = super().put_object(**kwargs)
        if kwargs["Key"].startswith("incoming/"):
            self.batches.append(kwargs["Key"])
        return response


def test_racing_invocations_write_each_window_once_and_lose_no_part(
    monitor, bucket, make_frame_fn, baseline_profile
):
    s3 = CountingPuts(monitor.s3)
    racing = SimpleNamespace(s3=s3, sagemaker=monitor.sagemaker)
    settings = _settings(bucket)
    events = [
        _upload(monitor.s3, bucket, f"{SOURCE}f{i:02d}.csv", frame_to_csv_bytes(make_frame_fn(50, seed=i)))
        for i in range(12)
    ]
    # Every object delivered four times (at-least-once), in a shuffled order, by six concurrent invocations.
    deliveries = [e for e in events for _ in range(4)]
    random.Random(5).shuffle(deliveries)
    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(lambda e: _deliver(racing, settings, e), deliveries))

    assert sum(not o.duplicate for o in outcomes) == 12  # each object ingested once
    written = [key for o in outcomes for key in o.batches_written]
    assert sorted(written) == ["incoming/stream-clicks/w000001.csv", "incoming/stream-clicks/w000002.csv"]
    assert sorted(s3.batches) == sorted(written)  # no batch written twice, even a refused second attempt
    ledger = read_ledger(monitor.s3, bucket, STREAM)
    taken = [name for w in ledger["windows"] for name in w["parts"]]
    assert len(taken) == len(set(taken)) == 12  # 600 rows: every part in exactly one window
    rows = [len(_batch(monitor, bucket, key, baseline_profile)) for key in written]
    assert rows == [300, 300]


def test_an_invocation_with_a_stale_ledger_never_closes_a_window_twice(
    monitor, bucket, make_frame_fn, monkeypatch
):
    """Two invocations interleaved: the second read the ledger before the first closed the window."""
    from drift_retrain.aws.ab_record import read_record
    from drift_retrain.monitor import documents

    settings = _settings(bucket)
    events = [
        _upload(monitor.s3, bucket, f"{SOURCE}f{i}.csv", frame_to_csv_bytes(make_frame_fn(50, seed=i)))
        for i in range(6)
    ]
    for event in events[:5]:
        _deliver(monitor, settings, event)
    stale = read_record(monitor.s3, bucket, STREAM.ledger_key())
    assert _deliver(monitor, settings, events[5]).batches_written == [BATCH]
    reads = []

    def first_read_stale(s3, bucket_name, key):
        reads.append(key)
        return stale if len(reads) == 1 else read_record(s3, bucket_name, key)

    monkeypatch.setattr(documents, "read_record", first_read_stale)
    racer = tick(monitor, settings, now=datetime.now(UTC) + timedelta(minutes=31))
    assert len(reads) >= 2  # its If-Match write lost, it read again and found the window closed
    assert racer.windows_closed == [] and racer.batches_written == []
    assert [w["id"] for w in read_ledger(monitor.s3, bucket, STREAM)["windows"]] == ["w000001"]
    assert list_keys(monitor, bucket, "incoming/") == [BATCH]


def test_a_bad_object_is_quarantined_with_its_reason_and_counts_no_rows(
    monitor, bucket, make_frame_fn, baseline_profile
):
    settings = _settings(bucket)
    good = _send(monitor, settings, "good.csv", make_frame_fn(200, seed=1))
    missing = frame_to_csv_bytes(make_frame_fn(200, seed=2).drop(columns=["tenure"]))
    bad_key = f"{SOURCE}bad.csv"
    bad = _deliver(monitor, settings, _upload(monitor.s3, bucket, bad_key, missing))
    assert good.status == "stream" and bad.status == "invalid" and bad.rows == 0
    assert bad.bad_records == {"missing_columns": 1}
    assert bad.quarantine_key == quarantine_copy_key(bad_key)
    record = json.loads(
        monitor.s3.get_object(Bucket=bucket, Key=quarantine_record_key(bad_key))["Body"].read()
    )
    assert record["code"] == "missing_columns" and "tenure" in record["reason"]
    assert monitor.s3.get_object(Bucket=bucket, Key=bad_key)["Body"].read() == missing  # the original stays
    assert list_keys(monitor, bucket, "incoming/") == []  # 200 good rows: the bad 200 never counted
    loose = _deliver(monitor, settings, _upload(monitor.s3, bucket, "incoming-stream/loose.csv", missing))
    assert loose.status == "invalid" and loose.bad_records == {"stream_name": 1}
    assert (
        json.loads(
            monitor.s3.get_object(Bucket=bucket, Key=quarantine_record_key("incoming-stream/loose.csv"))[
                "Body"
            ].read()
        )["code"]
        == "stream_name"
    )
    unreadable = _deliver(
        monitor, settings, _upload(monitor.s3, bucket, f"{SOURCE}x.parquet", b"PAR1 not really")
    )
    assert unreadable.status == "invalid" and list(unreadable.bad_records) != []
    assert len(list_keys(monitor, bucket, "monitor/parts/_incoming-stream/clicks/")) == 1


def test_detect_drift_checks_the_window_as_one_batch(monitor, bucket, make_frame_fn, detect_drift, clients):
    settings = _settings(bucket, rows=600)
    for i in range(3):
        frame = make_frame_fn(200, seed=10 + i)
        _send(monitor, settings, f"{i}.csv", frame)
    head = monitor.s3.head_object(Bucket=bucket, Key=BATCH)
    event = object_created_event(
        bucket, BATCH, version_id=head.get("VersionId"), etag=head["ETag"], size=head["ContentLength"]
    )
    response = detect_drift.invoke(event).response
    assert response["status"] == "checked"
    report = read_report(clients, bucket, response["report_key"])
    assert report["rows"] == 600 and report["labelled_rows"] == 600
    assert response["batch_id"].startswith("stream-clicks-w000001-")
    reports = [k for k in list_keys(monitor, bucket, "reports/drift/") if k.endswith(".json")]
    assert reports == [response["report_key"]]
