"""Distributed Map on the embedded cloud as on AWS (seams/sfn_distributed_map.py): an integer
ToleratedFailurePercentage parses, a failed child fails the map past the threshold (Catch sees
States.ExceedToleratedFailureThreshold), ResultWriter writes AWS's manifest and result files (also for a
failed run), the ItemReader reads a JSON manifest or an S3 listing, and MaxConcurrency bounds the workers."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from support.executions import ROLE, run_definition

from drift_retrain_local.cloud.local_cloud import LocalCloud
from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.seams import sfn_distributed_map as seam

ITERATION = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component"
)


def _bucket(cloud: LocalCloud) -> str:
    return cloud.stack.bucket


def _map(
    cloud: LocalCloud, name: str, *, reader: dict[str, Any], tolerated: int = 0, concurrency: int = 2
) -> dict[str, Any]:
    """A Distributed Map whose child fails for the item with key ``bad`` (a Fail state naming it)."""
    child = {
        "StartAt": "Bad?",
        "States": {
            "Bad?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.item.key", "StringMatches": "*bad*", "Next": "Fail"}],
                "Default": "Done",
            },
            "Done": {"Type": "Pass", "Parameters": {"summarised.$": "$.item.key"}, "End": True},
            "Fail": {"Type": "Fail", "Error": "PartBroken", "Cause": "this part cannot be read"},
        },
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
    }
    return {
        "StartAt": "Map",
        "States": {
            "Map": {
                "Type": "Map",
                "Label": "Parts",
                "ItemReader": reader,
                "ItemSelector": {"item.$": "$$.Map.Item.Value"},
                "MaxConcurrency": concurrency,
                "ToleratedFailurePercentage": tolerated,
                "ItemProcessor": child,
                "ResultWriter": {
                    "Resource": "arn:aws:states:::s3:putObject",
                    "Parameters": {"Bucket": _bucket(cloud), "Prefix": f"dmap/{name}"},
                },
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }


def _manifest_reader(cloud: LocalCloud, name: str, keys: list[str]) -> dict[str, Any]:
    key = f"dmap/{name}/items.json"
    cloud.client("s3").put_object(Bucket=_bucket(cloud), Key=key, Body=json.dumps([{"key": k} for k in keys]))
    return {
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "JSON"},
        "Parameters": {"Bucket": _bucket(cloud), "Key": key},
    }


def _read(cloud: LocalCloud, key: str) -> Any:
    return json.loads(cloud.client("s3").get_object(Bucket=_bucket(cloud), Key=key)["Body"].read())


def test_results_are_written_as_aws_writes_them(cloud: LocalCloud) -> None:
    reader = _manifest_reader(cloud, "ok", ["a", "b", "c"])
    done = run_definition(cloud, "dmap-ok", _map(cloud, "ok", reader=reader), timeout=30)
    assert done["status"] == "SUCCEEDED", done
    output = json.loads(done["output"])
    assert set(output) == {"MapRunArn", "ResultWriterDetails"}
    manifest = _read(cloud, output["ResultWriterDetails"]["Key"])
    assert output["ResultWriterDetails"]["Key"].startswith("dmap/ok/")
    assert manifest["DestinationBucket"] == _bucket(cloud) and manifest["MapRunArn"] == output["MapRunArn"]
    assert manifest["ResultFiles"]["FAILED"] == [] and len(manifest["ResultFiles"]["SUCCEEDED"]) == 1
    entries = _read(cloud, manifest["ResultFiles"]["SUCCEEDED"][0]["Key"])
    assert [json.loads(e["Output"]) for e in entries] == [{"summarised": k} for k in "abc"]
    assert [json.loads(e["Input"]) for e in entries] == [
        {"item": {"key": k}} for k in "abc"
    ]  # after ItemSelector
    assert {e["Status"] for e in entries} == {"SUCCEEDED"}


def test_a_failed_child_fails_the_map_and_its_results_say_which_and_why(cloud: LocalCloud) -> None:
    reader = _manifest_reader(cloud, "failing", ["a", "bad-1", "c"])
    done = run_definition(cloud, "dmap-failing", _map(cloud, "failing", reader=reader), timeout=30)
    assert done["status"] == "SUCCEEDED"  # the Catch took it
    caught = json.loads(done["output"])["error"]
    assert caught["Error"] == "States.ExceedToleratedFailureThreshold"
    assert "1 of 3 items failed" in caught["Cause"]
    listed = cloud.client("s3").list_objects_v2(Bucket=_bucket(cloud), Prefix="dmap/failing/")["Contents"]
    manifest = _read(cloud, next(o["Key"] for o in listed if o["Key"].endswith("/manifest.json")))
    failed = [e for f in manifest["ResultFiles"]["FAILED"] for e in _read(cloud, f["Key"])]
    assert [(json.loads(e["Input"])["item"]["key"], e["Error"], e["Cause"]) for e in failed] == [
        ("bad-1", "PartBroken", "this part cannot be read")
    ]


def test_failures_within_the_tolerated_percentage_leave_the_map_succeeded(cloud: LocalCloud) -> None:
    reader = _manifest_reader(cloud, "tolerant", ["a", "bad-1", "c"])
    done = run_definition(
        cloud, "dmap-tolerant", _map(cloud, "tolerant", reader=reader, tolerated=50), timeout=30
    )
    assert done["status"] == "SUCCEEDED" and "error" not in json.loads(done["output"])


def test_the_item_reader_lists_s3_too(cloud: LocalCloud) -> None:
    s3 = cloud.client("s3")
    for key in ("x", "y"):
        s3.put_object(Bucket=_bucket(cloud), Key=f"dmap-listing/part-{key}", Body=b"1")
    reader = {
        "Resource": "arn:aws:states:::s3:listObjectsV2",
        "Parameters": {"Bucket": _bucket(cloud), "Prefix": "dmap-listing/"},
    }
    definition = _map(cloud, "listing", reader=reader)
    definition["States"]["Map"]["ItemSelector"] = {"item": {"key.$": "$$.Map.Item.Value.Key"}}
    done = run_definition(cloud, "dmap-listing", definition, timeout=30)
    manifest = _read(cloud, json.loads(done["output"])["ResultWriterDetails"]["Key"])
    entries = _read(cloud, manifest["ResultFiles"]["SUCCEEDED"][0]["Key"])
    assert sorted(json.loads(e["Output"])["summarised"] for e in entries) == [
        "dmap-listing/part-x",
        "dmap-listing/part-y",
    ]


def test_max_concurrency_bounds_the_workers(cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    component = importlib.import_module(ITERATION).DistributedIterationComponent
    launched: list[int] = []
    original = component._launch_worker

    def counted(self, *args: Any, **kwargs: Any) -> Any:
        launched.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(component, "_launch_worker", counted)
    reader = _manifest_reader(cloud, "bounded", [str(i) for i in range(7)])
    done = run_definition(
        cloud, "dmap-bounded", _map(cloud, "bounded", reader=reader, concurrency=3), timeout=30
    )
    assert done["status"] == "SUCCEEDED" and len(launched) == 3


def test_an_integer_percentage_parses_and_the_stored_definition_is_unchanged(cloud: LocalCloud) -> None:
    text = json.dumps(_map(cloud, "stored", reader=_manifest_reader(cloud, "stored", ["a"]), tolerated=5))
    assert seam.with_decimal_percentages(text).count('"ToleratedFailurePercentage": 5.0') == 1
    sfn = cloud.client("stepfunctions")
    arn = sfn.create_state_machine(name="dmap-stored", definition=text, roleArn=ROLE)["stateMachineArn"]
    assert sfn.describe_state_machine(stateMachineArn=arn)["definition"] == text


def test_every_hooked_moto_symbol_is_where_moto_5_2_5_has_it() -> None:
    seam.check()


def test_check_fails_loudly_when_moto_moves_a_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    component = importlib.import_module(ITERATION).DistributedIterationComponent
    monkeypatch.delattr(component, "_map_run")
    with pytest.raises(MotoHookMovedError, match="_map_run is gone"):
        seam.check()
