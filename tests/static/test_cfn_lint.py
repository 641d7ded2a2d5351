"""cfn-lint on template.yaml (with the SAM transform): no errors, no warnings.

Warnings that cannot be fixed are silenced in the template with ``Metadata: cfn-lint: config: ignore_checks``
next to a comment that explains why; this test then stays strict.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import TEMPLATE


@pytest.fixture(scope="module")
def matches() -> list[Any]:
    """One cfn-lint run with the informational checks on top of the default errors and warnings (the
    include adds rules, it changes none)."""
    from cfnlint.api import ManualArgs, lint_file  # heavy: imported only where a test runs it

    return list(lint_file(TEMPLATE, config=ManualArgs(regions=["us-east-1"], include_checks=["I"])))


def test_template_has_no_cfn_lint_errors_or_warnings(matches):
    problems = [
        f"{m.rule.id} line {m.linenumber}: {m.message}"
        for m in matches
        if m.rule.severity in ("error", "warning")
    ]
    assert problems == []


def test_template_informational_findings_are_addressed(matches):
    assert [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches] == []


def test_template_uses_the_sam_transform():
    text = TEMPLATE.read_text()
    assert "Transform: AWS::Serverless-2016-10-31" in text
