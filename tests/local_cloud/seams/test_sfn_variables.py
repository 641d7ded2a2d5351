"""Workflow variables in JSONPath states on the embedded cloud, as AWS documents them ("Passing data
between states with variables"): ``Assign`` on Pass, Task, Wait and Choice (state and rule), ``$name`` and
``$name.path`` reads in Parameters, intrinsic functions and Choice rules, ``States.Runtime`` for a variable
that does not exist; and the hooks fail loudly if the pinned moto moves."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from support.executions import run_definition

from drift_retrain_local.cloud.local_cloud import LocalCloud
from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.seams import sfn_variables


def _assigned(cloud: LocalCloud, described: dict[str, Any]) -> list[tuple[str, dict[str, str] | None]]:
    events = cloud.client("stepfunctions").get_execution_history(executionArn=described["executionArn"])
    return [
        (e["stateExitedEventDetails"]["name"], e["stateExitedEventDetails"].get("assignedVariables"))
        for e in events["events"]
        if "stateExitedEventDetails" in e
    ]


def test_assigned_variables_are_read_in_parameters_intrinsics_and_choices(cloud: LocalCloud) -> None:
    definition = {
        "StartAt": "Start",
        "States": {
            "Start": {
                "Type": "Pass",
                "Result": {"plan": {"key": "k-1"}},
                "ResultPath": "$.ignored",
                "Assign": {"checks": 0, "plan.$": "$.plan"},
                "Next": "Is the key set",
            },
            "Is the key set": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Variable": "$plan.key",
                        "IsPresent": True,
                        "Assign": {"route": "keyed", "limit.$": "$.limit"},
                        "Next": "Count check",
                    }
                ],
                "Default": "Count check",
                "Assign": {"route": "plain"},
            },
            "Count check": {
                "Type": "Wait",
                "Seconds": 0,
                "Assign": {"checks.$": "States.MathAdd($checks, 1)"},
                "Next": "Enough checks",
            },
            "Enough checks": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$checks", "NumericGreaterThanEqualsPath": "$.limit", "Next": "Report"}
                ],
                "Default": "Count check",
            },
            "Report": {
                "Type": "Pass",
                "Parameters": {
                    "checks.$": "$checks",
                    "route.$": "$route",
                    "key.$": "$plan.key",
                    "text.$": "States.Format('{} after {} checks', $plan.key, $checks)",
                },
                "End": True,
            },
        },
    }
    described = run_definition(cloud, "sfn-variables", definition, {"limit": 3})
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {
        "checks": 3,
        "route": "keyed",
        "key": "k-1",
        "text": "k-1 after 3 checks",
    }
    assigned = _assigned(cloud, described)
    assert assigned[0] == ("Start", {"checks": "0", "plan": '{"key":"k-1"}'})
    assert assigned[1] == ("Is the key set", {"route": '"keyed"', "limit": "3"})
    assert [a for name, a in assigned if name == "Count check"] == [{"checks": str(n)} for n in (1, 2, 3)]


def test_a_choice_default_assigns_the_state_level_variables(cloud: LocalCloud) -> None:
    """Only when no rule matches, also when a rule's Next is the Default state."""
    definition = {
        "StartAt": "Which",
        "States": {
            "Which": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.flag", "BooleanEquals": True, "Assign": {"x": "rule"}, "Next": "A"}
                ],
                "Default": "A",
                "Assign": {"x": "default"},
            },
            "A": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "End": True},
        },
    }
    assert json.loads(run_definition(cloud, "sfn-variables-rule", definition, {"flag": True})["output"]) == {
        "x": "rule"
    }
    assert json.loads(
        run_definition(cloud, "sfn-variables-default", definition, {"flag": False})["output"]
    ) == {"x": "default"}


def test_a_variable_that_does_not_exist_fails_the_state_with_states_runtime(cloud: LocalCloud) -> None:
    definition = {
        "StartAt": "Read",
        "States": {"Read": {"Type": "Pass", "Parameters": {"x.$": "$nowhere"}, "End": True}},
    }
    described = run_definition(cloud, "sfn-variables-missing", definition)
    assert described["status"] == "FAILED"
    assert described["error"] == "States.Runtime"
    assert "The variable '$nowhere' is not defined" in described["cause"]


def test_read_follows_a_json_path_into_the_value() -> None:
    store = importlib.import_module("moto.stepfunctions.parser.asl.eval.variable_store").VariableStore()
    store.set(variable_identifier="plan", variable_value={"jobs": [{"name": "a"}, {"name": "b"}]})
    assert sfn_variables.read(store, "$plan.jobs[1]") == {"name": "b"}
    assert sfn_variables.read(store, "$plan") == {"jobs": [{"name": "a"}, {"name": "b"}]}
    with pytest.raises(LookupError, match="could not be found"):
        sfn_variables.read(store, "$plan.other")
    with pytest.raises(LookupError, match="not defined"):
        sfn_variables.read(store, "$other")


def test_every_hooked_moto_symbol_is_where_moto_5_2_5_has_it() -> None:
    sfn_variables.check()


def test_check_fails_loudly_when_moto_moves_a_hooked_symbol(monkeypatch: pytest.MonkeyPatch) -> None:
    rule = importlib.import_module(
        "moto.stepfunctions.parser.asl.component.state.choice.choice_rule"
    ).ChoiceRule
    monkeypatch.delattr(rule, "_eval_body")
    with pytest.raises(MotoHookMovedError, match="ChoiceRule"):
        sfn_variables.check()


def test_install_then_uninstall_restores_moto_exactly() -> None:
    asl = "moto.stepfunctions.parser.asl"
    sample = importlib.import_module(f"{asl}.component.common.string.string_expression").StringVariableSample
    preprocessor = importlib.import_module(f"{asl}.parse.preprocessor").Preprocessor
    rule = importlib.import_module(f"{asl}.component.state.choice.choice_rule").ChoiceRule
    choice = importlib.import_module(f"{asl}.component.state.choice.state_choice").StateChoice
    was_installed = sample.__dict__["_eval_body"] is sfn_variables._eval_body
    sfn_variables.uninstall()
    before = (
        sample.__dict__["_eval_body"],
        preprocessor.__dict__["visitChoice_rule_comparison_variable"],
        rule.__dict__["_eval_body"],
        choice.__dict__["_eval_state_output"],
    )
    sfn_variables.install()
    sfn_variables.install()  # idempotent
    assert sample.__dict__["_eval_body"] is sfn_variables._eval_body
    sfn_variables.uninstall()
    after = (
        sample.__dict__["_eval_body"],
        preprocessor.__dict__["visitChoice_rule_comparison_variable"],
        rule.__dict__["_eval_body"],
        choice.__dict__["_eval_state_output"],
    )
    assert after == before
    if was_installed:
        sfn_variables.install()
