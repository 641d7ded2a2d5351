"""Draw the state machines (the retraining workflow, the phases it starts as child state machines, the
partition check) as Mermaid flowcharts, from the definitions, with their size (states per graph, Pass
share) and the named Retry/Catch policy each state uses.

    python scripts/state_diagram.py            # rewrite docs/state-machine.md
    python scripts/state_diagram.py --check    # exit 1 when docs/state-machine.md is out of date

A test runs ``--check``, so the pictures can never drift from ``statemachine/*.asl.json``.
Solid arrows are the normal flow, dotted arrows the Catch paths; Parallel branches and the Map
state's item processor are drawn as subgraphs. Every Retry and Catch of the retraining workflow and its
phases is one of the named policies of ``statemachine/policies.json`` (one per kind of failure);
``policy_problems`` lists any that is not.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFINITION = ROOT / "statemachine" / "retrain.asl.json"
PARTITION_CHECK = ROOT / "statemachine" / "check-partition.asl.json"
#: The retraining workflow's phases, each a child state machine it starts (startExecution.sync:2), with
#: what its page shows.
PHASES = {
    ROOT / "statemachine" / "check-settings.asl.json": (
        "Check the settings",
        "Started by *Check the settings* once the trigger is verified: the deployed settings (captured data "
        "encrypted with the stack's KMS key when one is set) and the only overrides an execution input may ask "
        "for, the waits `poll_seconds` and `lock_wait_seconds` (1-3600 s). Any other key fails the phase "
        "(`SettingOverrideNotAllowed`), and the run ends on its failure path before the lock.",
    ),
    ROOT / "statemachine" / "take-the-lock.asl.json": (
        "Take the endpoint lock",
        "Started by *Take the endpoint lock* once the trigger is verified: one retrain per endpoint, by a "
        "conditional write of the lock item naming the workflow's execution. A lock held by a running "
        "execution is waited for (`lock_wait_seconds`, at most `lock_max_waits` times); one left by an "
        "execution that ended is taken over. Waiting too long fails the phase (`LockWaitTimeoutError`), and "
        "the workflow's conditional release leaves the holder's lock alone.",
    ),
    ROOT / "statemachine" / "find-champion.asl.json": (
        "Find the champion",
        "Started by *Find the champion*: the model the endpoint serves and its variant, or a first "
        "deployment when there is no endpoint yet. An endpoint that is not InService, or a lookup that fails "
        "for another reason, fails the phase with its own error.",
    ),
    ROOT / "statemachine" / "train-and-score.asl.json": (
        "Train and score candidates",
        "Started by *Score candidates and champion on held-out rows*: each candidate (double arrow: the Map "
        "state's processor, one run per candidate) is trained, made a model and scored on the held-out rows "
        "while the champion scores the same rows. A candidate's failure ends that candidate only (*Candidate "
        "failed*); the champion's scoring failing fails the phase, and the workflow's failure path reports "
        "the phase's own error.",
    ),
    ROOT / "statemachine" / "deploy-with-guardrails.asl.json": (
        "Deploy the winner with guardrails",
        "Started by *Deploy the winner with guardrails* once the candidate wins: a first model gets a new "
        "endpoint; otherwise a blue/green update (rolled back by the endpoint alarms) replaces the champion, "
        "or, in PromotionMode `ab`, the winner first serves a share of the traffic beside the champion until "
        "the online test decides. It ends with the candidate serving, or with the champion serving alone and "
        "`$.outcome` saying why; any failure fails the phase with its own error.",
    ),
}
OUTPUT = ROOT / "docs" / "state-machine.md"
POLICIES = ROOT / "statemachine" / "policies.json"
SHAPES = {"Choice": ("{", "}"), "Task": ("[", "]"), "Map": ("[[", "]]"), "Parallel": ("[[", "]]")}


def node_id(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", name)


def _label(name: str, state: dict[str, Any]) -> str:
    resource = state.get("Resource", "")
    service = resource.split(":::")[-1].replace("aws-sdk:", "") if resource else ""
    text = name if not service else f"{name}<br/><small>{service}</small>"
    return text.replace('"', "'")


def _node(name: str, state: dict[str, Any]) -> str:
    kind = state["Type"]
    if kind in ("Succeed", "Fail"):
        return f'    {node_id(name)}(["{_label(name, state)}"])'
    left, right = SHAPES.get(kind, ("(", ")"))
    return f'    {node_id(name)}{left}"{_label(name, state)}"{right}'


def _edges(name: str, state: dict[str, Any]) -> list[str]:
    source, lines = node_id(name), []
    for target in [
        state.get("Next"),
        *(c.get("Next") for c in state.get("Choices", [])),
        state.get("Default"),
    ]:
        if target:
            lines.append(f"    {source} --> {node_id(target)}")
    lines += [f"    {source} -.-> {node_id(c['Next'])}" for c in state.get("Catch", [])]
    return list(dict.fromkeys(lines))


def _scope(states: dict[str, Any], lines: list[str]) -> None:
    for name, state in states.items():
        lines.append(_node(name, state))
        inner = [b["States"] for b in state.get("Branches", [])]
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            inner.append(processor["States"])
        for index, branch in enumerate(inner):
            lines.append(f'    subgraph {node_id(name)}_{index}["{name} ({index + 1})"]')
            _scope(branch, lines)
            lines.append("    end")
            first = next(iter(branch))
            lines.append(f"    {node_id(name)} ==> {node_id(first)}")
        lines += _edges(name, state)


def definitions() -> dict[str, dict[str, Any]]:
    """Every state machine definition by its name: the workflow, its phases, the partition check."""
    paths = [DEFINITION, *PHASES, PARTITION_CHECK]
    return {path.name.removesuffix(".asl.json"): json.loads(path.read_text()) for path in paths}


def graphs(found: dict[str, dict[str, Any]] | None = None) -> dict[str, dict[str, Any]]:
    """Each graph the console draws as one picture, keyed by its state machine's name: the top level with
    everything nested in it (the console draws Parallel branches and Map processors inline, so their
    states count in that graph); a child state machine is a graph of its own."""
    return {name: definition["States"] for name, definition in (found or definitions()).items()}


def graph_size(states: dict[str, Any]) -> dict[str, int]:
    """How many states a graph shows (nested ones included) and how many of them are Pass states."""
    kinds = [state["Type"] for _, state in _named_states(states)]
    return {"states": len(kinds), "top": len(states), "pass": kinds.count("Pass")}


def _catcher(rule: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in rule.items() if key != "Next"}


def _matches_catch(catch: list[dict[str, Any]], policy: dict[str, Any]) -> bool:
    rules, allowed = policy["Catch"], policy.get("ResultPath")
    if len(catch) != len(rules):
        return False
    for used, rule in zip(map(_catcher, catch), rules, strict=True):
        expected = dict(rule)
        if allowed is not None:
            if used.get("ResultPath") not in allowed:
                return False
            expected["ResultPath"] = used["ResultPath"]
        if used != expected:
            return False
    return True


def policy_of(state: dict[str, Any], policies: dict[str, Any]) -> dict[str, str | None]:
    """The names of the Retry and Catch policies a state uses (None where it has none); ``"?"`` for a
    Retry or Catch that is none of the named policies."""
    found: dict[str, str | None] = {"Retry": None, "Catch": None}
    if "Retry" in state:
        found["Retry"] = next((n for n, p in policies["Retry"].items() if p["Retry"] == state["Retry"]), "?")
    if "Catch" in state:
        found["Catch"] = next(
            (n for n, p in policies["Catch"].items() if _matches_catch(state["Catch"], p)), "?"
        )
    return found


def with_policies(found: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The definitions whose Retry and Catch come from the named policies: the workflow and its phases."""
    return [
        definition
        for name, definition in found.items()
        if name != PARTITION_CHECK.name.removesuffix(".asl.json")
    ]


