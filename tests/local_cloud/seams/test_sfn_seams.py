"""aws-sdk tasks on the embedded cloud take and return PascalCase names as on AWS (moto 5.2.5 does not),
and the hooks fail loudly if the pinned moto moves."""

from __future__ import annotations

import copy
import importlib
import json
import re
import threading
from collections.abc import Iterator
from typing import Any

import jsonpath_ng.ext
import pytest
from botocore.exceptions import ClientError
from moto.core.responses import ActionResult
from support.executions import ROLE, run_definition
from support.lambda_context import REGION

from drift_retrain_local.cloud.api_faults import S3_SLOW_DOWN
from drift_retrain_local.cloud.local_cloud import LocalCloud
from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.seams import sagemaker as moto_seams
from drift_retrain_local.seams import sfn_parameters as sfn_seams
from drift_retrain_local.seams import sfn_speed

SERVICE = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service"
HOOKS = ("_normalise_parameters", "_normalise_response")


def _classes() -> tuple[type, type]:
    base = importlib.import_module(f"{SERVICE}.state_task_service").StateTaskService
    sdk = importlib.import_module(f"{SERVICE}.state_task_service_aws_sdk").StateTaskServiceAwsSdk
    return base, sdk


# ========================================================================= on the embedded cloud
def test_describe_execution_takes_execution_arn_and_returns_status(cloud: LocalCloud) -> None:
    child = cloud.client("stepfunctions").create_state_machine(
        name="sfn-seams-child",
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}),
        roleArn=ROLE,
    )["stateMachineArn"]
    definition = {
        "StartAt": "Start child",
        "States": {
            "Start child": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sfn:startExecution",
                "Parameters": {"StateMachineArn": child, "Name": "child-1", "Input": "{}"},
                "ResultPath": "$.started",
                "Next": "Check child",
            },
            "Check child": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sfn:describeExecution",
                "Parameters": {"ExecutionArn.$": "$.started.ExecutionArn"},
                "ResultSelector": {
                    "status.$": "$.Status",
                    "execution.$": "$.ExecutionArn",
                    "machine.$": "$.StateMachineArn",
                },
                "ResultPath": "$.child",
                "Next": "List children",
            },
            "List children": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sfn:listExecutions",
                "Parameters": {"StateMachineArn": child},
                "ResultSelector": {
                    "arns.$": "$.Executions[*].ExecutionArn",
                    "names.$": "$.Executions[*].Name",
                },
                "ResultPath": "$.listed",
                "End": True,
            },
        },
    }
    described = run_definition(cloud, "sfn-seams-parent", definition)
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    execution = output["started"]["ExecutionArn"]
    assert set(output["started"]) == {"ExecutionArn", "StartDate"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6})?Z", output["started"]["StartDate"])
    assert output["child"] == {"status": output["child"]["status"], "execution": execution, "machine": child}
    assert output["child"]["status"] in {"RUNNING", "SUCCEEDED"}
    assert output["listed"] == {"arns": [execution], "names": ["child-1"]}


def test_pascal_case_services_and_map_keys_pass_unchanged(cloud: LocalCloud) -> None:
    """sagemaker (PascalCase API, and the moto_seams error names) and dynamodb (map keys are data)."""
    assert sfn_seams.installed() and moto_seams.installed() is not None
    cloud.client("dynamodb").create_table(
        TableName="sfn-seams",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    definition = {
        "StartAt": "Put",
        "States": {
            "Put": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:dynamodb:putItem",
                "Parameters": {
                    "TableName": "sfn-seams",
                    "Item": {"id": {"S": "a"}, "status": {"M": {"executionArn": {"S": "x"}}}},
                },
                "ResultPath": None,
                "Next": "Get",
            },
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
                "Parameters": {"TableName": "sfn-seams", "Key": {"id": {"S": "a"}}},
                "ResultPath": "$.got",
                "Next": "List jobs",
            },
            "List jobs": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sagemaker:listTrainingJobs",
                "Parameters": {"MaxResults": 5},
                "ResultPath": "$.jobs",
                "Next": "Missing job",
            },
            "Missing job": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sagemaker:describeTrainingJob",
                "Parameters": {"TrainingJobName": "sfn-seams-missing"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Done"}],
                "Next": "Done",
            },
            "Done": {"Type": "Pass", "End": True},
        },
    }
    described = run_definition(cloud, "sfn-seams-pascal", definition)
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["got"] == {"Item": {"id": {"S": "a"}, "status": {"M": {"executionArn": {"S": "x"}}}}}
    assert "TrainingJobSummaries" in output["jobs"]
    assert output["error"]["Error"].startswith("SageMaker.")


