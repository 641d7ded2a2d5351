"""The capture monitor's S3 state on moto: windows close exactly once, whoever races, and lose nothing."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from functional_support import AtomicPuts, frame_to_csv_bytes, list_keys

from drift_retrain.monitor.keys import Stream, part_key, window_key
from drift_retrain.monitor.store import close_stream, listed_parts, materialise_windows, read_ledger
from drift_retrain.monitor.windows import WindowRules

STREAM = Stream("churn-champion", "AllTraffic")
RULES = WindowRules(window_rows=300, window_minutes=30, min_rows=50)


def _put_part(s3: Any, bucket: str, name: str, frame) -> None:
    body = frame_to_csv_bytes(frame.assign(_capture_event_id=[f"{name}-{i}" for i in range(len(frame))]))
    s3.put_object(Bucket=bucket, Key=part_key(STREAM, name, len(frame)), Body=body)


def _now() -> datetime:
    return datetime.now(UTC)


def test_racing_closers_close_each_window_once_and_every_part_lands_in_one(clients, bucket, make_frame_fn):
    s3 = AtomicPuts(clients.s3)
    for i in range(12):
        _put_part(s3, bucket, f"2026-12-05-08-f{i:02d}", make_frame_fn(100, seed=i).drop(columns=["churned"]))

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: close_stream(s3, bucket, STREAM, RULES, _now())[1], range(8)))

    closed = [w["id"] for result in results for w in result]
    assert sorted(closed) == ["w000001", "w000002", "w000003", "w000004"]  # each closed by one writer
    ledger = read_ledger(s3, bucket, STREAM)
    taken = [name for w in ledger["windows"] for name in w["parts"]]
    assert sorted(taken) == sorted(p.name for p in listed_parts(s3, bucket, STREAM))
    assert len(taken) == len(set(taken))


def test_parts_written_while_windows_close_are_never_lost(clients, bucket, make_frame_fn):
    s3 = AtomicPuts(clients.s3)
    frame = make_frame_fn(60, seed=3).drop(columns=["churned"])

    def writer(i: int) -> None:
        _put_part(s3, bucket, f"p{i:03d}", frame)
        close_stream(s3, bucket, STREAM, RULES, _now())

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(writer, range(30)))
    ledger, _ = close_stream(s3, bucket, STREAM, RULES, _now() + timedelta(minutes=31))
    taken = [name for w in ledger["windows"] for name in w["parts"]]
    assert sorted(taken) == [f"p{i:03d}" for i in range(30)]  # 1,800 rows: 6 windows, nothing left over
    assert all(w["rows"] >= RULES.window_rows for w in ledger["windows"] if w["reason"] == "rows")


def test_a_quiet_window_waits_for_the_timer_and_then_is_written_once(
    clients, bucket, make_frame_fn, baseline_profile
):
    s3 = clients.s3
    frame = make_frame_fn(80, seed=5).drop(columns=["churned"])
    _put_part(s3, bucket, "a", frame)
    ledger, closed = close_stream(s3, bucket, STREAM, RULES, _now())
    assert closed == [] and ledger["windows"] == []
    ledger, [window] = close_stream(s3, bucket, STREAM, RULES, _now() + timedelta(minutes=31))
    assert window["reason"] == "quiet" and window["rows"] == 80
    assert materialise_windows(s3, bucket, STREAM, ledger, baseline_profile.schema) == ["w000001"]
    # A retried invocation finds the window written and marked: nothing is written again.
    assert (
        materialise_windows(s3, bucket, STREAM, read_ledger(s3, bucket, STREAM), baseline_profile.schema)
        == []
    )
    assert list_keys(clients, bucket, "monitor/windows/") == [window_key(STREAM, "w000001")]
    body = s3.get_object(Bucket=bucket, Key=window_key(STREAM, "w000001"))["Body"].read()
    assert body.decode().count("\n") == 81
    assert json.loads(s3.get_object(Bucket=bucket, Key=STREAM.ledger_key())["Body"].read())["windows"][0][
        "materialised"
    ]


def test_a_crash_between_closing_and_writing_is_finished_by_the_next_call(
    clients, bucket, make_frame_fn, baseline_profile
):
    s3 = clients.s3
    _put_part(s3, bucket, "a", make_frame_fn(300, seed=6).drop(columns=["churned"]))
    close_stream(s3, bucket, STREAM, RULES, _now())  # the invocation dies here, before writing the CSV
    ledger, closed = close_stream(s3, bucket, STREAM, RULES, _now())
    assert closed == []
    assert materialise_windows(s3, bucket, STREAM, ledger, baseline_profile.schema) == ["w000001"]
