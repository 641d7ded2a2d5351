"""Each state machine graph of ``docs/state-machine.md`` (generated from the definitions: the retraining
workflow, each phase it runs as a child state machine, the partition check) drawn by the pinned Mermaid
(``tools/mermaid``) in a real Chromium, as a person reading the page would see it: no error, one node per
state, and a picture of each graph in ``out/state-machine/<graph>.png`` for a person to look at."""

from __future__ import annotations

import re

import pytest
from support.paths import ROOT, load_script

MERMAID = ROOT / "tools" / "mermaid" / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
#: Pictures land here (gitignored) for a person to look at.
PICTURES = ROOT / "out" / "state-machine"
#: Mermaid refuses big diagrams by default (50,000 characters, 500 edges): a graph is drawn whole.
CONFIG = {"startOnLoad": False, "maxTextSize": 1_000_000, "maxEdges": 5_000, "securityLevel": "strict"}


def _script():
    return load_script("state_diagram")


def _mermaid_blocks() -> list[str]:
    """The Mermaid text of each graph of the committed page, in order."""
    text = (ROOT / "docs" / "state-machine.md").read_text()
    return re.findall(r"```mermaid\n(.*?)```", text, flags=re.DOTALL)


def test_every_graph_of_the_page_is_drawn_with_one_node_per_state(browser):
    if not MERMAID.exists():
        pytest.fail(f"{MERMAID} is missing: run `make setup-browser` (npm ci --prefix tools/mermaid)")
    script = _script()
    graphs = script.graphs()
    assert {"retrain", "train-and-score", "check-partition"} <= set(graphs)
    blocks = _mermaid_blocks()
    assert len(blocks) == len(graphs)
    PICTURES.mkdir(parents=True, exist_ok=True)
    # One page, Mermaid loaded once; each graph drawn alone in a fresh element, its errors its own.
    page = browser.new_page(viewport={"width": 1600, "height": 1000})
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.set_content('<html><body style="background:white"><div id="graphs"></div></body></html>')
    page.add_script_tag(path=str(MERMAID))
    page.evaluate("(config) => mermaid.initialize(config)", CONFIG)
    assert errors == [] and requests == [], ("loading Mermaid", errors, requests)
    for mermaid, (title, states) in zip(blocks, graphs.items(), strict=True):
        errors.clear()
        requests.clear()
        page.eval_on_selector(
            "#graphs",
            """(holder, text) => {
                holder.replaceChildren();
                const graph = document.createElement("pre");
                graph.className = "mermaid";
                graph.id = "graph";
                graph.textContent = text;
                holder.appendChild(graph);
            }""",
            mermaid,
        )
        page.evaluate("async () => { await mermaid.run({querySelector: '#graph'}); }")
        nodes = page.eval_on_selector_all("#graph svg g.node", "nodes => nodes.length")
        picture = PICTURES / f"{title}.png"
        page.locator("#graph svg").screenshot(path=str(picture))
        assert errors == [] and requests == [], (title, errors, requests)
        # One node per state, plus the start circle (nested graphs draw their states as nodes too).
        assert nodes == script.graph_size(states)["states"] + 1, title
        assert picture.stat().st_size > 10_000, picture
    page.close()
