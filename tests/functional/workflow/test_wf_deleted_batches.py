"""A batch deleted after DetectDrift checked it stays evidence for the retrain it started (the trigger is
pinned to the checked version, which a delete marker does not remove), and leaves later windows
(docs/bad-input.md, "Deleted batches")."""

from __future__ import annotations

import json

from prepare_support import event, seed_champion, settings
from wf_helpers import BUCKET, make_frame

from drift_retrain.workflow.prepare_training_data.preparation import prepare_training_data


def _manifest(clients, data) -> dict:
    return json.loads(clients.s3.get_object(Bucket=BUCKET, Key=data["manifest"]["key"])["Body"].read())


def test_a_trigger_deleted_after_upload_is_trained_on_as_checked(clients, to_csv):
    seed_champion(clients.s3)
    put = clients.s3.put_object(Bucket=BUCKET, Key="incoming/new.csv", Body=to_csv(make_frame(600, seed=5)))
    clients.s3.delete_object(Bucket=BUCKET, Key="incoming/new.csv")  # a delete marker; the version stays

    data = prepare_training_data(
        clients.s3, settings(max_batches=1), event("incoming/new.csv", version_id=put["VersionId"])
    )

    assert sum(data["rows"].values()) == 600
    [trigger] = _manifest(clients, data)["batches"]
    assert (trigger["key"], trigger["version_id"]) == ("incoming/new.csv", put["VersionId"])


def test_a_deleted_older_batch_leaves_later_windows(clients, to_csv):
    seed_champion(clients.s3)
    clients.s3.put_object(Bucket=BUCKET, Key="incoming/kept.csv", Body=to_csv(make_frame(300, seed=2)))
    clients.s3.put_object(Bucket=BUCKET, Key="incoming/withdrawn.csv", Body=to_csv(make_frame(300, seed=3)))
    clients.s3.delete_object(Bucket=BUCKET, Key="incoming/withdrawn.csv")
    put = clients.s3.put_object(Bucket=BUCKET, Key="incoming/new.csv", Body=to_csv(make_frame(600, seed=5)))

    data = prepare_training_data(
        clients.s3, settings(candidates=("recent",)), event("incoming/new.csv", version_id=put["VersionId"])
    )

    assert [b["key"] for b in _manifest(clients, data)["batches"]] == [
        "incoming/new.csv",
        "incoming/kept.csv",
    ]
