"""The ``events/`` samples as runnable cases: what each needs in the bucket, and what its handler must answer.

One copy for every runner of the samples: the functional tests (handlers in process on moto), the artifact
tests (the built layer in a fresh runtime interpreter, against the local cloud) and ``sam local invoke``
against ``drift-retrain local serve`` (tests/sam_local). A case stages the objects its event names, then
checks the handler's response; staging leaves what is already there alone, so a served cloud with a
bootstrapped model keeps its baseline.

The samples name the bucket of the stack ``drift-retrain`` as the local cloud deploys it
(:data:`SAMPLE_BUCKET`); against a deployed stack, put your bucket's name in their place (docs/deployment.md,
"sam local invoke").
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from botocore.exceptions import ClientError

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.profile import BaselineProfile, build_profile
from drift_retrain.engine.schema import infer_schema
from drift_retrain.engine.summary import summarize_source
from drift_retrain.layout import partition_check_keys
from drift_retrain_local.demos.data import LABEL as DEMO_LABEL
from drift_retrain_local.demos.data import features, labelled, rule_a, rule_b
from drift_retrain_local.sagemaker.capture import CaptureSettings, capture_record

__all__ = [
    "EVENTS_DIR",
    "SAMPLES",
    "SAMPLE_BUCKET",
    "SAMPLE_LABEL",
    "SAMPLE_STACK",
    "Sample",
    "StageContext",
    "load_event",
    "sample_frame",
]

EVENTS_DIR = Path(__file__).resolve().parents[3] / "events"
#: The stack name of ``local serve`` (and samconfig.toml's); the local cloud names its bucket after it.
SAMPLE_STACK = "drift-retrain"
SAMPLE_BUCKET = f"{SAMPLE_STACK}-databucket"
#: The template's LabelColumn default.
SAMPLE_LABEL = "label"
PROFILE_KEY = "baseline/current/profile.json"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS_DIR / name).read_text())


def sample_frame(rows: int, seed: int, *, changed: bool = False) -> pd.DataFrame:
    """The demo's applicants (label first): rule A, or rule B after the change (``changed``)."""
    rng = np.random.default_rng(seed)
    frame = labelled(features(rows, rng), rule_b if changed else rule_a, rng)
    return frame.rename(columns={DEMO_LABEL: SAMPLE_LABEL})


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


@dataclass
class StageContext:
    """Where a case stages its objects: clients of the (local) cloud, the bucket, the function's environment."""

    client: Callable[[str], Any]
    bucket: str = SAMPLE_BUCKET
    environment: Mapping[str, str] = field(default_factory=dict)

    def exists(self, key: str) -> bool:
        try:
            self.client("s3").head_object(Bucket=self.bucket, Key=key)
        except ClientError:
            return False
        return True

    def put(self, key: str, body: bytes) -> None:
        self.client("s3").put_object(Bucket=self.bucket, Key=key, Body=body)

    def profile(self) -> BaselineProfile:
        """The baseline in the bucket (uploaded first when there is none)."""
        self.ensure_profile()
        body = self.client("s3").get_object(Bucket=self.bucket, Key=PROFILE_KEY)["Body"].read()
        return BaselineProfile.from_json_bytes(body)

    def ensure_profile(self) -> bool:
        """Upload a baseline profile unless one is there; whether one was there before."""
        if self.exists(PROFILE_KEY):
            return True
        frame = sample_frame(2000, seed=1)
        self.put(PROFILE_KEY, build_profile(frame, infer_schema(frame, label=SAMPLE_LABEL)).to_json_bytes())
        return False


@dataclass(frozen=True)
class Sample:
    """One ``events/`` file, the function that takes it, and how to stage and check a run of it."""

    event: str
    function: str
    logical_id: str
    stage: Callable[[StageContext, dict[str, Any]], dict[str, Any]]
    check: Callable[[dict[str, Any], dict[str, Any], dict[str, Any]], None]

    def load(self) -> dict[str, Any]:
        return load_event(self.event)


# ----------------------------------------------------------------------------------------------- DetectDrift
def _stage_batch(ctx: StageContext, event: dict[str, Any]) -> dict[str, Any]:
    ctx.ensure_profile()
    key = event["detail"]["object"]["key"]
    body = _csv(sample_frame(1000, seed=5))
    ctx.put(key, gzip.compress(body) if key.endswith(".gz") else body)
    return {"key": key}


