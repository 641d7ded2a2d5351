"""The layer holds only what the Lambdas import: it never imports the tools (CLI, demos, local cloud),
which are never deployed, nor the development-only libraries."""

from __future__ import annotations

import ast
from pathlib import Path

from support.paths import ROOT

LAYER = ROOT / "layers" / "drift_core" / "drift_retrain"
FUNCTIONS = ROOT / "functions"
#: Top-level packages a deployed module must never import (tools, local cloud, development-only).
FORBIDDEN = {"drift_retrain_local", "moto", "xgboost", "pytest", "river", "matplotlib"}


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "import_module" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                names.add(first.value.split(".")[0])
    return names


def _deployed_modules() -> list[Path]:
    return sorted(LAYER.rglob("*.py")) + sorted(FUNCTIONS.rglob("*.py"))


def test_deployed_code_never_imports_the_tools():
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported(path) & FORBIDDEN) for path in _deployed_modules()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_check_finds_a_planted_import(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text(
        "import importlib\nfrom drift_retrain_local.cli.main import main\nimportlib.import_module('moto.core')\n"
    )
    assert _imported(planted) & FORBIDDEN == {"drift_retrain_local", "moto"}


def test_the_cli_and_demos_live_with_the_tools():
    assert not (LAYER / "cli.py").exists() and not (LAYER / "demo.py").exists()
    assert not (LAYER / "demo_data.py").exists()
    assert (ROOT / "local_cloud" / "drift_retrain_local" / "cli" / "main.py").exists()
