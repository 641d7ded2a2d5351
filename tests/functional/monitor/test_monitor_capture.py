"""MonitorCapture on moto: capture files in, windows out, labels joined when they come, nothing twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from capture_files import capture_records, jsonl, truth_records
from functional_support import LABEL, list_keys

from drift_retrain.layout import quarantine_copy_key, quarantine_record_key
from drift_retrain.monitor.frames import read_frame
from drift_retrain.monitor.keys import MODEL_COLUMN, Stream, window_key
from drift_retrain.monitor.service import process_object, tick
from drift_retrain.monitor.settings import MonitorSettings
from drift_retrain.monitor.windows import WindowRules

STREAM = Stream("churn-champion", "AllTraffic")
CAPTURE = "capture/churn-champion/AllTraffic/2026/12/05/09/"


class Clients:
    def __init__(self, clients) -> None:
        self.s3, self.sagemaker = clients.s3, clients.sagemaker


@pytest.fixture
def monitor(clients, bucket, profile_uploaded, endpoint):
    return Clients(clients)


def _settings(bucket: str, rows: int = 400, min_labelled: int = 100) -> MonitorSettings:
    return MonitorSettings(
        data_bucket=bucket,
        rules=WindowRules(window_rows=rows, window_minutes=30, min_rows=50),
        min_labelled_rows=min_labelled,
    )


def _put(monitor, bucket: str, key: str, body: bytes, **kw):
    response = monitor.s3.put_object(Bucket=bucket, Key=key, Body=body)
    return process_object(
        monitor, _settings(bucket, **kw), bucket=bucket, key=key, etag=response["ETag"], size=len(body)
    )


def _capture(frame, baseline_profile, prefix: str, seed: int = 0) -> bytes:
    scores = np.random.default_rng(seed).uniform(0, 1, len(frame))
    return jsonl(capture_records(frame, baseline_profile.schema.feature_names, scores, prefix=prefix))


def test_capture_files_fill_a_window_that_is_written_once(monitor, bucket, make_frame_fn, baseline_profile):
    first = _put(
        monitor, bucket, f"{CAPTURE}a.jsonl", _capture(make_frame_fn(250, seed=1), baseline_profile, "a")
    )
    assert (first.status, first.rows, first.windows_closed) == ("capture", 250, [])
    second = _put(
        monitor, bucket, f"{CAPTURE}b.jsonl", _capture(make_frame_fn(250, seed=2), baseline_profile, "b")
    )
    assert second.windows_closed == ["churn-champion/AllTraffic/w000001"]
    window = read_frame(
        monitor.s3.get_object(Bucket=bucket, Key=window_key(STREAM, "w000001"))["Body"].read(),
        baseline_profile.schema,
    )
    assert len(window) == 500 and LABEL not in window.columns
    assert set(window[MODEL_COLUMN]) == {"champion-model"}  # the variant's model when it served
    assert window["_capture_event_id"].is_unique


def test_a_redelivered_or_reuploaded_capture_file_counts_once(
    monitor, bucket, make_frame_fn, baseline_profile
):
    body = _capture(make_frame_fn(300, seed=1), baseline_profile, "a")
    key = f"{CAPTURE}a.jsonl"
    response = monitor.s3.put_object(Bucket=bucket, Key=key, Body=body)
    settings = _settings(bucket)
    outcomes = [
        process_object(monitor, settings, bucket=bucket, key=key, etag=response["ETag"]) for _ in range(3)
    ]
    again = _put(monitor, bucket, key, body)  # the same bytes uploaded again: a new version, the same ETag
    assert [o.duplicate for o in [*outcomes, again]] == [False, True, True, True]
    assert list_keys(monitor, bucket, "monitor/parts/") == [
        k for k in list_keys(monitor, bucket, "monitor/parts/") if k.endswith(".r300.csv")
    ]
    assert len(list_keys(monitor, bucket, "monitor/parts/")) == 1
    assert list_keys(monitor, bucket, "monitor/windows/") == []  # 300 rows once, not 1,200


def test_bad_records_are_quarantined_with_reasons_and_the_good_ones_count(
    monitor, bucket, make_frame_fn, baseline_profile
):
    good = capture_records(
        make_frame_fn(10, seed=1), baseline_profile.schema.feature_names, np.full(10, 0.3), prefix="g"
    )
    lines = [
        *good[:5],
        "not json",
        json.dumps({"captureData": {}, "eventMetadata": {"eventId": "x"}}),
        *good[5:],
    ]
    outcome = _put(monitor, bucket, f"{CAPTURE}mixed.jsonl", jsonl(lines))
    assert outcome.rows == 10 and outcome.records == 12 and sum(outcome.bad_records.values()) == 2
    kept = monitor.s3.get_object(Bucket=bucket, Key=quarantine_copy_key(f"{CAPTURE}mixed.jsonl"))[
        "Body"
    ].read()
    assert kept.splitlines()[0] == b"not json"
    reasons = json.loads(
        monitor.s3.get_object(Bucket=bucket, Key=quarantine_record_key(f"{CAPTURE}mixed.jsonl"))[
            "Body"
        ].read()
    )
    assert [b["line"] for b in reasons["bad_records"]] == [6, 7]
    assert all(b["reason"].startswith("capture_") for b in reasons["bad_records"])


def test_labels_before_and_after_the_window_closes_join_into_a_labelled_batch(
    monitor, bucket, make_frame_fn, baseline_profile
):
    frame = make_frame_fn(400, seed=4)
    # Labels for the first 150 rows arrive before their window closes (kept, joined at close).
    early = truth_records([f"a-{i}" for i in range(150)], frame[LABEL][:150].tolist())
    truth = _put(monitor, bucket, "ground-truth/2026/12/05/09/early.jsonl", jsonl(early))
    assert truth.status == "ground_truth" and truth.rows == 150 and truth.labelled_written == []
    closed = _put(monitor, bucket, f"{CAPTURE}a.jsonl", _capture(frame, baseline_profile, "a"))
    assert closed.windows_closed == ["churn-champion/AllTraffic/w000001"]
    assert closed.labelled_written == ["monitor/labelled/churn-champion/AllTraffic/w000001-r01.csv"]
    # 100 more (25% of 400): a second revision; a duplicate label for a-0 does not change a-0.
    late = truth_records(
        ["a-0", *[f"a-{i}" for i in range(150, 250)], "nobody-asked"],
        [1 - frame[LABEL][0], *frame[LABEL][150:250], 1],
    )
    later = _put(monitor, bucket, "ground-truth/2026/12/07/10/late.jsonl", jsonl(late))
    assert later.labelled_written == ["monitor/labelled/churn-champion/AllTraffic/w000001-r02.csv"]
    batch = read_frame(
        monitor.s3.get_object(Bucket=bucket, Key=later.labelled_written[0])["Body"].read(),
        baseline_profile.schema,
    )
    assert len(batch) == 250 and batch[LABEL].notna().all()
    expected = frame[LABEL][:250].astype(str).tolist()
    assert (
        batch.sort_values("_capture_event_id", key=lambda s: s.str[2:].astype(int))[LABEL].tolist()
        == expected
    )
    # A redelivery of the late labels writes nothing new.
    assert _put(monitor, bucket, "ground-truth/2026/12/07/10/late.jsonl", jsonl(late)).labelled_written == []


def test_the_tick_closes_a_quiet_window(monitor, bucket, make_frame_fn, baseline_profile):
    _put(monitor, bucket, f"{CAPTURE}a.jsonl", _capture(make_frame_fn(80, seed=1), baseline_profile, "a"))
    settings = _settings(bucket)
    assert tick(monitor, settings).windows_closed == []
    outcome = tick(monitor, settings, now=datetime.now(UTC) + timedelta(minutes=31))
    assert outcome.windows_closed == ["churn-champion/AllTraffic/w000001"]
    assert tick(monitor, settings, now=datetime.now(UTC) + timedelta(minutes=62)).windows_closed == []


class FakeSageMaker:
    """DescribeEndpoint / DescribeEndpointConfig of an endpoint whose config a test switches (moto has no
    UpdateEndpoint)."""

    def __init__(self) -> None:
        self.config, self.since = "champion-config", datetime(2026, 12, 5, 7, 0, tzinfo=UTC)
        self.models = {"champion-config": "champion-model", "successor-config": "successor"}

    def describe_endpoint(self, EndpointName: str) -> dict:
        return {
            "EndpointStatus": "InService",
            "EndpointConfigName": self.config,
            "LastModifiedTime": self.since,
        }

    def describe_endpoint_config(self, EndpointConfigName: str) -> dict:
        return {
            "ProductionVariants": [
                {"VariantName": "AllTraffic", "ModelName": self.models[EndpointConfigName]}
            ]
        }


def test_rows_a_previous_champion_served_keep_its_name(monitor, bucket, make_frame_fn, baseline_profile):
    monitor.sagemaker = FakeSageMaker()
    features = baseline_profile.schema.feature_names

    def file(prefix: str, time: str) -> bytes:
        return jsonl(
            capture_records(make_frame_fn(5, seed=1), features, np.full(5, 0.4), prefix=prefix, time=time)
        )

    _put(monitor, bucket, f"{CAPTURE}old.jsonl", file("o", "2026-12-05T08:00:00Z"))
    monitor.sagemaker.config = "successor-config"  # promoted at 09:00
    monitor.sagemaker.since = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    _put(
        monitor, bucket, f"{CAPTURE}late-old.jsonl", file("p", "2026-12-05T08:59:00Z")
    )  # read after, served before
    _put(monitor, bucket, f"{CAPTURE}new.jsonl", file("n", "2026-12-05T09:01:00Z"))
    outcome = tick(monitor, _settings(bucket, rows=15), now=datetime.now(UTC) + timedelta(minutes=31))
    assert outcome.windows_closed
    frames = [
        read_frame(monitor.s3.get_object(Bucket=bucket, Key=k)["Body"].read(), baseline_profile.schema)
        for k in list_keys(monitor, bucket, "monitor/windows/")
    ]
    served = {
        event[0]: model
        for f in frames
        for event, model in zip(f["_capture_event_id"], f[MODEL_COLUMN], strict=True)
    }
    assert served == {"o": "champion-model", "p": "champion-model", "n": "successor"}