def _check_batch(result: dict[str, Any], event: dict[str, Any], staged: dict[str, Any]) -> None:
    assert result.get("status") == "checked", result
    assert result["key"] == staged["key"]
    assert result["report_key"].startswith("reports/drift/") and result["batch_id"] in result["report_key"]
    assert result["drifted_features"] == [] and result["retrain"] is False, result


def _check_ignored(result: dict[str, Any], event: dict[str, Any], staged: dict[str, Any]) -> None:
    assert result.get("status") == "ignored", result
    assert "outside incoming/" in result["message"]


# ------------------------------------------------------------------------------------------------ workflow
def _stage_window(ctx: StageContext, event: dict[str, Any]) -> dict[str, Any]:
    ctx.ensure_profile()
    ctx.put(event["trigger"]["batch"]["key"], _csv(sample_frame(1234, seed=2, changed=True)))
    return {}


def _check_window(result: dict[str, Any], event: dict[str, Any], staged: dict[str, Any]) -> None:
    assert result["rows"]["test"] == 247, result["rows"]  # test_share 0.2 of the trigger's 1,234 rows
    assert result["candidates"] and result["candidates"][0]["strategy"] == "since_change"


def _stage_seed(ctx: StageContext, event: dict[str, Any]) -> dict[str, Any]:
    had_profile = ctx.exists(PROFILE_KEY)
    ctx.put(event["trigger"]["batch"]["key"], _csv(sample_frame(1000, seed=1)))
    return {"had_profile": had_profile}


def _check_seed(result: dict[str, Any], event: dict[str, Any], staged: dict[str, Any]) -> None:
    assert result["champion_profile_found"] is staged["had_profile"], result
    assert result["rows"]["train"] > 0 and result["rows"]["test"] > 0


