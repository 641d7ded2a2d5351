"""Shared pieces of the state-machine tests: tiny data with known drift, a bootstrapped local cloud, and
helpers to read what the workflow left behind."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain_local.cloud.local_cloud import LocalCloud, local_cloud
from drift_retrain_local.demos.data import LABEL, features, labelled, rule_a, rule_b
from drift_retrain_local.run.batches import BatchRunner
from drift_retrain_local.run.local_run import LOCAL_SETTINGS
from drift_retrain_local.run.observe import child_executions
from drift_retrain_local.stack.deploy import DeployedStack

#: The local run's parameters and settings, with a smaller retrain threshold so batches stay tiny.
PARAMETERS = {"LabelColumn": LABEL}
SETTINGS = {**LOCAL_SETTINGS, "min_labelled_rows": 200}
TRAIN_ROWS = 2_000
BATCH_ROWS = 600
#: Most seconds any one delivery or execution may take (every wait is bounded).
TIMEOUT = 240.0


def _noise(frame: pd.DataFrame) -> np.ndarray:
    """Labels that no longer depend on the features: the champion gets worse, nothing can be learnt."""
    return np.random.default_rng(len(frame)).random(len(frame)) < 0.5


def batch_csv(kind: str, seed: int, rows: int = BATCH_ROWS) -> bytes:
    """``stable`` (rule A), ``concept`` (rule B), ``noise`` (random labels), ``covariate`` (shifted,
    unlabelled), ``shifted`` (shifted, labelled by rule A: P(y|x) held) or ``malformed`` (a row with an
    extra field)."""
    rng = np.random.default_rng(seed)
    if kind == "shifted":
        return labelled(features(rows, rng, shifted=True), rule_a, rng).to_csv(index=False).encode()
    if kind == "covariate":
        frame = features(rows, rng, shifted=True)
        frame.insert(0, LABEL, np.nan)
    elif kind == "malformed":
        lines = labelled(features(50, rng), rule_a, rng).to_csv(index=False).splitlines()
        lines[7] += ",unexpected"
        return ("\n".join(lines) + "\n").encode()
    else:
        rule = {"stable": rule_a, "concept": rule_b, "noise": _noise}[kind]
        frame = labelled(features(rows, rng), rule, rng)
    return frame.to_csv(index=False).encode()


@dataclass
class Harness:
    """A local cloud with a first model deployed, and a runner that follows each upload to its end."""

    cloud: LocalCloud
    runner: BatchRunner
    bootstrap: dict[str, Any]

    @property
    def s3(self) -> Any:
        return self.runner.s3

    @property
    def bucket(self) -> str:
        return self.runner.bucket

    @property
    def endpoint(self) -> str:
        return self.runner.endpoint

    def upload(self, name: str, body: bytes) -> dict[str, Any]:
        return self.runner.upload(name, body)

    def read_json(self, key: str) -> dict[str, Any]:
        return json.loads(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def exists(self, key: str) -> bool:
        return self.s3.list_objects_v2(Bucket=self.bucket, Prefix=key).get("KeyCount", 0) > 0

    def lock_released(self) -> bool:
        """No retrain holds the endpoint lock (every path out of the workflow releases it)."""
        lock = self.cloud.client("dynamodb").get_item(
            TableName=self.runner.stack.lock_table, Key={"LockId": {"S": self.endpoint}}
        )
        return "Item" not in lock

    def manifest(self, execution_name: str) -> dict[str, Any]:
        """The training manifest of an execution (which batches went in)."""
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix="training/"):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith("manifest.json"):
                    manifest = self.read_json(obj["Key"])
                    if manifest.get("execution_name") == execution_name:
                        return manifest
        raise AssertionError(f"no training manifest for {execution_name}")


@contextmanager
def bootstrapped_cloud(
    train_seed: int = 7, settings: dict[str, Any] | None = None, train_noise: float = 0.03, **parameters: Any
) -> Iterator[Harness]:
    """Start a local cloud (template parameters on top of ``PARAMETERS``, settings on top of ``SETTINGS``)
    and deploy a first model (rule A, ``train_noise`` of its labels flipped) through the bootstrap path."""
    with local_cloud(
        parameters={**PARAMETERS, **parameters},
        settings={**SETTINGS, **(settings or {})},
        simulated_time=True,
    ) as cloud:
        yield bootstrap(cloud, cloud.stack, train_seed, train_noise)


def bootstrap(
    cloud: LocalCloud, stack: DeployedStack, train_seed: int = 7, train_noise: float = 0.03
) -> Harness:
    """Deploy a first model (rule A) on ``stack`` of ``cloud`` through the bootstrap path."""
    runner = BatchRunner(cloud, echo=lambda line: None, timeout=TIMEOUT, stack=stack)
    rng = np.random.default_rng(train_seed)
    train = labelled(features(TRAIN_ROWS, rng), rule_a, rng, noise=train_noise).to_csv(index=False).encode()
    cloud.client("s3").put_object(Bucket=runner.bucket, Key="seed/train.csv", Body=train)
    entry = runner.bootstrap_key("seed/train.csv")
    assert entry["outcome"] == "promoted", entry
    return Harness(cloud, runner, entry)


def history(sfn: Any, arn: str) -> list[dict[str, Any]]:
    """Every history event of execution ``arn`` and of the child executions it started for its phases
    (each execution's events in order, the execution's own first)."""
    pages = sfn.get_paginator("get_execution_history")
    events = [e for page in pages.paginate(executionArn=arn) for e in page["events"]]
    for child in child_executions(sfn, arn).values():
        events += history(sfn, child)
    return events


@dataclass
class InvokingClient:
    """A client that keeps calling the endpoint from a thread, counting answers and failures."""

    harness: Harness
    rows: pd.DataFrame
    ok: int = 0
    failures: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def _loop(self) -> None:
        runtime = self.harness.cloud.client("sagemaker-runtime")
        profile = self.harness.read_json("baseline/current/profile.json")
        from drift_retrain.engine.encoding import FeatureEncoder, to_csv_rows
        from drift_retrain.engine.profile import BaselineProfile

        encoder = FeatureEncoder.from_profile(BaselineProfile.from_json_bytes(json.dumps(profile).encode()))
        body = to_csv_rows(encoder.transform(self.rows))
        while not self._stop.is_set():
            try:
                response = runtime.invoke_endpoint(
                    EndpointName=self.harness.endpoint, ContentType="text/csv", Body=body
                )
                answer = response["Body"].read().decode().strip().splitlines()
                if len(answer) != len(self.rows):
                    self.failures.append(f"{len(answer)} predictions for {len(self.rows)} rows")
                else:
                    self.ok += 1
            except Exception as error:  # every failed request counts, whatever it is
                self.failures.append(f"{type(error).__name__}: {error}")

    def __enter__(self) -> InvokingClient:
        self._thread = threading.Thread(target=self._loop, name="invoking-client", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join(timeout=30)
