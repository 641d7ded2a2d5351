"""`make scan`: checkov on template.yaml and on the SAM-transformed template; fails on any finding that is
neither fixed nor skipped with a reason.

A skip lives in the resource's ``Metadata: checkov: skip: [{id, comment}]``; SAM passes a function's
Metadata on to the resources it generates, so one skip covers both scans. Runs in the checkov venv
(tools/checkov/requirements.txt).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from sam_transform import main as transform

#: checkov's text when a skip gives no comment.
_NO_REASON = {"", "no comment provided"}


def checkov(path: Path) -> dict[str, Any]:
    """checkov's JSON results for one CloudFormation template."""
    command = [str(Path(sys.executable).with_name("checkov")), "-f", str(path)]
    command += ["--framework", "cloudformation", "--output", "json", "--skip-download"]
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"checkov gave no JSON for {path} (exit {run.returncode}):\n{run.stderr}") from None
    return report["results"]


def problems(results: dict[str, Any]) -> list[str]:
    """Failed checks, skips without a reason, and files checkov could not parse."""
    found = [f"FAILED {c['check_id']} {c['resource']}: {c['check_name']}" for c in results["failed_checks"]]
    for check in results["skipped_checks"]:
        reason = (check.get("check_result") or {}).get("suppress_comment") or ""
        if reason.strip().lower() in _NO_REASON:
            found.append(f"SKIPPED WITHOUT A REASON {check['check_id']} {check['resource']}")
    found += [f"NOT PARSED {path}" for path in results.get("parsing_errors", [])]
    return found


def summary(label: str, results: dict[str, Any]) -> str:
    counts = {key: len(results[f"{key}_checks"]) for key in ("passed", "failed", "skipped")}
    return (
        f"checkov, {label}: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
    )


def scan(template: Path) -> int:
    """Scan both forms of the template; 1 when either has a problem."""
    found = []
    with tempfile.TemporaryDirectory() as work:
        transformed = Path(work) / "template.transformed.json"
        transform(str(template), str(transformed))
        for label, path in (("template", template), ("SAM-transformed template", transformed)):
            results = checkov(path)
            print(summary(label, results))
            found += problems(results)
    for line in found:
        print(f"  {line}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(scan(Path(sys.argv[1] if len(sys.argv) > 1 else "template.yaml")))
