"""The window rules of the capture monitor: when open parts close, and that a part is taken once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from drift_retrain.monitor.keys import (
    Stream,
    object_part_name,
    parse_labelled_key,
    parse_window_key,
    window_key,
)
from drift_retrain.monitor.windows import (
    ListedPart,
    WindowRules,
    close_windows,
    new_ledger,
    next_revision,
    plan_windows,
)

T0 = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)
RULES = WindowRules(window_rows=1000, window_minutes=60, min_rows=200)


def _parts(*rows: int, minutes_apart: float = 1.0) -> list[ListedPart]:
    return [ListedPart(f"p{i:03d}", r, T0 + timedelta(minutes=i * minutes_apart)) for i, r in enumerate(rows)]


def test_a_window_closes_at_the_row_count_taking_whole_parts_oldest_first():
    planned = plan_windows(_parts(400, 400, 400, 100), RULES, now=T0 + timedelta(minutes=5))
    assert [([p.name for p in parts], why) for parts, why in planned] == [(["p000", "p001", "p002"], "rows")]


def test_several_windows_close_at_once_when_the_rows_are_there():
    planned = plan_windows(_parts(*[250] * 9), RULES, now=T0 + timedelta(minutes=10))
    assert [sum(p.rows for p in parts) for parts, _ in planned] == [1000, 1000]


def test_a_quiet_stream_closes_after_the_minutes_only_with_enough_rows():
    parts = _parts(150, 100)
    assert plan_windows(parts, RULES, now=T0 + timedelta(minutes=59)) == []
    [(taken, why)] = plan_windows(parts, RULES, now=T0 + timedelta(minutes=60))
    assert why == "quiet" and sum(p.rows for p in taken) == 250
    assert plan_windows(_parts(150), RULES, now=T0 + timedelta(days=3)) == []


def test_the_ledger_never_gives_a_part_or_a_window_id_twice():
    stream = Stream("ep", "AllTraffic")
    parts = _parts(600, 600, 600, 600, 50)
    ledger, closed = close_windows(new_ledger(stream), parts, RULES, T0 + timedelta(minutes=5))
    assert [w["id"] for w in closed] == ["w000001", "w000002"]
    again, none = close_windows(ledger, parts, RULES, T0 + timedelta(minutes=6))
    assert none == [] and again is ledger
    more = [*parts, ListedPart("p100", 980, T0 + timedelta(minutes=7))]
    ledger, [third] = close_windows(ledger, more, RULES, T0 + timedelta(minutes=8))
    assert third["id"] == "w000003" and third["parts"] == ["p004", "p100"]
    taken = [name for window in ledger["windows"] for name in window["parts"]]
    assert sorted(taken) == sorted(p.name for p in more) and len(taken) == len(set(taken))


def test_claims_of_expired_parts_are_dropped():
    stream = Stream("ep", "AllTraffic")
    ledger, _ = close_windows(new_ledger(stream), _parts(1000), RULES, T0)
    ledger, _ = close_windows(ledger, [ListedPart("later", 1000, T0)], RULES, T0)
    assert set(ledger["claimed"]) == {"later"}


def test_part_names_follow_key_and_etag_not_the_delivery():
    key = "capture/ep/AllTraffic/2026/12/05/08/a.jsonl"
    prefix = "capture/ep/AllTraffic/"
    assert object_part_name(key, "e1", prefix) == object_part_name(key, '"e1"'.strip('"'), prefix)
    assert object_part_name(key, "e1", prefix) != object_part_name(key, "e2", prefix)
    assert object_part_name(key, "e1", prefix).startswith("2026-12-05-08-a-")


def test_labelled_keys_round_trip():
    parsed = parse_labelled_key("monitor/labelled/ep/AllTraffic/w000003-r02.csv")
    assert parsed is not None and (parsed.stream.variant, parsed.window, parsed.revision) == (
        "AllTraffic",
        "w000003",
        2,
    )
    assert parse_labelled_key("monitor/labelled/ep/w000003-r02.csv") is None


def test_window_keys_round_trip():
    stream = Stream("ep", "AllTraffic")
    assert parse_window_key(window_key(stream, "w000003")) == (stream, "w000003")
    assert parse_window_key("monitor/windows/ep/w000003.csv") is None
    assert parse_window_key("monitor/labelled/ep/AllTraffic/w000003-r02.csv") is None


@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("incoming-stream/clicks/2026/12/05/09/firehose-1-2026-12-05-09-00-00-abc", "clicks"),
        ("incoming-stream/clicks/a.parquet", "clicks"),
        ("incoming-stream/a.csv", None),  # no <name>/ folder
        ("incoming-stream/_x/a.csv", None),  # not a name
        ("incoming-stream/clicks/", None),  # a folder placeholder, no file
        ("incoming/clicks/a.csv", None),
    ],
)
def test_data_streams_are_named_by_their_folder(key, name):
    stream = Stream.from_stream_key(key)
    assert (stream and stream.name) == name
    if name:
        assert stream == Stream.data(name) and stream.is_data
        assert stream.source_prefix() == f"incoming-stream/{name}/"


def test_a_data_stream_shares_the_capture_streams_parts_and_ledgers_but_writes_its_windows_to_incoming():
    stream = Stream.data("clicks")
    assert stream.parts_prefix() == "monitor/parts/_incoming-stream/clicks/"
    assert stream.ledger_key() == "monitor/streams/_incoming-stream/clicks.json"
    assert window_key(stream, "w000002") == "incoming/stream-clicks/w000002.csv"
    assert parse_window_key(window_key(stream, "w000002")) is None
    assert not Stream("ep", "AllTraffic").is_data
    assert Stream.from_capture_key("capture/ep/AllTraffic/2026/12/05/09/a.jsonl") == Stream(
        "ep", "AllTraffic"
    )
    ledger, closed = close_windows(new_ledger(stream), _parts(600, 600), RULES, T0)
    assert [w["id"] for w in closed] == ["w000001"] and ledger["stream"]["data_stream"] == "clicks"


@pytest.mark.parametrize(
    ("labelled", "rows", "previous", "expected"),
    [
        (499, 2000, {}, False),  # below MIN_LABELLED_ROWS
        (500, 2000, {}, True),  # the first revision
        (120, 120, {}, True),  # a small window, every row labelled
        (900, 2000, {"revision": 1, "rows": 500}, False),  # grew 20% < the 25% step
        (1000, 2000, {"revision": 1, "rows": 500}, True),  # grew 25%
        (2000, 2000, {"revision": 2, "rows": 1900}, True),  # every row labelled
        (2000, 2000, {"revision": 3, "rows": 2000}, False),  # nothing new
    ],
)
def test_labelled_revisions(labelled, rows, previous, expected):
    assert next_revision(labelled, rows, previous, 500) is expected
