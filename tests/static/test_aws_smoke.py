"""``make aws-smoke`` never deploys by accident: it refuses in CI and without credentials, and without
CONFIRM=yes it only prints its plan (the AWS and SAM CLIs are replaced by recorders here)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT

SCRIPT = ROOT / "scripts" / "aws_smoke.sh"


def _run(tmp_path: Path, *, sts_ok: bool, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    calls = tmp_path / "calls.txt"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for tool in ("aws", "sam"):
        ok = "exit 0" if (tool == "aws" and sts_ok) else ("exit 255" if tool == "aws" else "exit 0")
        script = f'#!/bin/sh\necho "{tool} $*" >> "{calls}"\n'
        script += 'case "$1" in sts) echo arn:aws:iam::123456789012:user/me;; esac\n' if sts_ok else ""
        (bin_dir / tool).write_text(script + ok + "\n")
        (bin_dir / tool).chmod(0o755)
    environ = {k: v for k, v in os.environ.items() if k not in {"CI", "CONFIRM"}}
    environ.update(PATH=f"{bin_dir}:{os.environ['PATH']}", **env)
    done = subprocess.run(
        ["bash", str(SCRIPT)], env=environ, capture_output=True, text=True, cwd=tmp_path, check=False
    )
    return done, calls.read_text().splitlines() if calls.exists() else []


def test_refuses_in_ci(tmp_path):
    done, calls = _run(tmp_path, sts_ok=True, CI="true", CONFIRM="yes")
    assert done.returncode == 2 and "refusing to run in CI" in done.stderr
    assert calls == []


def test_refuses_without_credentials(tmp_path):
    done, calls = _run(tmp_path, sts_ok=False, CONFIRM="yes")
    assert done.returncode == 2 and "no working AWS credentials" in done.stderr
    assert calls == ["aws sts get-caller-identity --query Arn --output text"]


@pytest.mark.parametrize("confirm", ["", "no"])
def test_without_confirm_it_only_prints_the_plan(tmp_path, confirm):
    done, calls = _run(tmp_path, sts_ok=True, CONFIRM=confirm)
    assert done.returncode == 0 and "dry run: nothing was deployed" in done.stdout
    assert "1. sam build && sam deploy" in done.stdout
    assert [c for c in calls if not c.startswith("aws sts")] == []
