"""Two production variants behind one local endpoint, as SageMaker serves them: DescribeEndpoint's variant
summaries, ``TargetVariant``, the invoked variant on every response, UpdateEndpointWeightsAndCapacities
(Updating, then InService with the new weights, validated as AWS does, also as an ``aws-sdk`` Step
Functions task) and a failing variant."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from service_support import (  # noqa: F401 (fixtures)
    ROLE,
    data,
    disarm_failures,
    endpoint_config,
    endpoint_state,
    expected,
    features_csv,
    service_cloud,
    trained_models,
    wait_for,
)

from drift_retrain_local.cloud.local_cloud import LocalCloud
from drift_retrain_local.sagemaker.failures import VARIANT, FailureInjector

X, _ = data(3, seed=5)
BODY = features_csv(X)


def _ab_endpoint(cloud: LocalCloud, name: str, champion: float = 0.9, candidate: float = 0.1) -> None:
    endpoint_config(
        cloud, f"{name}-cfg", ("Champion", "model-old", champion), ("Candidate", "model-new", candidate)
    )
    cloud.client("sagemaker").create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-cfg")
    wait_for(lambda: endpoint_state(cloud, name)[0] == "InService", f"{name} InService")


def _invoke(cloud: LocalCloud, name: str, **extra: Any) -> tuple[str, str]:
    response = cloud.client("sagemaker-runtime").invoke_endpoint(
        EndpointName=name, ContentType="text/csv", Body=BODY, **extra
    )
    return response["Body"].read().decode(), response["InvokedProductionVariant"]


def _variants(cloud: LocalCloud, name: str) -> dict[str, dict[str, Any]]:
    described = cloud.client("sagemaker").describe_endpoint(EndpointName=name)
    return {v["VariantName"]: v for v in described["ProductionVariants"]}


def _shift(cloud: LocalCloud, name: str, champion: float, candidate: float) -> None:
    cloud.client("sagemaker").update_endpoint_weights_and_capacities(
        EndpointName=name,
        DesiredWeightsAndCapacities=[
            {"VariantName": "Champion", "DesiredWeight": champion},
            {"VariantName": "Candidate", "DesiredWeight": candidate},
        ],
    )


def test_describe_endpoint_summarises_both_variants_as_aws(cloud: LocalCloud, models: dict[str, Any]) -> None:
    _ab_endpoint(cloud, "ab-describe", champion=1.0, candidate=0.0)
    variants = _variants(cloud, "ab-describe")
    assert variants["Champion"] == {
        "VariantName": "Champion",
        "CurrentWeight": 1.0,
        "DesiredWeight": 1.0,
        "CurrentInstanceCount": 1,
        "DesiredInstanceCount": 1,
    }
    assert variants["Candidate"]["CurrentWeight"] == variants["Candidate"]["DesiredWeight"] == 0.0
    # weight 0: no request goes to the candidate unless targeted
    assert {_invoke(cloud, "ab-describe")[1] for _ in range(30)} == {"Champion"}


def test_target_variant_is_served_by_exactly_that_variant(cloud: LocalCloud, models: dict[str, Any]) -> None:
    _ab_endpoint(cloud, "ab-target")
    for _ in range(10):
        assert _invoke(cloud, "ab-target", TargetVariant="Candidate") == (
            expected(models["new"], X),
            "Candidate",
        )
        assert _invoke(cloud, "ab-target", TargetVariant="Champion") == (
            expected(models["old"], X),
            "Champion",
        )
    with pytest.raises(ClientError) as raised:
        _invoke(cloud, "ab-target", TargetVariant="NoSuchVariant")
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert "NoSuchVariant" in raised.value.response["Error"]["Message"]


def test_update_weights_goes_updating_then_in_service_with_the_new_weights(
    cloud: LocalCloud, models: dict[str, Any]
) -> None:
    _ab_endpoint(cloud, "ab-weights")
    _shift(cloud, "ab-weights", 0.0, 1.0)
    status, _ = endpoint_state(cloud, "ab-weights")
    during = _variants(cloud, "ab-weights")
    assert status == "Updating"
    assert (during["Candidate"]["CurrentWeight"], during["Candidate"]["DesiredWeight"]) == (0.1, 1.0)
    assert (during["Champion"]["CurrentWeight"], during["Champion"]["DesiredWeight"]) == (0.9, 0.0)
    with pytest.raises(ClientError, match="Cannot update in-progress endpoint"):
        _shift(cloud, "ab-weights", 0.5, 0.5)

    wait_for(lambda: endpoint_state(cloud, "ab-weights")[0] == "InService", "weights applied")
    after = _variants(cloud, "ab-weights")
    assert after["Candidate"]["CurrentWeight"] == after["Candidate"]["DesiredWeight"] == 1.0
    assert after["Champion"]["CurrentWeight"] == after["Champion"]["DesiredWeight"] == 0.0
    assert after["Champion"]["CurrentInstanceCount"] == after["Champion"]["DesiredInstanceCount"] == 1
    assert {_invoke(cloud, "ab-weights")[1] for _ in range(30)} == {"Candidate"}
    assert _invoke(cloud, "ab-weights", TargetVariant="Champion")[1] == "Champion"  # still deployed


def test_update_weights_is_validated_as_aws(cloud: LocalCloud, models: dict[str, Any]) -> None:
    _ab_endpoint(cloud, "ab-invalid")
    sm = cloud.client("sagemaker")

    def refused(name: str, desired: list[dict[str, Any]]) -> str:
        with pytest.raises(ClientError) as raised:
            sm.update_endpoint_weights_and_capacities(EndpointName=name, DesiredWeightsAndCapacities=desired)
        assert raised.value.response["Error"]["Code"] == "ValidationException"
        return raised.value.response["Error"]["Message"]

    assert refused("ab-invalid", [{"VariantName": "Nope", "DesiredWeight": 1.0}]) == (
        'The variant name(s) "Nope" is/are not present within endpoint configuration "ab-invalid-cfg".'
    )
    assert "non-unique" in refused(
        "ab-invalid",
        [
            {"VariantName": "Champion", "DesiredWeight": 1.0},
            {"VariantName": "Champion", "DesiredWeight": 0.0},
        ],
    )
    assert "Could not find endpoint" in refused(
        "ab-missing", [{"VariantName": "Champion", "DesiredWeight": 1}]
    )
    assert endpoint_state(cloud, "ab-invalid")[0] == "InService"
    assert _variants(cloud, "ab-invalid")["Candidate"]["CurrentWeight"] == 0.1


def test_a_failing_variant_answers_model_error_and_the_other_keeps_serving(
    cloud: LocalCloud, models: dict[str, Any]
) -> None:
    _ab_endpoint(cloud, "ab-fail", champion=0.5, candidate=0.5)
    cloud.failures.fail_variant("ab-fail", "Champion")
    with pytest.raises(ClientError) as raised:
        _invoke(cloud, "ab-fail", TargetVariant="Champion")
    assert raised.value.response["Error"]["Code"] == "ModelError"
    assert raised.value.response["Error"]["Message"].startswith("Received server error (500) from primary")
    assert raised.value.response["OriginalStatusCode"] == 500
    assert "injected model server failure" in raised.value.response["OriginalMessage"]
    assert _invoke(cloud, "ab-fail", TargetVariant="Candidate")[1] == "Candidate"
    served, failed = [], 0
    for _ in range(40):
        try:
            served.append(_invoke(cloud, "ab-fail")[1])
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ModelError"
            failed += 1
    assert set(served) == {"Candidate"} and 0 < failed < 40
    cloud.failures.clear()
    assert _invoke(cloud, "ab-fail", TargetVariant="Champion")[1] == "Champion"


def test_variant_failure_cli_spec() -> None:
    injector = FailureInjector.from_specs(["variant:*/Champion:2"])
    (switch,) = injector.switches
    assert (switch.kind, switch.pattern, switch.remaining) == (VARIANT, "*/Champion", 2)
    assert injector.check(VARIANT, "my-endpoint/Candidate") is None
    assert injector.check(VARIANT, "my-endpoint/Champion")


def test_update_weights_as_an_aws_sdk_step_functions_task(cloud: LocalCloud, models: dict[str, Any]) -> None:
    _ab_endpoint(cloud, "ab-sfn")
    definition = {
        "StartAt": "Shift traffic",
        "States": {
            "Shift traffic": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sagemaker:updateEndpointWeightsAndCapacities",
                "Parameters": {
                    "EndpointName.$": "$.endpoint",
                    "DesiredWeightsAndCapacities": [
                        {"VariantName": "Champion", "DesiredWeight": 0},
                        {"VariantName": "Candidate", "DesiredWeight": 1},
                    ],
                },
                "ResultPath": "$.shift",
                "Next": "Shift again",
            },
            "Shift again": {  # refused: the endpoint is Updating (an undeclared error: SageMakerException)
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sagemaker:updateEndpointWeightsAndCapacities",
                "Parameters": {
                    "EndpointName.$": "$.endpoint",
                    "DesiredWeightsAndCapacities": [{"VariantName": "Champion", "DesiredWeight": 1}],
                },
                "Catch": [
                    {
                        "ErrorEquals": ["SageMaker.SageMakerException"],
                        "ResultPath": "$.refused",
                        "Next": "Done",
                    }
                ],
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    output = _run(cloud, "ab-sfn-shift", definition, {"endpoint": "ab-sfn"})
    assert output["shift"]["EndpointArn"].endswith(":endpoint/ab-sfn")
    assert "Cannot update in-progress endpoint" in output["refused"]["Cause"]
    wait_for(lambda: endpoint_state(cloud, "ab-sfn")[0] == "InService", "weights applied")
    assert _variants(cloud, "ab-sfn")["Candidate"]["CurrentWeight"] == 1.0


def _run(cloud: LocalCloud, name: str, definition: dict[str, Any], payload: dict[str, Any]) -> dict[str, Any]:
    sfn = cloud.client("stepfunctions")
    machine = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input=json.dumps(payload))[
        "executionArn"
    ]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            assert described["status"] == "SUCCEEDED", described
            return json.loads(described["output"])
        time.sleep(0.05)
    raise AssertionError(f"{name} did not finish")
