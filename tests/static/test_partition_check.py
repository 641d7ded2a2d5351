"""The partition check's state machine (statemachine/check-partition.asl.json) against the template and
the code: its placeholders, its Lambdas, its role, the Distributed Map's settings, and the S3 layout its
ItemReader and ResultWriter share with DetectDrift and the reduce step."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from drift_retrain.detect.scale_out import check_input
from drift_retrain.layout import partition_check_keys, partition_results_prefix

from .conftest import ASL_LINT_DIR, PLACEHOLDER, ROOT, iter_states, resolve

DEFINITION = ROOT / "statemachine" / "check-partition.asl.json"


@pytest.fixture(scope="module")
def machine(template: dict[str, Any]) -> dict[str, Any]:
    resource = template["Resources"]["CheckPartitionStateMachine"]
    assert resource["Type"] == "AWS::Serverless::StateMachine"
    return resource["Properties"]


@pytest.fixture(scope="module")
def definition() -> dict[str, Any]:
    return json.loads(DEFINITION.read_text())


@pytest.fixture(scope="module")
def the_map(definition: dict[str, Any]) -> dict[str, Any]:
    return definition["States"]["Summarise each part"]


def _lambdas(definition: dict[str, Any]) -> set[str]:
    return {
        PLACEHOLDER.fullmatch(state["Parameters"]["FunctionName"]).group(1)
        for _, state in iter_states(definition["States"])
        if state.get("Resource") == "arn:aws:states:::lambda:invoke"
    }


def test_placeholders_and_substitutions_match(machine):
    used = set(PLACEHOLDER.findall(DEFINITION.read_text()))
    assert used == set(machine["DefinitionSubstitutions"])


def test_it_is_standard_and_logs_like_the_retrain_workflow(machine, template):
    assert machine["Type"] == "STANDARD"
    assert machine["Logging"]["IncludeExecutionData"] is False
    assert machine["Tracing"]["Enabled"] is True
    assert machine["Role"] == {"Fn::GetAtt": ["CheckPartitionStateMachineRole", "Arn"]}
    name = resolve(machine["Name"], template)
    detect_env = template["Resources"]["DetectDriftFunction"]["Properties"]["Environment"]["Variables"]
    assert resolve(detect_env["PARTITION_CHECK_STATE_MACHINE_ARN"], template).endswith(
        f":stateMachine:{name}"
    )


def test_the_map_is_distributed_drops_no_part_and_is_bounded_by_a_parameter(the_map, definition, machine):
    assert the_map["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    assert the_map["ToleratedFailurePercentage"] == 0 and "ToleratedFailureCount" not in the_map
    assert the_map["MaxConcurrencyPath"] == "$.config.max_concurrency"
    settings = definition["States"]["Load settings"]["Parameters"]
    assert settings["max_concurrency.$"] == "States.StringToJson('${PartitionCheckMaxConcurrency}')"
    assert machine["DefinitionSubstitutions"]["PartitionCheckMaxConcurrency"] == {
        "Fn::GetAtt": ["ValidatedSettings", "PartitionCheckMaxConcurrency"]
    }
    child = the_map["ItemProcessor"]["States"]["Summarise the part"]
    assert any("States.ALL" in retry["ErrorEquals"] for retry in child["Retry"])  # a failed child is retried
    assert [c["Next"] for c in the_map["Catch"]] == ["Which part failed?"]


def test_item_reader_and_result_writer_use_the_layout_the_code_uses(the_map):
    reader, writer = the_map["ItemReader"], the_map["ResultWriter"]
    assert reader["Resource"] == "arn:aws:states:::s3:getObject"
    assert reader["ReaderConfig"] == {"InputType": "JSON"}
    batch = type("Ref", (), {"bucket": "b", "key": "incoming/x/_SUCCESS", "pinned_version": "v", "etag": "e"})
    payload = check_input(batch, "x-1234abcd", [], None)
    assert payload["items"] == {"bucket": "b", "key": partition_check_keys("x-1234abcd")[0]}
    assert reader["Parameters"] == {"Bucket.$": "$.items.bucket", "Key.$": "$.items.key"}
    assert writer["Resource"] == "arn:aws:states:::s3:putObject"
    assert writer["Parameters"]["Bucket.$"] == "$$.Execution.Input.items.bucket"
    prefix = writer["Parameters"]["Prefix.$"]
    assert prefix == "States.Format('partition-checks/results/{}', $$.Execution.Name)"
    assert partition_results_prefix("NAME") == "partition-checks/results/NAME/"


def test_every_lambda_it_calls_exists_and_its_role_invokes_exactly_those(definition, machine, template):
    substitutions = machine["DefinitionSubstitutions"]
    called = {substitutions[name]["Fn::GetAtt"][0] for name in _lambdas(definition)}
    assert called == {"SummarisePartFunction", "CheckPartitionFunction"}
    for logical_id in called:
        code = ROOT / template["Resources"][logical_id]["Properties"]["CodeUri"] / "app.py"
        assert "def lambda_handler(" in code.read_text()
    role = template["Resources"]["CheckPartitionStateMachineRole"]["Properties"]["Policies"][0]
    invoke = [s for s in role["PolicyDocument"]["Statement"] if s["Action"] == "lambda:InvokeFunction"]
    assert {r["Fn::GetAtt"][0] for s in invoke for r in s["Resource"]} == called


def test_the_role_runs_its_own_children_only(template):
    role = template["Resources"]["CheckPartitionStateMachineRole"]["Properties"]["Policies"][0]
    by_sid = {s["Sid"]: s for s in role["PolicyDocument"]["Statement"]}
    start = resolve(by_sid["RunTheMapChildren"]["Resource"], template)
    assert start == "arn:aws:states:us-east-1:123456789012:stateMachine:drift-retrain-check-partition"
    children = resolve(by_sid["WatchAndStopTheMapChildren"]["Resource"], template)
    label = json.loads(DEFINITION.read_text())["States"]["Summarise each part"]["Label"]
    assert children.endswith(f":execution:drift-retrain-check-partition/{label}:*")
    assert resolve(by_sid["ReadTheItemList"]["Resource"], template).endswith("/partition-checks/*")


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed: the ASL linter runs on node")
def test_asl_validator_accepts_the_definition(machine, template, tmp_path: Path):
    values = {k: resolve(v, template) for k, v in machine["DefinitionSubstitutions"].items()}
    path = tmp_path / "check-partition.asl.json"
    path.write_text(PLACEHOLDER.sub(lambda m: values[m.group(1)], DEFINITION.read_text()))
    validator = ASL_LINT_DIR / "node_modules" / "asl-validator" / "dist" / "bin" / "asl-validator.js"
    result = subprocess.run(
        [shutil.which("node"), str(validator), "--json-path", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
