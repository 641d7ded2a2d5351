"""PrepareTrainingData on the capture monitor's labelled windows: the newest revision of each window, in
time order with the ``incoming/`` batches; only joined rows; no ``_capture_*`` column reaches training."""

from __future__ import annotations

import numpy as np
from prepare_support import event, read_csv, seed_champion, settings
from test_wf_windows import manifest_of, put_checked_batch
from wf_helpers import BUCKET, make_frame

from drift_retrain.monitor.frames import write_frame
from drift_retrain.workflow.prepare_training_data.preparation import prepare_training_data

LABELLED = "monitor/labelled/ep/AllTraffic/"


def put_window(clients, key: str, frame, *, wrong: bool | None, model: str = "champion-1") -> None:
    """A labelled window as the monitor writes it, and the report DetectDrift would have written."""
    captured = frame.assign(
        _capture_event_id=[f"{key}-{i}" for i in range(len(frame))],
        _capture_row=0,
        _capture_prediction="1",
        _capture_score=np.linspace(0, 1, len(frame)),
        _capture_model=model,
    )
    put_checked_batch(clients, lambda _: write_frame(captured), key, frame, wrong=wrong, model=model)


def test_since_change_walks_labelled_windows_and_incoming_batches_alike(clients, to_csv):
    profile = seed_champion(clients.s3)
    profile.metadata["model_name"] = "champion-1"
    clients.s3.put_object(Bucket=BUCKET, Key="baseline/current/profile.json", Body=profile.to_json_bytes())
    put_checked_batch(clients, to_csv, "incoming/b1.csv", make_frame(400, seed=1), wrong=False)
    put_window(clients, f"{LABELLED}w000001-r01.csv", make_frame(200, seed=2, concept=1), wrong=True)
    put_window(clients, f"{LABELLED}w000001-r02.csv", make_frame(300, seed=2, concept=1), wrong=True)
    put_checked_batch(clients, to_csv, "incoming/b2.csv", make_frame(300, seed=3, concept=1), wrong=True)
    put_window(clients, f"{LABELLED}w000002-r01.csv", make_frame(400, seed=4, concept=1), wrong=True)

    data = prepare_training_data(
        clients.s3, settings(candidates=("since_change", "recent")), event(f"{LABELLED}w000002-r01.csv")
    )

    manifest = manifest_of(clients, data)
    # (moto's LastModified has one-second steps: within it, order_window breaks the tie by key)
    assert manifest["batches"][0]["key"] == f"{LABELLED}w000002-r01.csv"
    assert sorted(b["key"] for b in manifest["batches"]) == [
        "incoming/b2.csv",
        f"{LABELLED}w000001-r02.csv",  # the newest revision only: r01's rows are a subset of it
        f"{LABELLED}w000002-r01.csv",
    ]
    assert sum(data["rows"].values()) == 1000
    trained = read_csv(clients.s3, data["candidates"][0]["raw_training_data"]["key"], header=True)
    assert not [c for c in trained.columns if c.startswith("_capture_")]
    held_out = read_csv(clients.s3, "training/run-1/raw/test-data.csv.gz", header=True)
    assert not [c for c in held_out.columns if c.startswith("_capture_")]


def test_a_window_trigger_with_a_newer_revision_uses_the_trigger_not_both(clients, to_csv):
    seed_champion(clients.s3)
    put_window(clients, f"{LABELLED}w000001-r01.csv", make_frame(300, seed=2), wrong=True)
    put_window(clients, f"{LABELLED}w000001-r02.csv", make_frame(400, seed=2), wrong=True)
    data = prepare_training_data(
        clients.s3, settings(candidates=("recent",)), event(f"{LABELLED}w000001-r01.csv")
    )
    assert [b["key"] for b in manifest_of(clients, data)["batches"]] == [f"{LABELLED}w000001-r01.csv"]


def _young_champion(clients, trained_on: str):
    """champion-2, trained after a change on the first revision of a window (a small sample)."""
    profile = seed_champion(clients.s3)
    profile.metadata.update(
        {"model_name": "champion-2", "window_strategy": "since_change", "training_batches": [trained_on]}
    )
    clients.s3.put_object(Bucket=BUCKET, Key="baseline/current/profile.json", Body=profile.to_json_bytes())


def _refresh_setup(clients):
    _young_champion(clients, f"{LABELLED}w000004-r01.csv")
    put_window(clients, f"{LABELLED}w000003-r04.csv", make_frame(400, seed=3), wrong=False)  # the old concept
    put_window(clients, f"{LABELLED}w000004-r01.csv", make_frame(200, seed=4, concept=1), wrong=True)
    # the rest of the change window, labelled after champion-2 took over: champion-1 served it, so no test
    put_window(clients, f"{LABELLED}w000004-r04.csv", make_frame(800, seed=4, concept=1), wrong=None)
    put_window(
        clients,
        f"{LABELLED}w000005-r02.csv",
        make_frame(600, seed=5, concept=1),
        wrong=False,
        model="champion-2",
    )


def test_a_refresh_trains_on_every_row_since_the_serving_models_change(clients):
    """The newest revision of the change window stands for the revision the model learnt from, and the
    refresh walks past windows the serving model handled fine, down to its own training window."""
    _refresh_setup(clients)
    trigger = event(f"{LABELLED}w000005-r02.csv")
    trigger["trigger"]["kind"] = "refresh"
    data = prepare_training_data(clients.s3, settings(candidates=("since_change",)), trigger)
    manifest = manifest_of(clients, data)
    assert [b["key"] for b in manifest["batches"]] == [
        f"{LABELLED}w000005-r02.csv",
        f"{LABELLED}w000004-r04.csv",
    ]
    assert manifest["window_ended"] == (
        f"{LABELLED}w000003-r04.csv is older than the serving model's own training window"
    )
    assert sum(data["rows"].values()) == 1400  # 280 held out: twice the first retrain's whole window


def test_without_a_refresh_the_window_keeps_to_the_rows_the_serving_model_got_wrong(clients):
    _refresh_setup(clients)
    data = prepare_training_data(
        clients.s3, settings(candidates=("since_change",)), event(f"{LABELLED}w000005-r02.csv")
    )
    assert [b["key"] for b in manifest_of(clients, data)["batches"]] == [f"{LABELLED}w000005-r02.csv"]