def policy_problems(definition: dict[str, Any] | list[dict[str, Any]], policies: dict[str, Any]) -> list[str]:
    """Every Retry or Catch that is not a named policy, and every named policy no state uses (in
    ``definition``, or in all of a list of definitions)."""
    problems, used = [], set()
    every = definition if isinstance(definition, list) else [definition]
    for name, state in (pair for one in every for pair in _named_states(one["States"])):
        for kind, policy in policy_of(state, policies).items():
            if policy == "?":
                problems.append(f"{name}: its {kind} is none of the named policies in {POLICIES.name}")
            elif policy:
                used.add((kind, policy))
    problems += [
        f"{kind} policy {name} is used by no state"
        for kind in ("Retry", "Catch")
        for name in policies[kind]
        if (kind, name) not in used
    ]
    return problems


def _policy_table(every: list[dict[str, Any]], policies: dict[str, Any]) -> list[str]:
    users: dict[tuple[str, str], list[str]] = {}
    for name, state in (pair for one in every for pair in _named_states(one["States"])):
        for kind, policy in policy_of(state, policies).items():
            if policy:
                users.setdefault((kind, policy), []).append(name)
    lines = ["| kind | policy | the failure it handles | states |", "|---|---|---|---|"]
    for kind in ("Retry", "Catch"):
        for name, policy in policies[kind].items():
            states = ", ".join(users.get((kind, name), []))
            lines.append(f"| {kind} | `{name}` | {policy['kind']} | {states} |")
    return lines


