"""What a local run copies out of its cloud before the cloud goes away: the pages and quarantined files,
and each retrain's training manifest (which its notification links), never the training data."""

from __future__ import annotations

import json
from types import SimpleNamespace

from drift_retrain.reports.links import s3_console_url
from drift_retrain_local.run.batches import BatchRunner


def test_collect_copies_the_manifest_and_the_notification_links_the_copy(clients, bucket, tmp_path):
    manifest_key = "training/run-1/manifest.json"
    for key in (manifest_key, "training/run-1/raw/test-data.csv.gz", "reports/drift/b.html"):
        clients.s3.put_object(Bucket=bucket, Key=key, Body=b"{}")
    message = f"Training manifest: {s3_console_url(bucket, manifest_key, 'us-east-1')}"
    notifications = SimpleNamespace(drain=lambda: None, messages=[{"subject": "s", "message": message}])
    runner = SimpleNamespace(s3=clients.s3, bucket=bucket, notifications=notifications)
    BatchRunner.collect(runner, tmp_path)
    assert (tmp_path / manifest_key).read_bytes() == b"{}"
    assert (tmp_path / "reports" / "drift" / "b.html").exists()
    assert not (tmp_path / "training" / "run-1" / "raw").exists()  # the data stays in the cloud
    [line] = (tmp_path / "notifications.jsonl").read_text().splitlines()
    assert json.loads(line)["message"] == f"Training manifest: {tmp_path / manifest_key}"