# ================================================================================== the guard
def test_every_hooked_moto_symbol_is_where_moto_5_2_5_has_it() -> None:
    sfn_seams.check()


def test_check_fails_loudly_when_a_hooked_signature_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    base, _ = _classes()
    monkeypatch.setattr(base, "_normalise_parameters", lambda self, parameters: None)
    with pytest.raises(MotoHookMovedError, match="_normalise_parameters has a new signature"):
        sfn_seams.check()


def test_check_fails_loudly_when_moto_normalises_aws_sdk_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    _, sdk = _classes()
    monkeypatch.setattr(
        sdk, "_normalise_response", lambda self, response, b=None, s=None: None, raising=False
    )
    with pytest.raises(MotoHookMovedError, match=r"moto now has StateTaskServiceAwsSdk\._normalise_response"):
        sfn_seams.check()


@pytest.fixture
def _restore_install_state() -> Iterator[None]:
    was_installed = sfn_seams.installed()  # the module's cloud may be running
    sfn_seams.uninstall()
    try:
        yield
    finally:
        sfn_seams.uninstall()
        if was_installed:
            sfn_seams.install()


@pytest.mark.usefixtures("_restore_install_state")
def test_install_then_uninstall_restores_moto_exactly() -> None:
    _, sdk = _classes()
    before = {hook: vars(sdk).get(hook) for hook in HOOKS}
    assert before == dict.fromkeys(HOOKS)
    sfn_seams.install()
    sfn_seams.install()  # idempotent
    assert all(vars(sdk).get(hook) is not None for hook in HOOKS)
    sfn_seams.check()  # still passes with the hooks in place
    sfn_seams.uninstall()
    sfn_seams.uninstall()
    assert {hook: vars(sdk).get(hook) for hook in HOOKS} == before
    assert not sfn_seams.installed()