def _size_table(found: dict[str, dict[str, Any]]) -> list[str]:
    lines = ["| graph | states | on its top level | Pass states |", "|---|---|---|---|"]
    sizes = {title: graph_size(states) for title, states in graphs(found).items()}
    for title, size in sizes.items():
        lines.append(f"| {title} | {size['states']} | {size['top']} | {size['pass']} |")
    total, passes = sum(s["states"] for s in sizes.values()), sum(s["pass"] for s in sizes.values())
    lines.append(f"| all | {total} | | {passes} ({passes / total:.0%}) |")
    return lines


def _flowchart(definition: dict[str, Any]) -> list[str]:
    lines = ["flowchart TD", f"    start((start)) --> {node_id(definition['StartAt'])}"]
    _scope(definition["States"], lines)
    return ["```mermaid", *lines, "```"]


def render(found: dict[str, dict[str, Any]] | None = None, policies: dict[str, Any] | None = None) -> str:
    """The Markdown document: a short legend and the flowchart of each state machine, their size and the
    retraining machines' Retry/Catch policies."""
    found = found if found is not None else definitions()
    policies = policies if policies is not None else json.loads(POLICIES.read_text())
    retrain = found[DEFINITION.name.removesuffix(".asl.json")]
    count = sum(1 for _ in _all_states(retrain["States"]))
    lines = [
        "# The retraining state machine",
        "",
        "Generated from `statemachine/*.asl.json` by `python scripts/state_diagram.py`; a test "
        f"fails when it is out of date. The workflow has {count} states, and starts each long phase as a "
        "child state machine of its own (`startExecution.sync:2`: a Task that waits for the child's end; "
        "the child's page in the console shows its steps). Solid arrows: the normal flow; dotted arrows: "
        "Catch paths (every failure ends in Notify failure, then the lock is released; a child's failure "
        "is read from its execution first); double arrows enter a Parallel branch or the Map state's "
        "processor (one run per candidate). Loop counters and the plans a Choice picks (storage, network, "
        "capacity, traffic) are workflow variables set by `Assign` on a state or a Choice rule, and read as "
        "`$name`.",
        "",
        *_flowchart(retrain),
        "",
    ]
    for path, (title, text) in PHASES.items():
        name = path.name.removesuffix(".asl.json")
        lines += [f"## {title} (`{name}`)", "", f"Generated from `statemachine/{path.name}`. {text}", ""]
        lines += [*_flowchart(found[name]), ""]
    partition_name = PARTITION_CHECK.name.removesuffix(".asl.json")
    if partition_name in found:
        lines += [
            "## The partition check (Distributed Map)",
            "",
            "Generated from `statemachine/check-partition.asl.json`. DetectDrift starts it for a partition of "
            "more than one part or more than `single_check_max_bytes`, and for a CSV of more than that (one "
            "item per byte range, cut at line ends: [input-formats.md](input-formats.md#a-large-csv-in-byte-ranges)): "
            "one child execution per part or range (double "
            "arrow: the Distributed Map's item processor, at most `partition_check_max_concurrency` at once), "
            "then one reduce step that decides as DetectDrift does for one object. Dotted arrows: Catch "
            "paths (the batch is quarantined naming the failed part, and people are notified).",
            "",
            *_flowchart(found[partition_name]),
            "",
        ]
    lines += [
        "## Size",
        "",
        "States per graph as the console draws it: a graph counts every state nested in it (Parallel "
        "branches and Map processors are drawn inline); a child state machine is a graph of its own.",
        "",
        *_size_table(found),
        "",
        "## Retry and Catch policies",
        "",
        "Every Retry and Catch of the retraining workflow and its phases is one of these, named in "
        "`statemachine/policies.json` (one per kind of failure); a static test fails on any other shape. A "
        "`tolerated` Catch keeps the error at one of its listed paths and goes on.",
        "",
        *_policy_table(with_policies(found), policies),
        "",
    ]
    return "\n".join(lines)


def _named_states(states: dict[str, Any]):
    for name, state in states.items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from _named_states(branch["States"])
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from _named_states(processor["States"])


def _all_states(states: dict[str, Any]):
    for state in states.values():
        yield state
        for branch in state.get("Branches", []):
            yield from _all_states(branch["States"])
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from _all_states(processor["States"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail when the committed diagram is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUTPUT.exists() or OUTPUT.read_text() != text:
            print(
                f"{OUTPUT.relative_to(ROOT)} is out of date: run python scripts/state_diagram.py",
                file=sys.stderr,
            )
            return 1
        return 0
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
