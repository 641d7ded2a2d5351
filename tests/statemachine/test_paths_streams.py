"""A data stream on the local cloud: small objects under incoming-stream/ (CSV, JSON Lines, Parquet, as a
Firehose delivery stream writes them) are routed by the template's rules to MonitorCapture, never to
DetectDrift; the window they fill becomes one batch under incoming/, and DetectDrift writes one report."""

from __future__ import annotations

import io
from collections.abc import Iterator

import fastparquet
import numpy as np
import pandas as pd
import pytest
from workflow_support import TIMEOUT, Harness, bootstrapped_cloud

from drift_retrain.layout import quarantine_record_key
from drift_retrain_local.demos.data import features, labelled, rule_a

SOURCE = "incoming-stream/clicks/2026/12/05/09/"
BATCH = "incoming/stream-clicks/w000001.csv"
OBJECT_ROWS = 200


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with bootstrapped_cloud(
        train_seed=41, settings={"monitor_window_rows": 3 * OBJECT_ROWS, "min_window_rows": 100}
    ) as running:
        yield running


def _stable(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return labelled(features(OBJECT_ROWS, rng), rule_a, rng)


def _parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    fastparquet.write(buffer, frame)
    return buffer.getvalue()


def _targets(harness: Harness, key: str) -> list[str]:
    return [d.target_arn.rsplit(":", 1)[-1] for d in harness.cloud.events.deliveries_for(key, harness.bucket)]


def test_small_stream_objects_become_one_batch_with_one_report(harness: Harness) -> None:
    objects = {
        f"{SOURCE}clicks-1.csv": _stable(70).to_csv(index=False).encode(),
        f"{SOURCE}clicks-2.jsonl": _stable(71).to_json(orient="records", lines=True).encode(),
        f"{SOURCE}clicks-3.txt": b"not,the,model's\ncolumns,at,all\n",  # quarantined, never counted
        f"{SOURCE}clicks-4.parquet": _parquet(_stable(72)),
    }
    for key, body in objects.items():
        harness.s3.put_object(Bucket=harness.bucket, Key=key, Body=body)
        harness.cloud.events.wait(timeout=TIMEOUT)
        assert ["MonitorCapture" in t for t in _targets(harness, key)] == [True], _targets(harness, key)

    response = harness.runner.detect(BATCH)
    assert response["status"] == "checked", response
    assert [("DetectDrift" in t) for t in _targets(harness, BATCH)] == [True]  # one delivery, one check
    report = harness.read_json(response["report_key"])
    assert report["rows"] == 3 * OBJECT_ROWS and report["labelled_rows"] == 3 * OBJECT_ROWS
    assert report["retrain"] is False  # the champion's own concept: checked, no retrain
    listing = harness.s3.list_objects_v2(Bucket=harness.bucket, Prefix="incoming/stream-clicks/")
    assert [o["Key"] for o in listing["Contents"]] == [BATCH]
    reports = harness.s3.list_objects_v2(Bucket=harness.bucket, Prefix="reports/drift/stream-clicks-")
    assert [o["Key"] for o in reports["Contents"] if o["Key"].endswith(".json")] == [response["report_key"]]
    assert harness.exists(quarantine_record_key(f"{SOURCE}clicks-3.txt"))
