"""The template and the settings schema agree: every ``!GetAtt ValidatedSettings.X`` is a template setting
of the schema and every template setting is read; the validator runs before anything reads it, after its
own log group, and again whenever the layer (the schema) changes."""

from __future__ import annotations

import json
from typing import Any

from drift_retrain.settings.schema import SETTINGS


def _get_atts(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        if set(node) == {"Fn::GetAtt"} and node["Fn::GetAtt"][0] == "ValidatedSettings":
            found.add(node["Fn::GetAtt"][1])
        if set(node) == {"Fn::Sub"}:
            text = node["Fn::Sub"] if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][0]
            found.update(part.split("}")[0] for part in text.split("${ValidatedSettings.")[1:])
        for value in node.values():
            _get_atts(value, found)
    elif isinstance(node, list):
        for value in node:
            _get_atts(value, found)
    return found


def test_every_setting_the_template_reads_is_a_template_setting_and_every_one_is_read(template):
    read = _get_atts(template["Resources"], set())
    declared = {setting.attribute for setting in SETTINGS if setting.template}
    assert read == declared


def test_no_parameter_and_setting_share_a_name(template):
    assert not set(template["Parameters"]) & {setting.attribute for setting in SETTINGS}


def test_the_validator_is_ordered_and_rerun_with_the_schema(template):
    resource = template["Resources"]["ValidatedSettings"]
    assert resource["DependsOn"] == "ValidateSettingsLogGroup"
    properties = resource["Properties"]
    assert properties["ServiceToken"] == {"Fn::GetAtt": ["ValidateSettingsFunction", "Arn"]}
    assert properties["Settings"] == {"Ref": "Settings"}
    assert properties["SchemaLayer"] == {"Ref": "DriftCoreLayer"}
    assert template["Parameters"]["Settings"]["Default"] == "{}"
    assert json.loads(template["Parameters"]["Settings"]["Default"]) == {}


def test_functions_that_read_settings_get_the_settings_parameter(template):
    readers = {"DetectDriftFunction", "MonitorCaptureFunction", "PrepareTrainingDataFunction",
               "EvaluateCandidateFunction", "PromoteModelFunction", "NotifyFunction",
               "SummarisePartFunction", "CheckPartitionFunction"}  # fmt: skip
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            variables = resource["Properties"].get("Environment", {}).get("Variables", {})
            assert (variables.get("SETTINGS") == {"Ref": "Settings"}) == (logical_id in readers), logical_id
