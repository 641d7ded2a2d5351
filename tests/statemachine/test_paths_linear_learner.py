"""``Algorithms=linear-learner``: the whole service on Linear Learner alone (the bootstrap, DetectDrift
scoring batches on the Linear Learner endpoint in JSON Lines, a retrain after a concept change)."""

from __future__ import annotations

import json

from workflow_support import batch_csv, bootstrapped_cloud


def test_linear_learner_alone_runs_the_whole_service() -> None:
    with bootstrapped_cloud(Algorithms="linear-learner") as harness:
        assert harness.bootstrap["outcome"] == "promoted"
        # one Linear Learner candidate per window of the seed data
        assert harness.bootstrap["evaluation"]["candidate_algorithms"] == ["linear-learner"] * 3
        stable = harness.upload("stable-ll.csv", batch_csv("stable", seed=21))
        assert stable["outcome"] in ("no_drift", "drift_alert"), stable
        report = harness.read_json(stable["detect"]["report_key"])
        concept = report["concept_drift"]
        assert concept["tested"] and concept["rows"] > 0, json.dumps(concept)[:300]  # scored on the endpoint
        changed = harness.upload("concept-ll.csv", batch_csv("concept", seed=22))
        assert changed["concept_drift"], changed
        assert changed["execution"]["status"] == "SUCCEEDED", changed["execution"]
        assert set(changed["evaluation"]["candidate_algorithms"]) == {"linear-learner"}
