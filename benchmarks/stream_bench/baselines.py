"""Baseline policies scored prequentially, with the service's own trainer, outside the service.

Why "the same trainer": a baseline that trained differently (other hyperparameters, other split, other
encoding) would measure the trainer, not the retraining policy. So a baseline's retrain does what one
service training job does on the same window: ``split_window`` (the service's seeded split: the test
share held out from the newest rows, a validation channel) -> ``build_profile`` + ``FeatureEncoder`` (the
category codes) -> label-first CSV channels -> ``run_training_job`` (the local SageMaker's built-in
XGBoost, with the HyperParameters, AlgorithmSpecification and StoppingCondition copied from the service's
own bootstrap training job) -> ``load_model`` + ``predict`` (the serving container's prediction, early
stopping's best iteration included) -> ``prediction_losses`` (DetectDrift's error definition).
The channels go to a scratch bucket of the running local cloud; nothing touches the service's bucket.

Policies (W = window in batches, k = period):
- never: the first model forever;
- every_batch: after each batch, retrain on the newest W batches;
- periodic: after every k-th batch, retrain on the newest W batches;
- oracle: knows the change points: after each change, retrains on post-change batches only (up to W),
  after every batch until its window holds W batches of the settled concept (see scenarios.Scenario).
Batch i is always scored by the model trained on batches before i. Two policies retraining on the same
window get the same (seeded) model, trained once; each policy is still charged for its own job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.encoding import FeatureEncoder, to_csv_rows
from drift_retrain.engine.performance import encode_labels, prediction_losses
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.reading import read_csv
from drift_retrain.engine.schema import Schema, infer_schema
from drift_retrain.workflow.prepare_training_data.window import WindowSettings, split_seed, split_window
from drift_retrain_local.sagemaker.model_artifact import load_model, predict
from drift_retrain_local.sagemaker.training import run_training_job

__all__ = ["POLICIES", "BaselineRun", "Trainer", "read_frames", "run_baselines"]

POLICIES = ("never", "every_batch", "periodic", "oracle")
SCRATCH_BUCKET = "stream-bench-baselines"


def read_frames(train_csv: bytes, batches: Sequence[bytes], label: str) -> tuple[Schema, pd.DataFrame, list]:
    """Schema inferred as the bootstrap does; every file read back with it, as DetectDrift reads it."""
    raw = read_csv(train_csv, label=label)
    schema = infer_schema(raw.frame, label=label)
    train = read_csv(train_csv, schema=schema).frame
    frames = [read_csv(body, schema=schema).frame for body in batches]
    return schema, train, frames


@dataclass
class Model:
    """A trained model with the encoder of its own training rows."""

    encoder: FeatureEncoder
    loaded: Any
    seconds: int  # the local job's TrainingTimeInSeconds (billable, >= 1)
    rows: int

    def error(self, frame: pd.DataFrame, schema: Schema) -> float:
        predictions = predict(self.loaded, self.encoder.transform(frame))
        losses = prediction_losses(schema.task, frame[schema.label], predictions, schema.classes)
        return float(np.mean(losses))


class Trainer:
    """One training job per ``fit``, exactly as the service would run it on the same window."""

    def __init__(self, s3: Any, schema: Schema, template_job: dict[str, Any], window: WindowSettings):
        self.s3 = s3
        self.schema = schema
        self.job = template_job
        self.window = window
        self.count = 0
        self.s3.create_bucket(Bucket=SCRATCH_BUCKET)

    def _encoded(self, encoder: FeatureEncoder, frame: pd.DataFrame) -> bytes:
        labels = encode_labels(frame[self.schema.label], self.schema.classes)
        return to_csv_rows(encoder.transform(frame), labels).encode("utf-8")

    def fit(self, frames: Sequence[tuple[str, pd.DataFrame]]) -> Model:
        """Train on ``frames`` (name, rows), newest first; the first one's name seeds the split."""
        self.count += 1
        split = split_window(
            list(frames),
            self.window,
            seed=split_seed(self.window.seed, {"batch_id": frames[0][0]}),
            label=self.schema.label,
            classification=self.schema.is_classification,
        )
        profile = build_profile(pd.concat([split.train, split.validation], ignore_index=True), self.schema)
        encoder = FeatureEncoder.from_profile(profile)
        root = f"job-{self.count:04d}"
        channels = []
        for name, rows in (("train", split.train), ("validation", split.validation)):
            key = f"{root}/{name}/{name}.csv"
            self.s3.put_object(Bucket=SCRATCH_BUCKET, Key=key, Body=self._encoded(encoder, rows))
            source = {"S3DataType": "S3Prefix", "S3Uri": f"s3://{SCRATCH_BUCKET}/{root}/{name}/"}
            channels.append(
                {"ChannelName": name, "ContentType": "text/csv", "DataSource": {"S3DataSource": source}}
            )
        request = {
            "TrainingJobName": f"baseline-{root}",
            "AlgorithmSpecification": self.job.get("AlgorithmSpecification") or {"TrainingInputMode": "File"},
            "HyperParameters": dict(self.job["HyperParameters"]),
            "InputDataConfig": channels,
            "OutputDataConfig": {"S3OutputPath": f"s3://{SCRATCH_BUCKET}/{root}/output"},
            "StoppingCondition": dict(self.job.get("StoppingCondition") or {}),
        }
        outcome = run_training_job(request, self.s3)
        if outcome.TrainingJobStatus != "Completed" or not outcome.ModelArtifacts:
            raise RuntimeError(f"baseline training job failed: {outcome.FailureReason}")
        uri = outcome.ModelArtifacts["S3ModelArtifacts"]
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        loaded = load_model(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        return Model(encoder, loaded, int(outcome.BillableTimeInSeconds), len(split.train))


@dataclass
class BaselineRun:
    """Per-batch prequential errors of one policy and after which batches it retrained."""

    policy: str
    errors: list[float] = field(default_factory=list)
    retrain_after: list[int] = field(default_factory=list)
    job_seconds: list[int] = field(default_factory=list)
    seconds: float = 0.0


def _oracle_window(scenario: Any, b: int, w: int) -> list[int] | None:
    """Batches the oracle retrains on after batch ``b`` (None: no retrain)."""
    if scenario.oracle_every:
        return list(range(max(0, b - (scenario.oracle_window or w) + 1), b + 1))
    for start, stable in reversed(scenario.segments):
        if start <= b:
            if b < stable + w:
                return list(range(max(start, b - w + 1), b + 1))
            return None
    return None


def schedule(policy: str, scenario: Any, b: int, w: int, k: int) -> list[int] | None:
    """Which batches ``policy`` retrains on after batch ``b``'s labels (None: keeps its model)."""
    if policy == "never":
        return None
    if policy == "every_batch":
        return list(range(max(0, b - w + 1), b + 1))
    if policy == "periodic":
        return list(range(max(0, b - w + 1), b + 1)) if (b + 1) % k == 0 else None
    if policy == "oracle":
        return _oracle_window(scenario, b, w)
    raise ValueError(policy)


def run_baselines(
    trainer: Trainer,
    scenario: Any,
    train: pd.DataFrame,
    frames: Sequence[pd.DataFrame],
    *,
    w: int,
    k: int,
    log: Callable[[str], None],
) -> tuple[dict[str, BaselineRun], Model]:
    """Score every policy on every batch; returns the runs and the shared first model."""
    started = time.monotonic()
    first = trainer.fit([("bootstrap", train)])  # the bootstrap's own split seed: the same first model
    log(f"  baselines: first model trained ({first.seconds} s job)")
    names = [f"batch-{i:02d}" for i in range(len(frames))]
    runs: dict[str, BaselineRun] = {}
    fitted: dict[tuple[int, ...], Model] = {}
    never_errors = [first.error(frame, trainer.schema) for frame in frames]
    for policy in POLICIES:
        clock = time.monotonic()
        run = BaselineRun(policy)
        model = first
        for b, frame in enumerate(frames):
            run.errors.append(never_errors[b] if model is first else model.error(frame, trainer.schema))
            window = schedule(policy, scenario, b, w, k)
            if window is not None:  # after the last batch too: a deployed policy would pay for it
                key = tuple(window)
                if key not in fitted:  # the same window trains the same model (seeded): train it once
                    fitted[key] = trainer.fit([(names[i], frames[i]) for i in reversed(window)])
                model = fitted[key]
                run.retrain_after.append(b)
                run.job_seconds.append(model.seconds)
        run.seconds = time.monotonic() - clock
        runs[policy] = run
        log(f"  baselines: {policy}: {len(run.retrain_after)} retrains, {run.seconds:.0f} s")
    log(f"  baselines done in {time.monotonic() - started:.0f} s")
    return runs, first
