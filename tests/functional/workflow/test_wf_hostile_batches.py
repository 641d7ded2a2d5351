"""PrepareTrainingData and hostile window batches (moto S3): each is left out with its reason, never blocks.

Before issue 9 only ``InvalidBatchError`` was skipped and every object was read whole into memory: a
``_csv.Error`` on a CR failed the next retrain, and a 2.5 GB batch ran the function out of memory.
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from dataclasses import replace

import pytest
from prepare_support import event, seed_champion, settings
from wf_helpers import BUCKET, make_frame

from drift_retrain.engine.read_limits import ReadLimits
from drift_retrain.workflow.prepare_training_data import window_reading
from drift_retrain.workflow.prepare_training_data.preparation import prepare_training_data
from drift_retrain.workflow.prepare_training_data.retrain_run import PrepareSettings
from drift_retrain.workflow.shared.exceptions import WorkflowInputError


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("batch.csv", data)
    return buffer.getvalue()


def test_every_hostile_window_batch_is_skipped_with_its_reason(clients, to_csv, monkeypatch):
    seed_champion(clients.s3)
    good = to_csv(make_frame(300, seed=2))
    hostile = {
        # over MAX_OBJECT_BYTES (from the listing), and gzip cannot be read from its newest bytes
        "incoming/a-big.csv.gz": gzip.compress(to_csv(make_frame(8000, seed=3))),
        "incoming/b-bomb.csv.gz": gzip.compress(b"label,x1,x2,colour\n" + b"1,0,0,red\n" * 20_000),
        "incoming/c-zipped.csv": _zip(good),
        "incoming/d-parquet.csv": b"PAR1\x15\x04\x15\x00\x00" + b"\x00" * 64 + b"PAR1",
        "incoming/e-utf16.csv": good.decode().encode("utf-16"),
        "incoming/f-inf.csv": good + b"inf,0.5,red,1\n",
        "incoming/g-crash.csv": good,  # opening it raises something unexpected
    }
    clients.s3.put_object(Bucket=BUCKET, Key="incoming/0-old.csv", Body=good)
    for key, body in hostile.items():
        clients.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    put = clients.s3.put_object(
        Bucket=BUCKET, Key="incoming/z-new.csv", Body=to_csv(make_frame(600, seed=5, concept=1))
    )

    real_open = window_reading.open_for_reading

    def open_or_crash(s3, ref):
        if ref.key.endswith("g-crash.csv"):
            raise ValueError("boom")  # stands for any failure nobody foresaw
        return real_open(s3, ref)

    monkeypatch.setattr(window_reading, "open_for_reading", open_or_crash)
    limits = ReadLimits(max_object_bytes=50_000, max_decompressed_bytes=100_000)
    assert len(hostile["incoming/a-big.csv.gz"]) > limits.max_object_bytes
    prepare = replace(settings(candidates=("recent",), max_batches=20), limits=limits)

    data = prepare_training_data(
        clients.s3, prepare, event("incoming/z-new.csv", version_id=put["VersionId"])
    )

    manifest = json.loads(clients.s3.get_object(Bucket=BUCKET, Key=data["manifest"]["key"])["Body"].read())
    assert [b["key"] for b in manifest["batches"]] == ["incoming/z-new.csv", "incoming/0-old.csv"]
    reasons = {s["key"]: s["reason"] for s in manifest["skipped"]}
    assert {key: reason.split(":")[0] for key, reason in reasons.items()} == {
        "incoming/a-big.csv.gz": "object_too_large",
        "incoming/b-bomb.csv.gz": "decompressed_too_large",
        "incoming/c-zipped.csv": "zip_archive",
        "incoming/d-parquet.csv": "wrong_extension",
        "incoming/e-utf16.csv": "utf16",
        "incoming/f-inf.csv": "infinite_value",
        "incoming/g-crash.csv": "unreadable",
    }
    assert "ValueError: boom" in reasons["incoming/g-crash.csv"]
    assert data["skipped_batches"] == 7


def test_read_limits_come_from_the_environment_through_one_helper():
    environ = {
        "DATA_BUCKET": BUCKET,
        "MAX_OBJECT_BYTES": "1000",
        "MAX_DECOMPRESSED_BYTES": "2000",
        "MAX_COMPRESSION_RATIO": "7.5",
    }
    assert PrepareSettings.from_env(environ).limits == ReadLimits(1000, 2000, 7.5)
    assert PrepareSettings.from_env({"DATA_BUCKET": BUCKET}).limits == ReadLimits()
    with pytest.raises(WorkflowInputError, match="MAX_OBJECT_BYTES='lots'"):
        PrepareSettings.from_env({**environ, "MAX_OBJECT_BYTES": "lots"})
