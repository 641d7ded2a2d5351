"""PrepareTrainingData reads partitions as it reads batches (moto S3): a partition triggered by its
marker, older partitions in the window as one batch each, and parts without a marker never read."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import fastparquet
from prepare_support import event, seed_champion, settings
from wf_helpers import BUCKET, make_frame

from drift_retrain.aws.storage import S3Object
from drift_retrain.workflow.prepare_training_data.partition_listing import listed_batches
from drift_retrain.workflow.prepare_training_data.preparation import prepare_training_data


def put_partition(s3, folder: str, frame, parts: int, *, marker: str | None = "_SUCCESS") -> None:
    size = -(-len(frame) // parts)
    for i in range(parts):
        buffer = io.BytesIO()
        fastparquet.write(buffer, frame.iloc[i * size : (i + 1) * size].reset_index(drop=True))
        s3.put_object(Bucket=BUCKET, Key=f"{folder}part-{i:05d}.parquet", Body=buffer.getvalue())
    if marker:
        s3.put_object(Bucket=BUCKET, Key=f"{folder}{marker}", Body=b"")


def test_a_partition_trigger_and_an_older_partition_are_read_as_batches(clients, to_csv):
    seed_champion(clients.s3)
    clients.s3.put_object(Bucket=BUCKET, Key="incoming/b0.csv", Body=to_csv(make_frame(300, seed=1)))
    put_partition(clients.s3, "incoming/p1/", make_frame(400, seed=2), parts=2)
    put_partition(clients.s3, "incoming/p-unfinished/", make_frame(500, seed=3), parts=2, marker=None)
    put_partition(clients.s3, "incoming/p2/", make_frame(600, seed=4), parts=3)
    trigger = event("incoming/p2/_SUCCESS")
    trigger["trigger"]["kind"] = "features"  # the recent window: every older batch may join

    data = prepare_training_data(clients.s3, settings(), trigger)

    manifest = json.loads(clients.s3.get_object(Bucket=BUCKET, Key=data["manifest"]["key"])["Body"].read())
    assert [b["key"] for b in manifest["batches"]] == [
        "incoming/p2/_SUCCESS",
        "incoming/p1/_SUCCESS",
        "incoming/b0.csv",
    ]
    assert manifest["skipped"] == []
    assert sum(data["rows"].values()) == 1300  # train + validation + test: never the unfinished partition


def test_the_listing_puts_each_complete_partition_behind_its_marker():
    now = datetime(2026, 12, 1, tzinfo=UTC)

    def obj(key: str, minutes: int, size: int = 10) -> S3Object:
        return S3Object(BUCKET, key, size, now + timedelta(minutes=minutes), f"etag-{key}")

    listed = listed_batches(
        [
            obj("incoming/a.csv", 0),
            obj("incoming/p/part-0.parquet", 1, 100),
            obj("incoming/p/part-1.parquet", 2, 50),
            obj("incoming/p/_committed_123", 2),
            obj("incoming/p/_SUCCESS", 3, 0),
            obj("incoming/q/part-0.parquet", 4),  # no marker yet: not a batch
            obj("incoming/sub/b.csv", 5),  # a file in a folder, not a part: a batch of its own
        ],
        "incoming/",
    )
    assert [(b.key, b.size, b.etag) for b in listed] == [
        ("incoming/a.csv", 10, "etag-incoming/a.csv"),
        ("incoming/sub/b.csv", 10, "etag-incoming/sub/b.csv"),
        ("incoming/p/_SUCCESS", 150, "etag-incoming/p/_SUCCESS"),
    ]
