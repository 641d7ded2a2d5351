"""The layer's modules import each other without a cycle, and each workflow step stays in its package; the
tools' modules likewise, each package of them importing only those below it.

The graph is read with ``ast``, never by importing: one node per module of ``drift_retrain``, one edge per
import of another module of the layer, wherever it is written. An import inside a function or under
``TYPE_CHECKING`` counts like any other: deferring an import hides a cycle, it does not remove it.
``from package import name`` points at the submodule when ``name`` is one, else at the package.
"""

from __future__ import annotations

import ast
from collections import deque
from pathlib import Path

from support.paths import ROOT

LAYER = ROOT / "layers" / "drift_core"
PACKAGE = "drift_retrain"
WORKFLOW = f"{PACKAGE}.workflow"
#: The workflow's packages, one per Lambda step, and what several of them use.
STEPS = ("prepare_training_data", "evaluate_candidate", "promote_model", "notify", "ab_test")
SHARED = "shared"
TOOLS = ROOT / "local_cloud"
TOOLS_PACKAGE = "drift_retrain_local"
#: The tools' packages, each importing only those before it; ``sagemaker`` and ``seams`` (moto's internals,
#: patched) belong to the local cloud and may import it, and every package may import ``exceptions``.
TOOLS_LAYERS = ("stack", "cloud", "run", "demos", "cli")
TOOLS_CLOUD_PARTS = ("sagemaker", "seams")


def _modules(root: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` under ``root`` by dotted name (a package by its own name)."""
    modules = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _imported_names(path: Path, module: str, is_package: bool) -> set[str]:
    """The dotted names ``module`` imports (``from a import b`` gives ``a.b``), relative ones resolved."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                here = module.split(".") if is_package else module.split(".")[:-1]
                anchor = here[: len(here) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            names |= {base if alias.name == "*" else f"{base}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value)
    return names


def import_graph(root: Path = LAYER, package: str = PACKAGE) -> dict[str, set[str]]:
    """Module -> the other modules of ``package`` it imports."""
    modules = _modules(root, package)
    packages = {name for name, path in modules.items() if path.name == "__init__.py"}
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        names = _imported_names(path, module, module in packages)
        # ``from a import b`` gave ``a.b``: the submodule when there is one, else the package or module a
        targets = {name if name in modules else name.rpartition(".")[0] for name in names}
        graph[module] = (targets & modules.keys()) - {module}
    return graph


def _components(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def _shortest_cycle(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """One cycle through the component's first module, as short as any: ``[a, b, ..., a]``."""
    start = min(component)
    parents: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for child in sorted(graph[node] & component):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(parents[path[-1]])
                return [*reversed(path), start]
            if child not in parents:
                parents[child] = node
                queue.append(child)
    raise AssertionError(f"no cycle through {start}")  # pragma: no cover - a component always has one


def import_cycles(graph: dict[str, set[str]]) -> list[str]:
    """Each cycle as ``a -> b -> a``, one per tangle of modules, with the tangle's other modules if any."""
    cycles = []
    for component in _components(graph):
        cycle = _shortest_cycle(graph, component)
        others = sorted(component - set(cycle))
        cycles.append(" -> ".join(cycle) + (f" (tangled with {', '.join(others)})" if others else ""))
    return sorted(cycles)


def test_the_layer_has_no_import_cycle():
    graph = import_graph()
    assert len(graph) > 100 and f"{WORKFLOW}.{SHARED}.exceptions" in graph  # the whole layer was read
    assert import_cycles(graph) == []


def test_a_workflow_step_imports_no_other_step():
    """What two steps need lives in ``shared``; ``shared`` and the rest of the layer import no step."""
    graph = import_graph()
    step_of = {
        module: module.split(".")[2]
        for module in graph
        if module.startswith(f"{WORKFLOW}.") and module.split(".")[2] in STEPS
    }
    crossings = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        for target in targets
        if target in step_of and step_of.get(module) != step_of[target]
    )
    assert crossings == []
    assert set(STEPS) | {SHARED} == {
        path.name for path in (LAYER / PACKAGE / "workflow").iterdir() if (path / "__init__.py").exists()
    }


def test_the_tools_have_no_import_cycle():
    graph = import_graph(TOOLS, TOOLS_PACKAGE)
    assert len(graph) > 60 and f"{TOOLS_PACKAGE}.cloud.lambdas" in graph  # the whole package was read
    assert import_cycles(graph) == []


def test_each_package_of_the_tools_imports_only_those_below_it():
    """``stack`` < ``cloud`` (with ``sagemaker`` and ``seams``) < ``run`` < ``demos`` < ``cli``; no module
    but ``exceptions`` outside them."""
    graph = import_graph(TOOLS, TOOLS_PACKAGE)
    rank = {name: index for index, name in enumerate(TOOLS_LAYERS)}
    rank.update({name: rank["cloud"] for name in TOOLS_CLOUD_PARTS})
    rank["exceptions"] = -1

    def package(module: str) -> str:
        return module.split(".")[1]

    upward = sorted(
        f"{module} -> {target}"
        for module, targets in graph.items()
        if module != TOOLS_PACKAGE
        for target in targets
        if rank[package(target)] > rank[package(module)]
    )
    assert upward == []
    assert {path.name for path in (TOOLS / TOOLS_PACKAGE).iterdir() if path.suffix == ".py"} == {
        "__init__.py",
        "exceptions.py",
    }
    assert set(rank) - {"exceptions"} == {
        path.name for path in (TOOLS / TOOLS_PACKAGE).iterdir() if (path / "__init__.py").exists()
    }


def _plant(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_check_finds_a_planted_cycle(tmp_path):
    _plant(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg.b import thing\n",
            "pkg/b.py": "def f():\n    from pkg import c\n",  # deferred: still an edge
            "pkg/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .a import x\n",
            "pkg/d.py": "import pkg.a\nfrom pkg import VALUE\n",  # into the tangle, not part of it
            "pkg/sub/__init__.py": "from ..sub import e\n",
            "pkg/sub/e.py": "from . import f\n",
            "pkg/sub/f.py": "import importlib\nimportlib.import_module('pkg.sub.e')\n",
        },
    )
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg.d"] == {"pkg.a", "pkg"}
    assert graph["pkg.sub"] == {"pkg.sub.e"}
    assert import_cycles(graph) == ["pkg.a -> pkg.b -> pkg.c -> pkg.a", "pkg.sub.e -> pkg.sub.f -> pkg.sub.e"]


def test_the_check_passes_a_tree(tmp_path):
    _plant(
        tmp_path,
        {"pkg/__init__.py": "from pkg.a import x\n", "pkg/a.py": "from pkg.b import y\n", "pkg/b.py": ""},
    )
    assert import_cycles(import_graph(tmp_path, "pkg")) == []
