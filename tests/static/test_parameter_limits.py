"""The template's parameters and settings stay within what AWS accepts, at their extremes, not only at their
defaults.

botocore's models carry most API ranges (``test_aws_api_models`` checks those at Default, MinValue and
MaxValue); this module adds what only the documentation says, the execution-history limit of a Standard
workflow (every bounded loop at its template maximum), and the longest SageMaker names the layer builds.
"""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from typing import Any

import pytest

from drift_retrain.settings.schema import SETTINGS
from drift_retrain.workflow.prepare_training_data.candidates import TRAINED, candidate_names
from drift_retrain.workflow.shared.naming import job_names
from drift_retrain_local.run.local_run import LOCAL_SETTINGS

from .aws_fidelity import botocore_model
from .conftest import PHASE_RESOURCE, iter_states, source_name

#: Limits the API reference states in prose (botocore's model has only the minimum).
DOCUMENTED = {
    # TrafficRoutingConfig: CanarySize "must be less than or equal to 50% of the variant's total instance
    # count"; LinearStepSize "must be 10-50%". One parameter serves both.
    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html
    "DeploymentStepPercent": (10, 50),
    # StoppingCondition.MaxRuntimeInSeconds: "The default value is 1 day. The maximum value is 28 days."
    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StoppingCondition.html
    "TrainingMaxRuntimeSeconds": (1, 28 * 24 * 3600),
}
#: "Maximum execution history size: 25,000 events in a single state machine execution history" (Standard).
#: https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
HISTORY_LIMIT = 25_000
#: Events a state adds to the history, at most (entered + exited; a Task also scheduled, started,
#: submitted, succeeded or failed; Map and Parallel also started and succeeded; each Map iteration 2).
EVENTS = {"Task": 6, "Map": 4, "Parallel": 4}
RETRY_EVENTS = 3  # a retried attempt: scheduled, started, failed
#: Characters the longest tuning job name leaves free under SageMaker's 32 (finding 4: it had none).
TUNING_NAME_MARGIN = 2


def _number(value: Any) -> float:
    return float(value)


def documented_problems(specs: dict[str, Any]) -> list[str]:
    problems = []
    for name, (low, high) in DOCUMENTED.items():
        spec = specs[name]
        if "MinValue" not in spec or _number(spec["MinValue"]) < low:
            problems.append(f"{name}: MinValue must be at least {low}")
        if "MaxValue" not in spec or _number(spec["MaxValue"]) > high:
            problems.append(f"{name}: MaxValue must be at most {high}")
    return problems


def test_parameters_respect_the_documented_limits(specs):
    assert documented_problems(specs) == []


@pytest.mark.parametrize(
    ("name", "key", "value"),
    [("DeploymentStepPercent", "MaxValue", 100), ("DeploymentStepPercent", "MinValue", 1),
     ("TrainingMaxRuntimeSeconds", "MaxValue", 30 * 24 * 3600)],
)  # fmt: skip
def test_documented_limits_fail_on_a_planted_range(specs, name, key, value):
    planted = copy.deepcopy(specs)
    planted[name][key] = value
    assert any(p.startswith(name) for p in documented_problems(planted))


def test_the_local_cloud_deploys_values_aws_would_accept(specs):
    """The local run overrides some settings (shorter waits): the deploy-time validator would refuse values
    outside their range, so the local cloud must not use them either."""
    by_key = {setting.key: setting for setting in SETTINGS}
    for key, value in LOCAL_SETTINGS.items():
        spec = specs[by_key[key].attribute]
        assert _number(spec.get("MinValue", value)) <= value <= _number(spec.get("MaxValue", value)), key


# ------------------------------------------------------------------------------------ execution history
def _successors(state: dict[str, Any]) -> set[str]:
    targets = {state.get("Next"), state.get("Default")}
    targets |= {c["Next"] for c in state.get("Choices", []) + state.get("Catch", [])}
    return {t for t in targets if t}


def _events(state: dict[str, Any], retries: bool) -> int:
    own = EVENTS.get(state["Type"], 2)
    if retries:
        own += RETRY_EVENTS * sum(r.get("MaxAttempts", 3) for r in state.get("Retry", []))
    return own


def _setting_parameter(definition: dict[str, Any], state_machine: dict[str, Any], setting: str) -> str:
    expression = definition["States"]["Load settings"]["Parameters"][f"{setting}.$"]
    placeholder = re.search(r"\$\{(\w+)\}", expression).group(1)
    return source_name(state_machine["DefinitionSubstitutions"][placeholder])


def _loops(states: dict[str, Any]) -> list[tuple[str, int]]:
    """(setting, worst events of one pass) of every loop guarded by a counter Choice in this graph.

    A counter is a workflow variable (``"Variable": "$endpoint_checks"``). Loops that count with the same
    counter (the A/B test's endpoint waits continue ``$endpoint_checks`` without resetting it) share one budget: the setting bounds their passes together, so they count once,
    at the costliest pass among them."""
    predecessors = defaultdict(set)
    for name, state in states.items():
        for nxt in _successors(state):
            predecessors[nxt].add(name)
    found = []
    for guard, state in states.items():
        text = repr(state.get("Choices", []))
        limit = re.search(r"Numeric(?:GreaterThanEquals|LessThanEquals)Path': '\$\.config\.(\w+)'", text)
        counter = re.search(r"'Variable': '(\$\w+)'", text)
        if state["Type"] != "Choice" or not counter or not limit:
            continue
        reaches, todo = set(), [guard]  # states from which the guard can be reached again
        while todo:
            for before in predecessors[todo.pop()]:
                if before not in reaches:
                    reaches.add(before)
                    todo.append(before)
        best = 0

        def walk(name: str, seen: frozenset[str], total: int, guard=guard, reaches=reaches) -> None:
            nonlocal best
            for nxt in _successors(states[name]):
                if nxt == guard:
                    best = max(best, total)
                elif nxt in reaches and nxt not in seen:
                    walk(nxt, seen | {nxt}, total + _events(states[nxt], retries=False))

        walk(guard, frozenset({guard}), _events(state, retries=False))
        found.append((limit.group(1), counter.group(1), best))
    shared: dict[tuple[str, str], int] = {}
    for setting, counted_by, events in found:
        shared[setting, counted_by] = max(shared.get((setting, counted_by), 0), events)
    return [(setting, events) for (setting, _), events in shared.items()]


