"""Data Capture is on by default: every endpoint config the workflow creates carries the stack's
``DataCaptureConfig``, and only SageMaker's execution role may write the capture prefix, only when it is on
(docs/data-capture.md, "Capture on the endpoint")."""

from __future__ import annotations

from typing import Any

from .conftest import iter_states, resolve

CREATE_CONFIG = "arn:aws:states:::sagemaker:createEndpointConfig"


def test_every_endpoint_config_the_workflow_creates_captures_data(workflow: dict[str, Any]) -> None:
    creates = {n: s for n, s in iter_states(workflow["States"]) if s.get("Resource") == CREATE_CONFIG}
    assert set(creates) == {
        "Create endpoint config for candidate",  # bootstrap and blue/green
        "Create A/B endpoint config",
        "Create endpoint config for the champion",
    }
    for name, state in creates.items():
        assert state["Parameters"].get("DataCaptureConfig.$") == "$.config.data_capture", name


def test_the_capture_config_records_both_directions_as_text_for_csv_and_json(
    definition: dict[str, Any], substitutions: dict[str, str], template: dict[str, Any], specs: dict[str, Any]
) -> None:
    capture = definition["States"]["Load settings"]["Parameters"]["data_capture"]
    assert capture["EnableCapture.$"] == "States.StringToJson('${EnableDataCapture}')"
    assert capture["InitialSamplingPercentage.$"] == "States.StringToJson('${CaptureSamplingPercent}')"
    assert capture["CaptureOptions"] == [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}]
    assert capture["CaptureContentTypeHeader"] == {
        "CsvContentTypes": ["text/csv"],
        "JsonContentTypes": ["application/json"],
    }
    bucket = resolve({"Ref": "DataBucket"}, template)
    assert substitutions["CaptureDestinationS3Uri"] == f"s3://{bucket}/capture/"
    assert specs["EnableDataCapture"]["Default"] == "true"
    assert specs["CaptureSamplingPercent"]["Default"] == 100


def test_the_stacks_kms_key_encrypts_the_capture_when_set(workflow: dict[str, Any]) -> None:
    states = dict(iter_states(workflow["States"]))
    check = states["Check the settings"]
    assert check["Parameters"]["Input"]["checked"] == {"config.$": "$.config"}
    assert check["ResultSelector"] == {"state.$": "States.JsonMerge($.Output.run, $.Output.checked, false)"}
    assert check["Branches"][0]["StartAt"] == "Is captured data encrypted with a KMS key"
    choice = states["Is captured data encrypted with a KMS key"]
    assert choice["Choices"] == [
        {
            "Variable": "$.checked.config.sagemaker_kms_key",
            "StringEquals": "",
            "Next": "Settings overridden in the input",
        }
    ]
    encrypt = states[choice["Default"]]
    assert (encrypt["InputPath"], encrypt["ResultPath"]) == (
        "$.checked.config.sagemaker_kms_key",
        "$.checked.config.data_capture.KmsKeyId",
    )


def test_only_the_execution_role_writes_the_capture_prefix_and_only_when_capture_is_on(
    template: dict[str, Any],
) -> None:
    resources = template["Resources"]
    assert template["Conditions"]["CaptureEndpointData"] == {
        "Fn::Equals": [{"Ref": "EnableDataCapture"}, "true"]
    }
    policy = resources["SageMakerCapturePolicy"]
    assert policy["Condition"] == "CaptureEndpointData"
    assert policy["Properties"]["RoleName"] == {"Ref": "SageMakerExecutionRole"}
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "s3:PutObject"
    assert resolve(statement["Resource"], template).endswith("/capture/*")
    writers = [
        logical_id
        for logical_id, resource in resources.items()
        for statement in _statements(resource)
        if "capture/" in str(statement.get("Resource")) and "s3:PutObject" in str(statement.get("Action"))
    ]
    assert writers == ["SageMakerCapturePolicy"]
    key_grants = resources["SageMakerKeyPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]["Action"]
    assert "kms:GenerateDataKey" in key_grants  # SSE-KMS writes of the capture files with the stack's key


def _statements(resource: dict[str, Any]) -> list[dict[str, Any]]:
    properties = resource.get("Properties", {})
    documents = [policy.get("PolicyDocument", {}) for policy in properties.get("Policies", []) or []]
    documents.append(properties.get("PolicyDocument", {}))
    return [s for document in documents if isinstance(document, dict) for s in document.get("Statement", [])]