# ========================================================================= parse cache and history options
def _passes(name: str, count: int = 3) -> dict[str, Any]:
    """``count`` Pass states in a row, the first named after ``name`` so each test has its own definition."""
    states = {f"{name}-{i}": {"Type": "Pass", "Next": f"{name}-{i + 1}"} for i in range(count)}
    states[f"{name}-{count - 1}"] = {"Type": "Pass", "Result": {"done": name}, "End": True}
    return {"StartAt": f"{name}-0", "States": states}


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every definition moto's own parser is asked to parse from now on (the cache's misses)."""
    asked: list[str] = []
    original = sfn_speed._originals["parse"]

    def counting(definition: str) -> Any:
        asked.append(definition)
        return original(definition)

    monkeypatch.setitem(sfn_speed._originals, "parse", counting)
    return asked


def test_each_definition_is_parsed_once_and_every_execution_gets_its_own_program(
    cloud: LocalCloud, parsed: list[str]
) -> None:
    definition = _passes("parse-once")
    outputs = [json.loads(run_definition(cloud, f"parse-once-{i}", definition)["output"]) for i in range(2)]

    assert outputs == [{"done": "parse-once"}] * 2
    assert len(parsed) == 1  # the create's validation parsed it; neither execution parsed it again
    text = parsed[0]
    first, second = sfn_speed._cached_parse(text)[0], sfn_speed._cached_parse(text)[0]
    assert first is not second and type(first) is type(second)  # no execution shares a program


def test_every_definition_of_the_stack_is_kept_pickled_and_copied_by_unpickling(cloud: LocalCloud) -> None:
    sfn = cloud.client("stepfunctions")
    definitions = [
        sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])["definition"]
        for machine in sfn.list_state_machines()["stateMachines"]
    ]
    main = max(definitions, key=len)
    kept = []
    for text in definitions:  # each parsed (or found) now, so none was dropped before it is read
        sfn_speed._cached_parse(text)
        kept.append(sfn_speed._cache[text][0])
    assert len(kept) >= 5 and all(isinstance(program, bytes) for program in kept)  # SageMaker tasks too
    copied = sfn_speed._cached_parse(main)[0]
    again = sfn_speed._cached_parse(main)[0]
    assert type(copied) is type(again) and copied is not again  # no execution shares a program


def test_the_parse_cache_drops_the_least_recently_used_definition(
    cloud: LocalCloud, parsed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sfn_speed, "_cache", {})
    monkeypatch.setattr(sfn_speed, "_CACHE_LIMIT", 3)
    a, b, c, d = (json.dumps(_passes(f"lru-{name}")) for name in "abcd")
    for text in (a, b, c, a, d):  # a is used again before d arrives: b is the least recently used
        sfn_speed._cached_parse(text)
    assert list(sfn_speed._cache) == [c, a, d]
    sfn_speed._cached_parse(a)
    assert parsed == [a, b, c, d]  # a was never parsed twice


def test_a_definition_that_does_not_parse_is_refused_as_before_and_never_cached(cloud: LocalCloud) -> None:
    sfn = cloud.client("stepfunctions")
    broken = '{"StartAt": "Missing", "States": {"Other": {"Type": "Nope", "End": true}}}'
    for _ in range(2):  # the second create fails the same way: the error was not cached as a program
        with pytest.raises(ClientError, match=r"ASLParserException.*Nope"):
            sfn.create_state_machine(name="broken-definition", definition=broken, roleArn=ROLE)
    assert broken not in sfn_speed._cache


def test_execution_history_honours_include_data_reverse_order_and_pages_as_aws_does(
    cloud: LocalCloud,
) -> None:
    sfn = cloud.client("stepfunctions")
    described = run_definition(
        cloud, "history-options", _passes("history", count=4), payload={"secret": "cell"}
    )
    arn = described["executionArn"]
    full = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    assert any("input" in e.get("stateEnteredEventDetails", {}) for e in full)

    bare = sfn.get_execution_history(executionArn=arn, maxResults=1000, includeExecutionData=False)["events"]
    assert [e["id"] for e in bare] == [e["id"] for e in full]
    assert "cell" not in json.dumps(bare, default=str)
    assert [e["stateEnteredEventDetails"]["name"] for e in bare if "stateEnteredEventDetails" in e] == [
        f"history-{i}" for i in range(4)
    ]

    newest_first = sfn.get_execution_history(executionArn=arn, maxResults=1000, reverseOrder=True)["events"]
    assert [e["id"] for e in newest_first] == [e["id"] for e in reversed(full)]

    paged = [e["id"] for page in sfn.get_paginator("get_execution_history").paginate(
        executionArn=arn, PaginationConfig={"PageSize": 3}) for e in page["events"]]  # fmt: skip
    assert paged == [e["id"] for e in full]
    assert len(sfn.get_execution_history(executionArn=arn)["events"]) == min(len(full), 100)


def test_a_history_page_reads_as_motos_serialiser_writes_it(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The seam writes history pages as JSON directly: a client reads exactly what moto's serialiser
    gives, for a task that fails and is caught, data or none, newest first, in pages."""
    read = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject"}
    definition = {
        "StartAt": "Read a missing key",
        "States": {
            "Read a missing key": {
                **read,
                "Parameters": {"Bucket": "seams-history-writer", "Key": "missing.csv"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Note it"}],
            },
            "Note it": {"Type": "Pass", "Result": {"noted": True, "rows": 3, "share": 0.25}, "End": True},
        },
    }
    cloud.client("s3").create_bucket(Bucket="seams-history-writer")
    arn = run_definition(cloud, "history-writer", definition, payload={"cell": "é", "n": None})[
        "executionArn"
    ]
    sfn = cloud.client("stepfunctions")
    asks = [
        {"maxResults": 1000},
        {"maxResults": 1000, "includeExecutionData": False},
        {"maxResults": 3, "reverseOrder": True},
    ]

    bodies: list[Any] = []
    sfn.meta.events.register(
        "before-parse.sfn.GetExecutionHistory",
        lambda response_dict, **_: bodies.append(json.loads(response_dict["body"])),
    )

    def pages() -> list[dict[str, Any]]:
        answers = [sfn.get_execution_history(executionArn=arn, **ask) for ask in asks]
        return [{k: v for k, v in answer.items() if k != "ResponseMetadata"} for answer in answers]

    written = pages()
    monkeypatch.setattr(sfn_speed, "_history_page_class", lambda: ActionResult)
    assert written == pages()
    assert bodies[:3] == bodies[3:]  # the same JSON documents on the wire, timestamps included
    assert all(isinstance(event["timestamp"], int | float) for event in bodies[0]["events"])
    types = {event["type"] for event in written[0]["events"]}
    assert {"TaskFailed", "PassStateExited", "ExecutionSucceeded"} <= types
    assert "nextToken" in written[2] and len(written[2]["events"]) == 3


# ========================================================================= shared clients, parsed paths
def _read_twice(bucket: str) -> dict[str, Any]:
    """Two aws-sdk HeadObject tasks in a row, of the key the input names."""
    task = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:headObject"}
    return {
        "StartAt": "First read",
        "States": {
            "First read": {
                **task,
                "Parameters": {"Bucket": bucket, "Key.$": "$.key"},
                "ResultSelector": {"length.$": "$.ContentLength"},
                "ResultPath": "$.first",
                "Next": "Second read",
            },
            "Second read": {
                **task,
                "Parameters": {"Bucket": bucket, "Key.$": "$.key"},
                "ResultSelector": {"length.$": "$.ContentLength"},
                "ResultPath": "$.second",
                "End": True,
            },
        },
    }


def test_tasks_share_one_client_that_still_meets_a_fault_armed_after_it_was_made(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[str] = []
    original = sfn_speed._originals["client_for"]

    def counting(region: str, service: str, state_credentials: Any = None) -> Any:
        made.append(service)
        return original(region, service, state_credentials)

    monkeypatch.setitem(sfn_speed._originals, "client_for", counting)
    sfn_speed._clients.clear()  # a cache: emptied, the next task makes its client again
    bucket = "seams-shared-client"  # a bucket of its own: no object event reaches the stack's Lambdas
    cloud.client("s3").create_bucket(Bucket=bucket)
    cloud.client("s3").put_object(Bucket=bucket, Key="seams/shared-client.txt", Body=b"as stored")
    definition = _read_twice(bucket)

    first = run_definition(cloud, "shared-client-1", definition, payload={"key": "seams/shared-client.txt"})
    assert first["status"] == "SUCCEEDED", first
    assert json.loads(first["output"])["second"] == {"length": len(b"as stored")}
    assert made == ["s3"]  # two tasks, one client

    assert cloud.api_faults is not None
    fault = cloud.api_faults.fail("s3", "HeadObject", error=S3_SLOW_DOWN, times=1, unretried_only=True)
    try:
        second = run_definition(
            cloud, "shared-client-2", definition, payload={"key": "seams/shared-client.txt"}
        )
    finally:
        cloud.api_faults.clear()
    assert made == ["s3"]  # the cached client served the second execution too ...
    assert fault.fired == 1  # ... and the fault armed after it was made reached it
    assert second["status"] == "FAILED", second


def test_uninstall_gives_moto_back_its_clients_and_parser_and_drops_every_shared_client(
    cloud: LocalCloud,
) -> None:
    from moto.stepfunctions.parser.asl.utils import boto_client, json_path

    assert json_path.parse is sfn_speed._parsed_json_path
    copiers = [importlib.import_module(name) for name in sfn_speed._DATA_COPIERS]
    assert all(holder.copy is sfn_speed._pickle_copy for holder in copiers)
    sfn_speed._shared_client_for(REGION, "s3")
    holders = list(sfn_speed._client_holders)
    assert holders and all(holder.boto_client_for is sfn_speed._shared_client_for for holder in holders)
    sfn_speed.uninstall()
    try:
        assert all(holder.boto_client_for is boto_client.boto_client_for for holder in holders)
        assert json_path.parse is jsonpath_ng.ext.parse
        assert all(holder.copy is copy for holder in copiers)
        # a caller that kept the function (sfn_sagemaker looks it up once) gets moto's behaviour back
        assert sfn_speed._shared_client_for(REGION, "s3") is not sfn_speed._shared_client_for(REGION, "s3")
        assert not sfn_speed._clients  # the next cloud's session, hooks and port get clients of their own
    finally:
        sfn_speed.install()  # the module's cloud runs on
    assert json_path.parse is sfn_speed._parsed_json_path


def test_each_json_path_is_parsed_once(cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    original = jsonpath_ng.ext.parse

    def counting(path: str, debug: bool | None = None) -> Any:
        parsed.append(path)
        return original(path, debug)

    monkeypatch.setattr(jsonpath_ng.ext, "parse", counting)
    sfn_speed._parsed_json_path.cache_clear()
    definition = {
        "StartAt": "Pick",
        "States": {
            "Pick": {
                "Type": "Pass",
                "Parameters": {"total.$": "$.numbers.total", "first.$": "$.numbers.items[0]"},
                "End": True,
            }
        },
    }
    payload = {"numbers": {"total": 6, "items": [1, 2, 3]}}
    outputs = [
        json.loads(run_definition(cloud, f"json-paths-{i}", definition, payload=payload)["output"])
        for i in range(3)
    ]
    assert outputs == [{"total": 6, "first": 1}] * 3
    assert sorted(parsed) == ["$.numbers.items[0]", "$.numbers.total"]  # three executions, two parses


def test_state_data_is_copied_as_deepcopy_copies_it() -> None:
    shared = {"rows": [1, 2.5, None], "name": "é"}
    data = {"a": shared, "b": shared, "flags": (True, False), "nan": float("nan"), "big": 10**30}
    copied = sfn_speed._copy_data(data)
    assert copied is not data and copied["a"] is not shared
    assert copied["a"] is copied["b"]  # shared references stay shared, as deepcopy keeps them
    assert repr(copied) == repr(copy.deepcopy(data))
    copied["a"]["rows"].append(3)
    assert shared["rows"] == [1, 2.5, None]  # nothing reaches back into the original
    unpicklable = {"lock": threading.Lock(), "local": lambda: None}
    with pytest.raises(TypeError):  # what deepcopy refuses is refused the same way
        sfn_speed._copy_data(unpicklable)
    local = {"call": lambda: None}
    assert sfn_speed._copy_data(local)["call"] is local["call"]  # deepcopy's answer when pickle has none


def test_check_fails_loudly_when_a_copying_module_uses_more_of_copy(monkeypatch: pytest.MonkeyPatch) -> None:
    holder = importlib.import_module(sfn_speed._DATA_COPIERS[0])
    real = sfn_speed.source
    monkeypatch.setattr(
        sfn_speed, "source", lambda target: real(target) + ("\nx = copy.copy(y)" if target is holder else "")
    )
    with pytest.raises(MotoHookMovedError, match="more of the copy module"):
        sfn_speed.check()
