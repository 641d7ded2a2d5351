"""Event logging follows ``POWERTOOLS_LOGGER_LOG_EVENT`` (off unless set): no handler decides it in code,
and the template does not turn it on. An event can carry a failure's cause, which may quote cells."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from support.paths import ROOT

HANDLERS = sorted((ROOT / "functions").glob("*/app.py"))


def _inject_calls(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "inject_lambda_context"
    ]


@pytest.mark.parametrize("handler", HANDLERS, ids=lambda p: p.parent.name)
def test_no_handler_sets_log_event(handler):
    calls = _inject_calls(handler)
    assert calls, f"{handler} does not inject the Lambda context"
    assert all(k.arg != "log_event" for call in calls for k in call.keywords)


def test_the_template_leaves_event_logging_off(template):
    for name, resource in template["Resources"].items():
        variables = (resource.get("Properties", {}).get("Environment") or {}).get("Variables") or {}
        assert str(variables.get("POWERTOOLS_LOGGER_LOG_EVENT", "false")).lower() == "false", name
    globals_ = (template.get("Globals", {}).get("Function", {}).get("Environment") or {}).get(
        "Variables"
    ) or {}
    assert str(globals_.get("POWERTOOLS_LOGGER_LOG_EVENT", "false")).lower() == "false"


def test_the_state_machine_logs_no_execution_data(state_machine):
    assert state_machine["Logging"]["IncludeExecutionData"] is False
