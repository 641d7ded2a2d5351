"""Row order is time: the held-out rows are the newest rows (by the timestamp column when the schema has
one, else the file's order), and a first model's windows are the newest shares of its seed data."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
from prepare_support import event, read_csv, settings
from wf_helpers import BUCKET, make_frame

from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.read_limits import ReadLimits
from drift_retrain.engine.schema import infer_schema
from drift_retrain.workflow.prepare_training_data.preparation import prepare_training_data

DAYS = pd.date_range("2026-01-01", periods=1000, freq="h").strftime("%Y-%m-%dT%H:%M:%S")


def _manifest(s3) -> dict:
    return json.loads(s3.get_object(Bucket=BUCKET, Key="training/run-1/manifest.json")["Body"].read())


def _raw(s3, key: str) -> pd.DataFrame:
    return read_csv(s3, key, header=True)


def test_a_first_model_is_judged_on_the_newest_rows_and_each_window_trains_on_a_newest_share(clients, to_csv):
    frame = make_frame(1000, seed=1)  # file order is time order: row i came before row i + 1
    clients.s3.put_object(Bucket=BUCKET, Key="seed/initial.csv", Body=to_csv(frame))
    data = prepare_training_data(clients.s3, settings(), event("seed/initial.csv", bootstrap=True))

    test = _raw(clients.s3, "training/run-1/raw/test-data.csv.gz")
    np.testing.assert_allclose(test["x1"], frame["x1"].iloc[800:])  # the newest 200 rows, in order
    trained = {
        c["strategy"]: set(_raw(clients.s3, f"training/run-1/{c['id']}/raw/training-data.csv.gz")["x1"])
        for c in data["candidates"]
    }
    older = frame["x1"].to_numpy()
    assert trained["bootstrap"] == set(older[:800])
    assert trained["bootstrap_newest_half"] == set(older[400:800])
    assert trained["bootstrap_newest_quarter"] == set(older[600:800])
    manifest = _manifest(clients.s3)
    assert manifest["time_order"] == "file order"
    assert [c["window_ended"] for c in data["candidates"]] == [
        "first model: all of the seed data",
        "first model: the newest half of the seed data",
        "first model: the newest quarter of the seed data",
    ]


def test_a_seed_with_a_timestamp_column_is_put_in_its_order(clients, to_csv):
    frame = make_frame(1000, seed=2).assign(day=DAYS)
    shuffled = frame.sample(frac=1.0, random_state=5)
    clients.s3.put_object(Bucket=BUCKET, Key="seed/initial.csv", Body=to_csv(shuffled))
    data = prepare_training_data(clients.s3, settings(), event("seed/initial.csv", bootstrap=True))

    test = _raw(clients.s3, "training/run-1/raw/test-data.csv.gz")
    assert list(test["day"]) == list(DAYS[800:])  # the newest 200 by time, not the file's last 200
    quarter = _raw(clients.s3, f"training/run-1/{data['candidates'][2]['id']}/raw/training-data.csv.gz")
    assert set(quarter["day"]) == set(DAYS[600:800])
    assert _manifest(clients.s3)["time_order"] == "timestamp column day" == data["test"]["time_order"]


def test_a_retrain_holds_out_the_triggers_newest_rows_by_its_timestamp(clients, to_csv):
    champion_rows = make_frame(800, seed=100).assign(day=DAYS[:800])
    schema = infer_schema(champion_rows, label="label")
    assert schema.timestamp == "day"
    clients.s3.put_object(
        Bucket=BUCKET,
        Key="baseline/current/profile.json",
        Body=build_profile(champion_rows, schema).to_json_bytes(),
    )
    batch = make_frame(600, seed=5).assign(day=DAYS[:600])
    clients.s3.put_object(
        Bucket=BUCKET, Key="incoming/new.csv", Body=to_csv(batch.iloc[::-1])
    )  # newest first
    data = prepare_training_data(clients.s3, settings(candidates=("newest",)), event("incoming/new.csv"))

    test = _raw(clients.s3, "training/run-1/raw/test-data.csv.gz")
    assert data["test"]["rows"] == 120 and list(test["day"]) == list(DAYS[480:600])
    assert _manifest(clients.s3)["time_order"] == "timestamp column day"


def test_a_csv_over_max_object_bytes_is_read_from_its_newest_bytes(clients, to_csv):
    """DetectDrift checks such a CSV in byte ranges; a retrain reads the lines that start in its last
    MAX_OBJECT_BYTES (row order is time, so its newest rows), never more than the limit."""
    frame = make_frame(3000, seed=3)
    body = to_csv(frame)
    clients.s3.put_object(Bucket=BUCKET, Key="seed/initial.csv", Body=body)
    limits = ReadLimits(max_object_bytes=len(body) // 3)
    prepare = replace(settings(), limits=limits)
    data = prepare_training_data(clients.s3, prepare, event("seed/initial.csv", bootstrap=True))

    read = len(_raw(clients.s3, "training/run-1/raw/test-data.csv.gz")) + sum(
        c["rows"]["train"] + c["rows"]["validation"] for c in data["candidates"][:1]
    )
    assert 900 <= read <= 1000  # about a third of the rows: those in the last third of the bytes
    test = _raw(clients.s3, "training/run-1/raw/test-data.csv.gz")
    np.testing.assert_allclose(test["x1"], frame["x1"].iloc[-len(test) :])  # still the newest rows
    trained = set(
        _raw(clients.s3, f"training/run-1/{data['candidates'][0]['id']}/raw/training-data.csv.gz")["x1"]
    )
    assert trained <= set(frame["x1"].iloc[-read:]) and len(trained) == read - len(test)
