"""The repository's files, found from this file so that tests pass from any working directory."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
EVENTS = ROOT / "events"
FUNCTIONS = ROOT / "functions"
SCRIPTS = ROOT / "scripts"
TEMPLATE = ROOT / "template.yaml"
DEFINITION = ROOT / "statemachine" / "retrain.asl.json"
LAYER = ROOT / "layers" / "drift_core"
TEST_FIXTURES = ROOT / "tests" / "fixtures"


def load_script(name: str) -> ModuleType:
    """Import ``scripts/<name>.py`` (the scripts folder is not a package)."""
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
