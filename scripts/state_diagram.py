"""Draw the state machines (retraining, partition check) as Mermaid flowcharts, from the definitions.

    python scripts/state_diagram.py            # rewrite docs/state-machine.md
    python scripts/state_diagram.py --check    # exit 1 when docs/state-machine.md is out of date

A test runs ``--check``, so the pictures can never drift from ``statemachine/*.asl.json``.
Solid arrows are the normal flow, dotted arrows the Catch paths; Parallel branches and the Map
state's item processor are drawn as subgraphs.
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


def _flowchart(definition: dict[str, Any]) -> list[str]:
    lines = ["flowchart TD", f"    start((start)) --> {node_id(definition['StartAt'])}"]
    _scope(definition["States"], lines)
    return ["```mermaid", *lines, "```"]


def render(definition: dict[str, Any], partition_check: dict[str, Any] | None = None) -> str:
    """The Markdown document: a short legend and the flowchart of each state machine."""
    count = sum(1 for _ in _all_states(definition["States"]))
    lines = [
        "# The retraining state machine",
        "",
        "Generated from `statemachine/retrain.asl.json` by `python scripts/state_diagram.py`; a test "
        f"fails when it is out of date. {count} states. Solid arrows: the normal flow; dotted arrows: "
        "Catch paths (every failure ends in Notify failure, then the lock is released); double arrows "
        "enter a Parallel branch or the Map state's processor (one run per candidate).",
        "",
        *_flowchart(definition),
        "",
    ]
    if partition_check is not None:
        lines += [
            "## The partition check (Distributed Map)",
            "",
            "Generated from `statemachine/check-partition.asl.json`. DetectDrift starts it for a partition of "
            "more than one part or more than `SingleCheckMaxBytes`: one child execution per part (double "
            "arrow: the Distributed Map's item processor, at most `PartitionCheckMaxConcurrency` at once), "
            "then one reduce step that decides as DetectDrift does for one object. Dotted arrows: Catch "
            "paths (the batch is quarantined naming the failed part, and people are notified).",
            "",
            *_flowchart(partition_check),
            "",
        ]
    return "\n".join(lines)


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
