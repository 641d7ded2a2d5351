"""The state machine's picture (docs/state-machine.md) is generated from the definition and current."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("state_diagram", ROOT / "scripts" / "state_diagram.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_diagram_is_current():
    script = _script()
    assert script.main(["--check"]) == 0, "run: python scripts/state_diagram.py"


def test_every_state_and_catch_path_is_drawn():
    script = _script()
    definition = json.loads((ROOT / "statemachine" / "retrain.asl.json").read_text())
    text = script.render(definition)
    for state in (
        "Acquire endpoint lock",
        "Train and score each candidate",
        "Candidate failed",
        "Retrain failed",
    ):
        assert f"{script.node_id(state)}" in text
    assert "Prepare_training_data -.-> Collect_failure_details" in text
    assert "Train_and_score_each_candidate ==> Is_candidate_storage_encrypted_with_a_KMS_key" in text