def _stage_transforms(ctx: StageContext, event: dict[str, Any]) -> dict[str, Any]:
    """Transform outputs on the event's held-out rows: candidate 1 nearly always right, candidate 2 on the
    reversed labels, the champion a coin."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, event["data"]["test"]["rows"])
    outputs = [
        (event["transforms"]["candidates"][0]["output_uri"], labels * 0.9 + 0.05),
        (event["transforms"]["candidates"][1]["output_uri"], np.where(labels[::-1] > 0, 0.8, 0.2)),
        (event["transforms"]["champion"]["output_uri"], rng.uniform(size=len(labels))),
    ]
    for uri, predictions in outputs:
        key = uri.split("/", 3)[3] + "test.csv.out"
        ctx.put(key, "".join(f"{y},{p:.4f}\n" for y, p in zip(labels, predictions, strict=True)).encode())
    return {}


def _check_decision(result: dict[str, Any], event: dict[str, Any], staged: dict[str, Any]) -> None:
    assert result["decision"] == "promote" and result["winner"]["strategy"] == "since_change", result


def _stage_winner(ctx: StageContext, event: dict[str, Any]) -> dict[str, Any]:
    winner = event["evaluation"]["winner"]
    frame = sample_frame(500, seed=3)
    profile = build_profile(frame, infer_schema(frame, label=SAMPLE_LABEL))
    ctx.put(winner["candidate_profile"]["key"], profile.to_json_bytes())
    ctx.put(winner["raw_training_data"]["key"], gzip.compress(_csv(frame)))
    # The winner's transform output on the held-out rows (label,probability): its prediction reference.
    output = next(c["output_uri"] for c in event["transforms"]["candidates"] if c["id"] == winner["id"])
    labels = frame[SAMPLE_LABEL].to_numpy()[:200]
    lines = "".join(f"{y},{0.8 if y else 0.2}\n" for y in labels)
    ctx.put(f"{output.split('/', 3)[3]}test-data.csv.out", lines.encode())
    return {"version": _registered(ctx, ctx.environment.get("MODEL_PACKAGE_GROUP")) + 1}


def _registered(ctx: StageContext, group: str | None) -> int:
    """Versions in the model package group (a served cloud's bootstrap registered the first)."""
    if not group:
        return 0
    try:
        packages = ctx.client("sagemaker").list_model_packages(ModelPackageGroupName=group)
    except ClientError:
        return 0
    return len(packages["ModelPackageSummaryList"])


def _check_promotion(result: dict[str, Any], event: dict[str, Any], staged: dict[str, Any]) -> None:
    assert result["model_package_arn"].endswith(f"/{staged['version']}"), result


def _stage_nothing(ctx: StageContext, event: dict[str, Any]) -> dict[str, Any]:
    return {}


def _check_published(result: dict[str, Any], event: dict[str, Any], staged: dict[str, Any]) -> None:
    assert result["message_id"] and result["outcome"] == event["outcome"], result


def _check_ab_started(result: dict[str, Any], event: dict[str, Any], staged: dict[str, Any]) -> None:
    assert result["record"].endswith("/ab/current.json") and result["started_at"], result


def _stage_ab_record(ctx: StageContext, event: dict[str, Any]) -> dict[str, Any]:
    """An open A/B record of the event's execution (what the start action wrote)."""
    record = {
        "execution_arn": event["execution_arn"],
        "evidence": {"batches": [], "totals": {}},
        "decision": None,
    }
    ctx.put("ab/current.json", json.dumps(record).encode())
    return {}


def _check_ab_closed(result: dict[str, Any], event: dict[str, Any], staged: dict[str, Any]) -> None:
    assert result["found"] is True and result["evidence"]["rows"] == 0, result


# ------------------------------------------------------------------------------------ the partition check
#: The part the partition check's samples name: its bytes are fixed (seeded rows as CSV), so the ETag that
#: events/summarise_part.json pins the part to is their MD5, as S3 gives it.
PART_ROWS = 1000


def _part_body() -> bytes:
    return _csv(sample_frame(PART_ROWS, seed=5))


def _stage_part(ctx: StageContext, event: dict[str, Any]) -> dict[str, Any]:
    ctx.ensure_profile()
    part, body = event["part"], _part_body()
    md5 = hashlib.md5(body, usedforsecurity=False).hexdigest()
    assert part["etag"] == md5 and part["size"] == len(body), (
        "events/summarise_part.json pins the part to etag "
        f"{part['etag']!r}, size {part['size']}; the staged part is {md5!r}, {len(body)} bytes: write those "
        "into the event"
    )
    ctx.put(part["key"], body)
    return {"partials": partition_check_keys(event["batch"]["batch_id"])[1]}


def _check_part(result: dict[str, Any], event: dict[str, Any], staged: dict[str, Any]) -> None:
    part = event["part"]
    assert "invalid" not in result, result
    assert (result["index"], result["key"], result["etag"]) == (part["index"], part["key"], part["etag"])
    assert result["partial_key"] == f"{staged['partials']}{part['index']:05d}.json", result


def _stage_map_results(ctx: StageContext, event: dict[str, Any]) -> dict[str, Any]:
    """One part's summary and the map's results that name it, written as SummarisePart and the
    Distributed Map's ResultWriter write them, at the keys the event names."""
    batch, results = event["batch"], event["results"]
    key = batch["key"].rsplit("/", 1)[0] + "/part-00000.csv"
    summary = summarize_source(ctx.profile(), _part_body(), DriftConfig(), part=key)
    partial_key = f"{partition_check_keys(batch['batch_id'])[1]}00000.json"
    ctx.put(partial_key, json.dumps(summary.to_json()).encode())
    item = {"index": 0, "key": key, "etag": None, "size": len(_part_body())}
    child = {"part": item, "batch": batch, "champion_variant": event.get("champion_variant")}
    output = {"index": 0, "key": key, "etag": None, "partial_key": partial_key}
    folder = results["Key"].rsplit("/", 1)[0] + "/"
    succeeded = [{"Input": json.dumps(child), "Output": json.dumps(output), "Status": "SUCCEEDED"}]
    ctx.put(f"{folder}SUCCEEDED_0.json", json.dumps(succeeded).encode())
    files = {"FAILED": [], "PENDING": [], "SUCCEEDED": [{"Key": f"{folder}SUCCEEDED_0.json"}]}
    ctx.put(
        results["Key"], json.dumps({"DestinationBucket": results["Bucket"], "ResultFiles": files}).encode()
    )
    return {"key": batch["key"]}


def _check_reduced(result: dict[str, Any], event: dict[str, Any], staged: dict[str, Any]) -> None:
    assert result.get("status") == "checked", result
    assert result["key"] == staged["key"] and result["batch_id"] == event["batch"]["batch_id"], result
    assert result["report_key"] == f"reports/drift/{event['batch']['batch_id']}.json", result
    assert result["drifted_features"] == [] and result["retrain"] is False, result


# ------------------------------------------------------------------------------------------ MonitorCapture
def _stage_capture(ctx: StageContext, event: dict[str, Any]) -> dict[str, Any]:
    """A Data Capture file of 20 requests at the event's key, laid out as SageMaker writes it."""
    ctx.ensure_profile()
    key = event["detail"]["object"]["key"]
    frame = sample_frame(20, seed=7).drop(columns=[SAMPLE_LABEL])
    settings = CaptureSettings(
        bucket=ctx.bucket,
        prefix="capture",
        sampling_percentage=100.0,
        capture_input=True,
        capture_output=True,
        csv_content_types=frozenset({"text/csv"}),
    )
    lines = [
        json.dumps(
            capture_record(
                event_id=f"sample-{i}",
                inference_time=datetime(2024, 5, 14, 9, 28, 13, tzinfo=UTC),
                settings=settings,
                request=",".join(str(v) for v in row).encode(),
                request_type="text/csv",
                response=b"0.25",
                response_type="text/csv; charset=utf-8",
            )
        )
        for i, row in enumerate(frame.itertuples(index=False))
    ]
    ctx.put(key, ("\n".join(lines) + "\n").encode("utf-8"))
    return {"key": key}


def _check_capture(result: dict[str, Any], event: dict[str, Any], staged: dict[str, Any]) -> None:
    assert result.get("status") == "capture" and result["key"] == staged["key"], result
    assert result["rows"] == 20 or result["duplicate"], result  # a served cloud's rule may have read it first


def _check_tick(result: dict[str, Any], event: dict[str, Any], staged: dict[str, Any]) -> None:
    assert result.get("status") == "tick", result


SAMPLES: tuple[Sample, ...] = (
    Sample(
        "detect_drift_object_created.json", "detect_drift", "DetectDriftFunction", _stage_batch, _check_batch
    ),
    Sample(
        "detect_drift_object_created_unversioned.json",
        "detect_drift",
        "DetectDriftFunction",
        _stage_batch,
        _check_batch,
    ),
    Sample(
        "detect_drift_object_created_outside_prefix.json",
        "detect_drift",
        "DetectDriftFunction",
        _stage_nothing,
        _check_ignored,
    ),
    Sample(
        "monitor_capture.json", "monitor_capture", "MonitorCaptureFunction", _stage_capture, _check_capture
    ),
    Sample(
        "monitor_capture_tick.json",
        "monitor_capture",
        "MonitorCaptureFunction",
        lambda ctx, event: {"profile": ctx.ensure_profile()},
        _check_tick,
    ),
    Sample(
        "prepare_training_data.json",
        "prepare_training_data",
        "PrepareTrainingDataFunction",
        _stage_window,
        _check_window,
    ),
    Sample(
        "prepare_training_data_bootstrap.json",
        "prepare_training_data",
        "PrepareTrainingDataFunction",
        _stage_seed,
        _check_seed,
    ),
    Sample(
        "evaluate_candidate.json",
        "evaluate_candidate",
        "EvaluateCandidateFunction",
        _stage_transforms,
        _check_decision,
    ),
    Sample("promote_model.json", "promote_model", "PromoteModelFunction", _stage_winner, _check_promotion),
    Sample("notify.json", "notify", "NotifyFunction", _stage_nothing, _check_published),
    Sample("notify_promoted.json", "notify", "NotifyFunction", _stage_nothing, _check_published),
    Sample("ab_test.json", "ab_test", "AbTestFunction", _stage_nothing, _check_ab_started),
    Sample("ab_test_finish.json", "ab_test", "AbTestFunction", _stage_ab_record, _check_ab_closed),
    Sample("summarise_part.json", "summarise_part", "SummarisePartFunction", _stage_part, _check_part),
    Sample(
        "check_partition.json",
        "check_partition",
        "CheckPartitionFunction",
        _stage_map_results,
        _check_reduced,
    ),
)
