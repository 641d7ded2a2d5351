"""Every path the definition reads from a Lambda's result is a field of that result's type
(workflow/shared/payloads.py), so a renamed or dropped field fails here, not in an execution."""

from __future__ import annotations

import re
from dataclasses import fields

import pytest

from drift_retrain.workflow.shared.naming import JobNames
from drift_retrain.workflow.shared.payloads import (
    CandidateItem,
    CandidateNames,
    EvaluationResult,
    ExecutionNames,
    PreparedData,
    PromotionResult,
    Winner,
    field_names,
)

#: Where each result lands in the state (the ResultSelector of "Prepare training data" / "Evaluate
#: candidate against champion", the Map state's ItemSelector), and the type of what lands there.
ROOTS = {
    "$.data": PreparedData,
    "$.data.names": ExecutionNames,
    "$.candidate": CandidateItem,
    "$.candidate.names": CandidateNames,
    "$.evaluation": EvaluationResult,
    "$.evaluation.winner": Winner,
    "$.promotion_result.promotion": PromotionResult,
}
PATH = re.compile(r"\$\.(?:data|candidate|evaluation|promotion_result)(?:\.\w+)*")


def _paths(definition_text: str) -> set[str]:
    return set(PATH.findall(definition_text))


def _unknown(paths: set[str]) -> list[str]:
    unknown = []
    for path in sorted(paths):
        root = max((r for r in ROOTS if path == r or path.startswith(r + ".")), key=len, default=None)
        if root is None or path == root:
            continue
        field = path[len(root) + 1 :].split(".")[0]
        if field not in field_names(ROOTS[root]):
            unknown.append(path)
    return unknown


def test_every_path_the_definition_reads_is_a_payload_field(machines):
    paths = _paths("\n".join(machine["text"] for machine in machines.values()))  # the workflow, its phases
    assert "$.evaluation.winner.model_name" in paths and "$.candidate.names.transform_job" in paths
    assert _unknown(paths) == []


#: The Lambda results the workflow takes field by field into its state: the task, where it lands, its type.
SELECTED = {
    "Prepare training data": ("$.data", PreparedData),
    "Evaluate candidate against champion": ("$.evaluation", EvaluationResult),
}


def test_a_result_taken_field_by_field_keeps_every_field(definition):
    """A field added to the payload reaches the state (and Notify, and the phases) only if the task's
    ResultSelector names it: each names every field, and nothing else."""
    for name, (at, payload) in SELECTED.items():
        state = definition["States"][name]
        assert state["ResultPath"] == at, name
        assert state["ResultSelector"] == {f"{f}.$": f"$.Payload.{f}" for f in field_names(payload)}, name


@pytest.mark.parametrize(
    ("planted", "expected"),
    [("$.data.train_uri", "$.data.train_uri"), ("$.evaluation.winner.model", "$.evaluation.winner.model")],
)
def test_a_path_to_a_missing_field_is_caught(planted, expected):
    assert _unknown({planted}) == [expected]


def test_the_execution_names_are_the_naming_modules():
    assert {f.name for f in fields(JobNames)} == field_names(ExecutionNames)


def test_the_candidate_names_are_the_candidates_modules():
    from drift_retrain.workflow.prepare_training_data.candidates import candidate_names

    assert set(candidate_names("drift-xgb-2601010000-abcdef", 1)) == field_names(CandidateNames)
