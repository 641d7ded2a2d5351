"""ASL linting of the definition after substitution: asl-validator and @wmfs/statelint (npm, pinned in
tools/asl-lint/package-lock.json, installed by ``make setup``; offline afterwards)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ASL_LINT_DIR, PLACEHOLDER

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(
    NODE is None, reason="node is not installed: the ASL linters run on node (CI has it)"
)


def _linter(relative: str) -> Path:
    path = ASL_LINT_DIR / "node_modules" / relative
    if not path.exists():
        pytest.fail(f"{path} is missing: run `npm ci --prefix tools/asl-lint` (make setup does it)")
    return path


@pytest.fixture()
def definition_file(tmp_path: Path, substituted_definition: str) -> Path:
    assert PLACEHOLDER.search(substituted_definition) is None
    path = tmp_path / "retrain.asl.json"
    path.write_text(json.dumps(json.loads(substituted_definition), indent=2))
    return path


def _run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NODE, *map(str, args)], capture_output=True, text=True, timeout=120, check=False)


def test_asl_validator_accepts_the_definition(definition_file: Path):
    result = _run(_linter("asl-validator/dist/bin/asl-validator.js"), "--json-path", definition_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is valid" in result.stdout


#: Fields of today's ASL that @wmfs/statelint predates; asl-validator checks them. MaxConcurrencyPath
#: (2024) reads the Map state's concurrency from the input: the Map state's own limit is a deployment
#: setting (candidate_concurrency) without breaking the file's JSON before substitution. Assign (2024)
#: sets workflow variables, which statelint reads as a JSONPath of the same name (``$plan.x`` as
#: ``$.plan.x``).
NEWER_THAN_STATELINT = ("MaxConcurrencyPath", "Assign")
_VARIABLE = re.compile(r"(?<![$\w.])\$(?=[A-Za-z_])")


def _without_newer_fields(node: object, key: str = "") -> object:
    if isinstance(node, dict):
        return {k: _without_newer_fields(v, k) for k, v in node.items() if k not in NEWER_THAN_STATELINT}
    if isinstance(node, list):
        return [_without_newer_fields(v, key) for v in node]
    if isinstance(node, str) and (key.endswith(".$") or key == "Variable"):
        return _VARIABLE.sub("$.", node)
    return node


def test_statelint_accepts_the_definition(definition_file: Path, tmp_path: Path):
    older = tmp_path / "statelint.asl.json"
    older.write_text(json.dumps(_without_newer_fields(json.loads(definition_file.read_text()))))
    result = _run(_linter("@wmfs/statelint/bin/statelint.js"), older)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_the_linters_do_reject_a_broken_definition(tmp_path: Path, substituted_definition: str):
    broken = json.loads(substituted_definition)
    broken["States"]["Load settings"]["Next"] = "No such state"
    path = tmp_path / "broken.asl.json"
    path.write_text(json.dumps(broken))
    assert _run(_linter("asl-validator/dist/bin/asl-validator.js"), "--json-path", path).returncode != 0
    assert _run(_linter("@wmfs/statelint/bin/statelint.js"), path).returncode != 0
