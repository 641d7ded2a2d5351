"""The console graph stays readable: every Retry and Catch is one of a small set of named policies (one
per kind of failure, ``statemachine/policies.json``), and the graph's size and Pass share stay within
their limits. The figures come from the same functions that write ``docs/state-machine.md``."""

from __future__ import annotations

import copy
import json
from typing import Any

from support.paths import ROOT, load_script

POLICIES = json.loads((ROOT / "statemachine" / "policies.json").read_text())
#: Each kind of failure has one policy; a new policy needs a new kind, not a variant of an old one.
MAX_RETRY_POLICIES = 10
MAX_CATCH_POLICIES = 5
#: Ceilings on the figures measured from the definition (docs/state-machine.md, "Size"); they only go
#: down, towards at most 35 states per graph and 10% Pass states.
MAX_STATES_PER_GRAPH = 115
MAX_TOP_LEVEL_STATES = 85
MAX_PASS_SHARE = 31 / 115


def _script():
    return load_script("state_diagram")


def _find(states: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(_script()._named_states(states))[name]


def test_every_retry_and_catch_is_a_named_policy(definition):
    assert _script().policy_problems(definition, POLICIES) == []


def test_the_policy_set_is_small():
    assert len(POLICIES["Retry"]) <= MAX_RETRY_POLICIES
    assert len(POLICIES["Catch"]) <= MAX_CATCH_POLICIES
    for kind in ("Retry", "Catch"):
        for name, policy in POLICIES[kind].items():
            assert policy["kind"] and policy[kind], name


def test_an_ad_hoc_retry_shape_fails(definition):
    changed = copy.deepcopy(definition)
    _find(changed["States"], "Find champion model")["Retry"][0]["MaxAttempts"] = 6
    assert _script().policy_problems(changed, POLICIES) == [
        "Find champion model: its Retry is none of the named policies in policies.json"
    ]


def test_an_ad_hoc_catch_shape_fails(definition):
    changed = copy.deepcopy(definition)
    _find(changed["States"], "Notify failure")["Catch"][0]["ResultPath"] = "$.other_error"
    _find(changed["States"], "Prepare training data")["Catch"][0]["ErrorEquals"] = ["States.TaskFailed"]
    assert _script().policy_problems(changed, POLICIES) == [
        "Prepare training data: its Catch is none of the named policies in policies.json",
        "Notify failure: its Catch is none of the named policies in policies.json",
    ]


def test_an_unused_policy_fails(definition):
    policies = copy.deepcopy(POLICIES)
    policies["Retry"]["spare"] = {"kind": "nothing", "Retry": [{"ErrorEquals": ["States.ALL"]}]}
    assert _script().policy_problems(definition, policies) == ["Retry policy spare is used by no state"]


def test_every_graph_stays_within_its_size(definition):
    script = _script()
    sizes = {title: script.graph_size(states) for title, states in script.graphs(definition).items()}
    total = sum(size["states"] for size in sizes.values())
    passes = sum(size["pass"] for size in sizes.values())
    for title, size in sizes.items():
        assert size["states"] <= MAX_STATES_PER_GRAPH, title
        assert size["top"] <= MAX_TOP_LEVEL_STATES, title
    assert passes / total <= MAX_PASS_SHARE