#: Network variants of the training, tuning and model Tasks: one of them runs instead of the plain Task.
VARIANTS = (" in network isolation", " in the VPC")


def history_budget(definition: dict[str, Any], specs: dict[str, Any], state_machine: dict[str, Any]) -> dict:
    """Worst-case events of one execution: every state once (with every retry), plus every loop at its
    template maximum; the Map's states once per candidate. Given the ``workflow`` tree, the phases' states
    count in the workflow's own history too: each child execution has a history of its own, so the sum
    bounds each of them."""

    def maximum(setting: str) -> int:
        spec = specs[_setting_parameter(definition, state_machine, setting)]
        return int(spec["MaxValue"]) if "MaxValue" in spec else 10**9

    processor = next(
        (s.get("ItemProcessor") or s["Iterator"])["States"]
        for _, s in iter_states(definition["States"])
        if s["Type"] == "Map"
    )
    candidates = len(TRAINED) + int(specs["RegistryCandidates"]["MaxValue"])
    outside = {n: s for n, s in iter_states(definition["States"]) if n not in processor}
    parts = {"execution": 2, "states once": sum(_events(s, retries=True) for s in outside.values())}
    graphs = [definition["States"]] + [  # the workflow's, and each phase's (nested in the workflow tree)
        branch["States"]
        for _, s in iter_states(definition["States"])
        if s.get("Resource") == PHASE_RESOURCE
        for branch in s["Branches"]
    ]
    for states in graphs:
        for setting, events in _loops(states):
            parts[f"loop {setting}"] = parts.get(f"loop {setting}", 0) + (maximum(setting) + 1) * events
    per_candidate = 2 + sum(
        _events(s, retries=True) for n, s in processor.items() if not n.endswith(VARIANTS)
    )
    per_candidate += sum((maximum(setting) + 1) * events for setting, events in _loops(processor))
    parts[f"{candidates} candidates"] = candidates * per_candidate
    return parts


def test_the_worst_execution_fits_the_history_limit(workflow, specs, state_machine):
    parts = history_budget(workflow, specs, state_machine)
    assert {"loop max_polls", "loop lock_max_waits"} <= set(parts)
    assert sum(parts.values()) <= HISTORY_LIMIT, parts


@pytest.mark.parametrize("parameter", ["EndpointMaxPolls", "LockMaxWaits", "TrainingCapacityRetries"])
def test_an_unbounded_loop_fails_the_history_check(workflow, specs, state_machine, parameter):
    planted = copy.deepcopy(specs)
    planted[parameter].pop("MaxValue")
    assert sum(history_budget(workflow, planted, state_machine).values()) > HISTORY_LIMIT


# ------------------------------------------------------------------------------------------- name lengths
def _longest_prefix(specs: dict[str, Any]) -> str:
    return "p" * int(specs["ModelNamePrefix"]["MaxLength"])


def name_problems(specs: dict[str, Any]) -> list[str]:
    """The longest names the layer builds (longest prefix, last candidate, last capacity retry)."""
    sagemaker = botocore_model("sagemaker")

    def limit(operation: str, member: str) -> int:
        return sagemaker.operation_model(operation).input_shape.members[member].metadata["max"]

    names = job_names(_longest_prefix(specs), "arn:aws:states:::execution:x:y", "2026-12-31T23:59:00Z")
    last = len(TRAINED) + int(specs["RegistryCandidates"]["MaxValue"])
    candidate = candidate_names(names.base, last)
    # Trained candidates come first (registry ones are never tuned): the last tuning job is number len(TRAINED).
    tuned = candidate_names(names.base, len(TRAINED))
    retries = int(specs["TrainingCapacityRetries"]["MaxValue"])
    checks = [
        (f"{candidate['training_job']}-{retries}", limit("CreateTrainingJob", "TrainingJobName"), 0),
        (tuned["tuning_job"], limit("CreateHyperParameterTuningJob", "HyperParameterTuningJobName"),
         TUNING_NAME_MARGIN),
        (candidate["model"], limit("CreateModel", "ModelName"), 0),
        (candidate["transform_job"], limit("CreateTransformJob", "TransformJobName"), 0),
        (names.champion_transform_job, limit("CreateTransformJob", "TransformJobName"), 0),
        (names.endpoint_config, limit("CreateEndpointConfig", "EndpointConfigName"), 0),
        (names.ab_endpoint_config, limit("CreateEndpointConfig", "EndpointConfigName"), 0),
        (names.restore_endpoint_config, limit("CreateEndpointConfig", "EndpointConfigName"), 0),
    ]  # fmt: skip
    return [
        f"{name} ({len(name)}) exceeds {most - margin}"
        for name, most, margin in checks
        if len(name) > most - margin
    ]


def test_the_longest_names_fit_with_a_margin(specs):
    assert name_problems(specs) == []


def test_a_longer_prefix_fails_the_name_check(specs):
    planted = copy.deepcopy(specs)
    planted["ModelNamePrefix"]["MaxLength"] = 10  # the tuning job would be 32 of 32
    assert any("-h" in p for p in name_problems(planted))
