"""The console graph stays readable: every Retry and Catch is one of a small set of named policies (one
per kind of failure, ``statemachine/policies.json``), and the graph's size and Pass share stay within
their limits. The figures come from the same functions that write ``docs/state-machine.md``.

Counting rule: a graph is what the console draws on one state machine's page: its top-level states and
every state nested in them (Parallel branches and Map item processors are drawn inline, so they count in
that graph). A phase run as a child state machine (``startExecution.sync:2``) has a page and a graph of its
own; in its parent's graph it is the one Task that starts it. The Pass share is over every state of every
definition (the retraining workflow, its phases and the partition check)."""

from __future__ import annotations

import copy
import json
from typing import Any

from support.paths import ROOT, load_script

POLICIES = json.loads((ROOT / "statemachine" / "policies.json").read_text())
#: Each kind of failure has one policy; a new policy needs a new kind, not a variant of an old one.
MAX_RETRY_POLICIES = 10
MAX_CATCH_POLICIES = 5
#: Ceilings on the figures measured from the definitions (docs/state-machine.md, "Size"): at most 35 states
#: in any graph (the console's readable size); at most one state in ten a Pass.
MAX_STATES_PER_GRAPH = 35
MAX_PASS_SHARE = 0.10


def _script():
    return load_script("state_diagram")


def _find(every: list[dict[str, Any]], name: str) -> dict[str, Any]:
    """State ``name`` of whichever definition of the workflow holds it."""
    return {n: s for one in every for n, s in _script()._named_states(one["States"])}[name]


def _workflow() -> list[dict[str, Any]]:
    """The retraining workflow and its phases (the partition check's Retry is its own)."""
    script = _script()
    return script.with_policies(script.definitions())


def test_every_retry_and_catch_is_a_named_policy():
    assert _script().policy_problems(_workflow(), POLICIES) == []


def test_the_policy_set_is_small():
    assert len(POLICIES["Retry"]) <= MAX_RETRY_POLICIES
    assert len(POLICIES["Catch"]) <= MAX_CATCH_POLICIES
    for kind in ("Retry", "Catch"):
        for name, policy in POLICIES[kind].items():
            assert policy["kind"] and policy[kind], name


def test_an_ad_hoc_retry_shape_fails():
    changed = copy.deepcopy(_workflow())
    _find(changed, "Find champion model")["Retry"][0]["MaxAttempts"] = 6
    assert _script().policy_problems(changed, POLICIES) == [
        "Find champion model: its Retry is none of the named policies in policies.json"
    ]


def test_an_ad_hoc_catch_shape_fails():
    changed = copy.deepcopy(_workflow())
    _find(changed, "Notify failure")["Catch"][0]["ResultPath"] = "$.other_error"
    _find(changed, "Prepare training data")["Catch"][0]["ErrorEquals"] = ["States.TaskFailed"]
    assert _script().policy_problems(changed, POLICIES) == [
        "Prepare training data: its Catch is none of the named policies in policies.json",
        "Notify failure: its Catch is none of the named policies in policies.json",
    ]


def test_an_unused_policy_fails():
    policies = copy.deepcopy(POLICIES)
    policies["Retry"]["spare"] = {"kind": "nothing", "Retry": [{"ErrorEquals": ["States.ALL"]}]}
    assert _script().policy_problems(_workflow(), policies) == ["Retry policy spare is used by no state"]


def test_a_phase_is_held_to_the_same_policies():
    changed = copy.deepcopy(_workflow())
    _find(changed, "Score candidate on held-out rows")["Retry"][0]["MaxAttempts"] = 9
    assert _script().policy_problems(changed, POLICIES) == [
        "Score candidate on held-out rows: its Retry is none of the named policies in policies.json"
    ]


def test_every_graph_stays_within_its_size():
    script = _script()
    sizes = {title: script.graph_size(states) for title, states in script.graphs().items()}
    assert {"retrain", "train-and-score", "deploy-with-guardrails", "check-partition"} <= set(sizes)
    total = sum(size["states"] for size in sizes.values())
    passes = sum(size["pass"] for size in sizes.values())
    for title, size in sizes.items():
        assert size["states"] <= MAX_STATES_PER_GRAPH, (title, size)
    assert passes / total <= MAX_PASS_SHARE, (passes, total)


def test_a_graph_counts_what_is_nested_in_it_and_not_its_children():
    script = _script()
    sizes = {title: script.graph_size(states) for title, states in script.graphs().items()}
    phase = script.definitions()["train-and-score"]
    assert sizes["train-and-score"]["top"] == len(phase["States"]) == 1  # one Parallel: all the rest nested
    assert sizes["train-and-score"]["states"] > 20
    retrain = script.definitions()["retrain"]["States"]
    assert retrain["Score candidates and champion on held-out rows"]["Type"] == "Task"
    assert sizes["retrain"]["states"] == sum(1 for _ in script._named_states(retrain))
