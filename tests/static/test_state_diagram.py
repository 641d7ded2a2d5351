"""The state machine's picture (docs/state-machine.md) is generated from the definition and current."""

from __future__ import annotations

import json

from support.paths import DEFINITION, load_script


def _script():
    return load_script("state_diagram")


def test_the_committed_diagram_is_current():
    script = _script()
    assert script.main(["--check"]) == 0, "run: python scripts/state_diagram.py"


def test_every_state_and_catch_path_is_drawn():
    script = _script()
    found = script.definitions()
    text = script.render(found)
    for state in (
        "Acquire endpoint lock",
        "Score candidates and champion on held-out rows",
        "Train and score each candidate",
        "Candidate failed",
        "Retrain failed",
    ):
        assert f"{script.node_id(state)}" in text
    assert "Prepare_training_data -.-> Describe_failure" in text
    assert "Train_and_score_each_candidate ==> Is_candidate_storage_encrypted_with_a_KMS_key" in text
    # one flowchart per state machine: the workflow, each phase, the partition check
    assert text.count("```mermaid") == len(found) == 7
    assert json.loads(DEFINITION.read_text()) == found["retrain"]
