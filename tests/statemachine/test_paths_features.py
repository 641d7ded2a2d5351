"""The opt-in feature-drift retrain (retrain_on performance_or_features) through the real definition:
P(y|x) held, so the retrain trains on the newest batches, old rows included, never on a since_change
window (there was no change to train after)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from workflow_support import Harness, batch_csv, bootstrapped_cloud


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with bootstrapped_cloud(train_seed=31, settings={"retrain_on": "performance_or_features"}) as running:
        yield running


def test_a_feature_drift_retrain_keeps_the_older_batches(harness: Harness) -> None:
    assert harness.upload("stable-1.csv", batch_csv("stable", seed=70))["outcome"] == "no_drift"
    entry = harness.upload("shifted-1.csv", batch_csv("shifted", seed=71, rows=1_000))
    assert entry["concept_drift"] is False and {"age", "region"} <= set(entry["drifted_features"])
    assert entry["execution"] is not None and entry["execution"]["status"] == "SUCCEEDED", entry
    manifest = harness.manifest(entry["execution"]["name"])
    assert manifest["trigger"]["kind"] == "features"
    assert manifest["strategies"][0] == "recent"
    assert "since_change" not in manifest["strategies"]
    assert [b["key"] for b in manifest["batches"]] == ["incoming/shifted-1.csv", "incoming/stable-1.csv"]
