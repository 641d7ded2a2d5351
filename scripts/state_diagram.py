"""Draw the state machines (retraining, partition check) as Mermaid flowcharts, from the definitions,
with their size (states per graph, Pass share) and the named Retry/Catch policy each state uses.

    python scripts/state_diagram.py            # rewrite docs/state-machine.md
    python scripts/state_diagram.py --check    # exit 1 when docs/state-machine.md is out of date

A test runs ``--check``, so the pictures can never drift from ``statemachine/*.asl.json``.
Solid arrows are the normal flow, dotted arrows the Catch paths; Parallel branches and the Map
state's item processor are drawn as subgraphs. Every Retry and Catch is one of the named policies of
``statemachine/policies.json`` (one per kind of failure); ``policy_problems`` lists any that is not.
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


def graphs(
    definition: dict[str, Any], partition_check: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """Each graph the console draws as one picture, keyed by its state machine's name: the top level with
    everything nested in it (the console draws Parallel branches and Map processors inline)."""
    found = {DEFINITION.name.removesuffix(".asl.json"): definition["States"]}
    if partition_check is not None:
        found[PARTITION_CHECK.name.removesuffix(".asl.json")] = partition_check["States"]
    return found


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


def policy_problems(definition: dict[str, Any], policies: dict[str, Any]) -> list[str]:
    """Every Retry or Catch that is not a named policy, and every named policy no state uses."""
    problems, used = [], set()
    for name, state in _named_states(definition["States"]):
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


def _policy_table(definition: dict[str, Any], policies: dict[str, Any]) -> list[str]:
    users: dict[tuple[str, str], list[str]] = {}
    for name, state in _named_states(definition["States"]):
        for kind, policy in policy_of(state, policies).items():
            if policy:
                users.setdefault((kind, policy), []).append(name)
    lines = ["| kind | policy | the failure it handles | states |", "|---|---|---|---|"]
    for kind in ("Retry", "Catch"):
        for name, policy in policies[kind].items():
            states = ", ".join(users.get((kind, name), []))
            lines.append(f"| {kind} | `{name}` | {policy['kind']} | {states} |")
    return lines


def _size_table(definition: dict[str, Any], partition_check: dict[str, Any] | None) -> list[str]:
    lines = ["| graph | states | on its top level | Pass states |", "|---|---|---|---|"]
    for title, states in graphs(definition, partition_check).items():
        size = graph_size(states)
        lines.append(f"| {title} | {size['states']} | {size['top']} | {size['pass']} |")
    return lines


def _flowchart(definition: dict[str, Any]) -> list[str]:
    lines = ["flowchart TD", f"    start((start)) --> {node_id(definition['StartAt'])}"]
    _scope(definition["States"], lines)
    return ["```mermaid", *lines, "```"]


def render(
    definition: dict[str, Any],
    partition_check: dict[str, Any] | None = None,
    policies: dict[str, Any] | None = None,
) -> str:
    """The Markdown document: a short legend and the flowchart of each state machine, their size and the
    retraining machine's Retry/Catch policies."""
    policies = policies if policies is not None else json.loads(POLICIES.read_text())
    count = sum(1 for _ in _all_states(definition["States"]))
    lines = [
        "# The retraining state machine",
        "",
        "Generated from `statemachine/retrain.asl.json` by `python scripts/state_diagram.py`; a test "
        f"fails when it is out of date. {count} states. Solid arrows: the normal flow; dotted arrows: "
        "Catch paths (every failure ends in Notify failure, then the lock is released); double arrows "
        "enter a Parallel branch or the Map state's processor (one run per candidate). Loop counters and "
        "the plans a Choice picks (storage, network, capacity, traffic) are workflow variables set by "
        "`Assign` on a state or a Choice rule, and read as `$name`.",
        "",
        *_flowchart(definition),
        "",
    ]
    if partition_check is not None:
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
            *_flowchart(partition_check),
            "",
        ]
    lines += [
        "## Size",
        "",
        *_size_table(definition, partition_check),
        "",
        "## Retry and Catch policies",
        "",
        "Every Retry and Catch of the retraining state machine is one of these, named in "
        "`statemachine/policies.json` (one per kind of failure); a static test fails on any other shape. A "
        "`tolerated` Catch keeps the error at one of its listed paths and goes on.",
        "",
        *_policy_table(definition, policies),
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
    text = render(json.loads(DEFINITION.read_text()), json.loads(PARTITION_CHECK.read_text()))
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
