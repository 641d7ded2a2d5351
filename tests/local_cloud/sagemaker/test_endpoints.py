"""The local SageMaker's endpoints through the embedded AWS: endpoints that really predict, variant
weights, and a blue/green update (and its rollback) with zero failed requests."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError
from service_support import (  # noqa: F401 (fixtures)
    WAIT,
    data,
    disarm_failures,
    endpoint_config,
    endpoint_state,
    expected,
    features_csv,
    invoke,
    service_cloud,
    trained_models,
    wait_for,
)

from drift_retrain_local.cloud.local_cloud import LocalCloud


def test_missing_endpoint_is_a_validation_error_like_aws(cloud: LocalCloud) -> None:
    with pytest.raises(ClientError) as raised:
        invoke(cloud, "no-such-endpoint", "1,2,3\n")
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    assert (
        raised.value.response["Error"]["Message"]
        == "Endpoint no-such-endpoint of account 123456789012 not found."
    )
    with pytest.raises(ClientError, match="Could not find endpoint"):
        cloud.client("sagemaker").describe_endpoint(EndpointName="no-such-endpoint")


def test_endpoint_goes_in_service_and_predicts_with_its_model(
    cloud: LocalCloud, models: dict[str, Any]
) -> None:
    endpoint_config(cloud, "ep-create-cfg", ("AllTraffic", "model-old", 1.0))
    cloud.client("sagemaker").create_endpoint(EndpointName="ep-create", EndpointConfigName="ep-create-cfg")
    assert endpoint_state(cloud, "ep-create") == ("Creating", "ep-create-cfg")
    wait_for(lambda: endpoint_state(cloud, "ep-create")[0] == "InService", "ep-create InService")

    x, _ = data(5, seed=3)
    body, variant = invoke(cloud, "ep-create", features_csv(x))
    assert variant == "AllTraffic"
    assert body == expected(models["old"], x)
    assert len(body.splitlines()) == 5

    with pytest.raises(ClientError) as raised:
        invoke(cloud, "ep-create", "1,2\n")  # wrong feature count: the container's 400, as ModelError
    assert raised.value.response["Error"]["Code"] == "ModelError"


def test_variant_weights_are_honoured(cloud: LocalCloud, models: dict[str, Any]) -> None:
    endpoint_config(cloud, "ep-weights-cfg", ("a", "model-old", 3.0), ("b", "model-new", 1.0))
    cloud.client("sagemaker").create_endpoint(EndpointName="ep-weights", EndpointConfigName="ep-weights-cfg")
    wait_for(lambda: endpoint_state(cloud, "ep-weights")[0] == "InService", "ep-weights InService")
    runtime = cloud.client("sagemaker-runtime")
    seen = [invoke(cloud, "ep-weights", "0,0,0\n", runtime)[1] for _ in range(200)]
    assert 0.65 < seen.count("a") / len(seen) < 0.85


def _update_under_load(
    cloud: LocalCloud, name: str, new_config: str, routing: dict[str, Any]
) -> tuple[list[str], list[Exception], list[tuple[str, str]]]:
    """Update ``name`` while a thread keeps invoking it; returns answers, failures and the states seen."""
    x, _ = data(4, seed=11)
    answers: list[str] = []
    failures: list[Exception] = []
    stop = threading.Event()
    runtime = cloud.client("sagemaker-runtime")

    def client_loop() -> None:
        while not stop.is_set():
            try:
                answers.append(invoke(cloud, name, features_csv(x), runtime)[0])
            except Exception as exc:  # every failure counts
                failures.append(exc)

    thread = threading.Thread(target=client_loop, daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(answers) >= 5, "first answers")
        cloud.client("sagemaker").update_endpoint(
            EndpointName=name,
            EndpointConfigName=new_config,
            DeploymentConfig={
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": routing,
                    "TerminationWaitInSeconds": 0,
                    "MaximumExecutionTimeoutInSeconds": 600,
                },
                "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "endpoint-5xx"}]},
            },
        )
        states = [endpoint_state(cloud, name)]
        wait_for(
            lambda: states.append(endpoint_state(cloud, name)) or states[-1][0] == "InService",
            f"{name} settles",
        )
        count = len(answers)
        wait_for(lambda: len(answers) >= count + 5, "answers after the update")
    finally:
        stop.set()
        thread.join(timeout=WAIT)
    return answers, failures, states


def test_update_switches_to_the_new_config_with_zero_failed_requests(
    cloud: LocalCloud, models: dict[str, Any]
) -> None:
    endpoint_config(cloud, "ep-update-old", ("AllTraffic", "model-old", 1.0))
    endpoint_config(cloud, "ep-update-new", ("AllTraffic", "model-new", 1.0))
    cloud.client("sagemaker").create_endpoint(EndpointName="ep-update", EndpointConfigName="ep-update-old")
    wait_for(lambda: endpoint_state(cloud, "ep-update")[0] == "InService", "ep-update InService")
    x, _ = data(4, seed=11)
    old, new = expected(models["old"], x), expected(models["new"], x)
    assert old != new

    answers, failures, states = _update_under_load(
        cloud, "ep-update", "ep-update-new", {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
    )

    assert failures == []
    assert states[0] == ("Updating", "ep-update-old")
    assert states[-1] == ("InService", "ep-update-new")
    assert set(answers) == {old, new}
    switch = answers.index(new)
    assert all(a == old for a in answers[:switch]) and all(a == new for a in answers[switch:])
    described = cloud.client("sagemaker").describe_endpoint(EndpointName="ep-update")
    assert described["ProductionVariants"][0]["VariantName"] == "AllTraffic"
    assert described["LastDeploymentConfig"]["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"][
        "Type"
    ] == ("ALL_AT_ONCE")


def test_injected_rollback_leaves_the_endpoint_in_service_on_the_old_config(
    cloud: LocalCloud, models: dict[str, Any]
) -> None:
    endpoint_config(cloud, "ep-rollback-old", ("AllTraffic", "model-old", 1.0))
    endpoint_config(cloud, "ep-rollback-new", ("AllTraffic", "model-new", 1.0))
    cloud.client("sagemaker").create_endpoint(
        EndpointName="ep-rollback", EndpointConfigName="ep-rollback-old"
    )
    wait_for(lambda: endpoint_state(cloud, "ep-rollback")[0] == "InService", "ep-rollback InService")
    cloud.failures.roll_back_update("ep-rollback", times=1)
    x, _ = data(4, seed=11)

    answers, failures, states = _update_under_load(
        cloud,
        "ep-rollback",
        "ep-rollback-new",
        {
            "Type": "CANARY",
            "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 50},
            "WaitIntervalInSeconds": 0,
        },
    )

    assert failures == []
    assert states[-1] == ("InService", "ep-rollback-old")
    assert ("RollingBack", "ep-rollback-old") in states
    assert answers[-1] == expected(models["old"], x)
    assert "injected endpoint update failure" in (
        cloud.client("sagemaker").describe_endpoint(EndpointName="ep-rollback").get("FailureReason", "")
    )


def test_update_of_an_endpoint_that_is_not_in_service_is_refused(
    cloud: LocalCloud, models: dict[str, Any]
) -> None:
    endpoint_config(cloud, "ep-busy-cfg", ("AllTraffic", "model-old", 1.0))
    sm = cloud.client("sagemaker")
    sm.create_endpoint(EndpointName="ep-busy", EndpointConfigName="ep-busy-cfg")
    with pytest.raises(ClientError, match="Cannot update in-progress endpoint"):
        sm.update_endpoint(EndpointName="ep-busy", EndpointConfigName="ep-busy-cfg")
    with pytest.raises(ClientError, match="Could not find endpoint"):
        sm.update_endpoint(EndpointName="ep-none", EndpointConfigName="ep-busy-cfg")
    wait_for(lambda: endpoint_state(cloud, "ep-busy")[0] == "InService", "ep-busy InService")
