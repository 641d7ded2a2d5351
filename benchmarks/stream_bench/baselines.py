"""Baseline policies scored prequentially, with the service's own trainer, outside the service.

Why "the same trainer": a baseline that trained differently (other hyperparameters, other split, other
encoding) would measure the trainer, not the retraining policy. So a baseline's retrain does what one
service training job does on the same window: ``split_window`` (the service's seeded split: the test
share held out from the newest rows, a validation channel) -> ``build_profile`` + ``FeatureEncoder`` (the
category codes) -> label-first CSV channels (PrepareTrainingData's ``encoded_csv``) ->
``run_training_job`` (the local SageMaker's built-in XGBoost, with the HyperParameters,
AlgorithmSpecification and StoppingCondition copied from the service's own bootstrap training job) ->
``load_model`` + ``predict`` (the serving container's prediction, early
stopping's best iteration included) -> ``prediction_losses`` (DetectDrift's error definition).
The channels go to a scratch bucket of the running local cloud; nothing touches the service's bucket.

Policies (W = window in batches, k = period):
- never: the first model forever;
- every_batch: after each batch, retrain on the newest W batches;
- newest_batch: after each batch, retrain on the newest batch alone;
- periodic: after every k-th batch, retrain on the newest W batches;
- linear_newest: after each batch, a linear model (the service's Linear Learner: logistic regression
  for classes, least squares for a target) on the newest batch alone;
- oracle: knows the change points: after each change, retrains on post-change batches only (up to W),
  after every batch until its window holds W batches of the settled concept (see scenarios.Scenario).
  With no change point to know (incremental drift, ``Scenario.hindsight``), the best window in
  hindsight: batch b is scored by each model trained on the newest 1..W batches before it, and the
  lowest error counts; when the training file is in time order its newest rows, cut into batch-sized
  chunks, stand in for the batches before batch 0.
Batch i is always scored by a model trained on rows before batch i. Two policies retraining on the same
window with the same algorithm get the same (seeded) model, trained once; each policy is still charged
for its own jobs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.encoding import FeatureEncoder
from drift_retrain.engine.performance import prediction_losses
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.reading import read_csv
from drift_retrain.engine.schema import Schema, infer_schema
from drift_retrain.workflow.prepare_training_data.channels import encoded_csv
from drift_retrain.workflow.prepare_training_data.window import WindowSettings, split_seed, split_window
from drift_retrain.workflow.shared.algorithms import (
    LINEAR_LEARNER,
    XGBOOST,
    AlgorithmSettings,
    algorithm_fields,
)
from drift_retrain_local.sagemaker.model_artifact import load_model, predict
from drift_retrain_local.sagemaker.training import run_training_job
from stream_bench.metrics import BASELINES, POLICIES

__all__ = [
    "BASELINES",
    "POLICIES",
    "BaselineRun",
    "Trainer",
    "history",
    "read_frames",
    "run_baselines",
    "schedule",
]

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

    def _algorithm(self, algorithm: str) -> tuple[dict[str, Any], dict[str, str]]:
        """AlgorithmSpecification and HyperParameters: the bootstrap job's own for XGBoost; for Linear
        Learner the service's (``algorithm_fields``) with its image in the same registry."""
        spec = dict(self.job.get("AlgorithmSpecification") or {"TrainingInputMode": "File"})
        if algorithm == XGBOOST:
            return spec, dict(self.job["HyperParameters"])
        registry = str(spec.get("TrainingImage") or "local").rsplit("/", 1)[0]
        image = f"{registry}/linear-learner:1"
        fields = algorithm_fields(
            LINEAR_LEARNER, self.schema, AlgorithmSettings(images={LINEAR_LEARNER: image}), {}
        )
        return {**spec, "TrainingImage": image}, dict(fields["hyperparameters"])

    def fit(
        self,
        frames: Sequence[tuple[str, pd.DataFrame]],
        algorithm: str = XGBOOST,
        trigger: Mapping[str, Any] | None = None,
    ) -> Model:
        """Train on ``frames`` (name, rows), newest first; ``trigger`` (the service's batch fields: key,
        etag) seeds the split as the service's would, else the newest frame's name does."""
        self.count += 1
        split = split_window(
            list(frames),
            self.window,
            seed=split_seed(self.window.seed, trigger or {"batch_id": frames[0][0]}),
            label=self.schema.label,
            classification=self.schema.is_classification,
        )
        profile = build_profile(pd.concat([split.train, split.validation], ignore_index=True), self.schema)
        encoder = FeatureEncoder.from_profile(profile)
        root = f"job-{self.count:04d}"
        channels = []
        for name, rows in (("train", split.train), ("validation", split.validation)):
            key = f"{root}/{name}/{name}.csv"
            self.s3.put_object(Bucket=SCRATCH_BUCKET, Key=key, Body=encoded_csv(encoder, rows, self.schema))
            source = {"S3DataType": "S3Prefix", "S3Uri": f"s3://{SCRATCH_BUCKET}/{root}/{name}/"}
            channels.append(
                {"ChannelName": name, "ContentType": "text/csv", "DataSource": {"S3DataSource": source}}
            )
        spec, hyperparameters = self._algorithm(algorithm)
        request = {
            "TrainingJobName": f"baseline-{root}",
            "AlgorithmSpecification": spec,
            "HyperParameters": hyperparameters,
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
    #: hindsight oracle only: per batch, how many of the newest batches the winning model trained on
    windows: list[int] = field(default_factory=list)


def _oracle_window(scenario: Any, b: int, w: int) -> list[int] | None:
    """Batches the change-point oracle retrains on after batch ``b`` (None: no retrain)."""
    for start, stable in reversed(scenario.segments):
        if start <= b:
            if b < stable + w:
                return list(range(max(start, b - w + 1), b + 1))
            return None
    return None


def schedule(policy: str, scenario: Any, b: int, w: int, k: int) -> list[int] | None:
    """Which batches ``policy`` retrains on after batch ``b``'s labels (None: keeps its model).

    The hindsight oracle has no single schedule (``hindsight_windows``)."""
    if policy == "never":
        return None
    if policy == "every_batch":
        return list(range(max(0, b - w + 1), b + 1))
    if policy in ("newest_batch", "linear_newest"):
        return [b]
    if policy == "periodic":
        return list(range(max(0, b - w + 1), b + 1)) if (b + 1) % k == 0 else None
    if policy == "oracle":
        return _oracle_window(scenario, b, w)
    raise ValueError(policy)


def history(train: pd.DataFrame, rows: int, in_time_order: bool) -> list[tuple[str, pd.DataFrame]]:
    """What precedes batch 0, oldest first: the training file cut into ``rows``-row chunks from its end
    (so the newest chunk is whole), when its rows are in time order; else nothing."""
    if not in_time_order or rows <= 0:
        return []
    chunks = []
    end = len(train)
    while end > 0:
        start = max(0, end - rows)
        chunks.append(train.iloc[start:end].reset_index(drop=True))
        end = start
    chunks.reverse()
    return [(f"train-{i:02d}", chunk) for i, chunk in enumerate(chunks)]


def hindsight_windows(b: int, n_before: int, w: int) -> list[list[int]]:
    """The windows the hindsight oracle tries on batch ``b``: the newest 1..W items before it, as indices
    into history + batches (``n_before`` history items come first)."""
    end = n_before + b  # items [0, end) precede batch b
    return [list(range(end - size, end)) for size in range(1, min(w, end) + 1)]


def run_baselines(
    trainer: Trainer,
    scenario: Any,
    train: pd.DataFrame,
    frames: Sequence[pd.DataFrame],
    *,
    w: int,
    k: int,
    log: Callable[[str], None],
    seed_file: Mapping[str, Any] | None = None,
) -> tuple[dict[str, BaselineRun], Model]:
    """Score every policy on every batch; returns the runs and the shared first model.

    ``seed_file``: the bootstrap's trigger (key and ETag of the seed file), so the first model is split,
    and so trained, exactly as the service's."""
    started = time.monotonic()
    first = trainer.fit([("bootstrap", train)], trigger=seed_file)
    log(f"  baselines: first model trained ({first.seconds} s job)")
    names = [f"batch-{i:02d}" for i in range(len(frames))]
    fitted: dict[tuple[str, tuple[str, ...]], Model] = {}

    def model_on(items: Sequence[tuple[str, pd.DataFrame]], algorithm: str = XGBOOST) -> Model:
        """The model of ``items`` (oldest first), trained once per window and algorithm."""
        key = (algorithm, tuple(name for name, _ in items))
        if key not in fitted:  # the same window trains the same model (seeded): train it once
            fitted[key] = trainer.fit(list(reversed(items)), algorithm)
        return fitted[key]

    runs: dict[str, BaselineRun] = {}
    never_errors = [first.error(frame, trainer.schema) for frame in frames]
    batches = list(zip(names, frames, strict=True))
    for policy in POLICIES:
        clock = time.monotonic()
        if policy == "oracle" and scenario.hindsight:
            runs[policy] = _hindsight(trainer, scenario, train, batches, first, never_errors, w, model_on)
        else:
            algorithm = LINEAR_LEARNER if policy == "linear_newest" else XGBOOST
            run = BaselineRun(policy)
            model = first
            for b, frame in enumerate(frames):
                run.errors.append(never_errors[b] if model is first else model.error(frame, trainer.schema))
                window = schedule(policy, scenario, b, w, k)
                if window is not None:  # after the last batch too: a deployed policy would pay for it
                    model = model_on([batches[i] for i in window], algorithm)
                    run.retrain_after.append(b)
                    run.job_seconds.append(model.seconds)
            runs[policy] = run
        run = runs[policy]
        run.seconds = time.monotonic() - clock
        log(f"  baselines: {policy}: {len(run.job_seconds)} training jobs, {run.seconds:.0f} s")
    log(f"  baselines done in {time.monotonic() - started:.0f} s")
    return runs, first


def _hindsight(
    trainer: Trainer,
    scenario: Any,
    train: pd.DataFrame,
    batches: Sequence[tuple[str, pd.DataFrame]],
    first: Model,
    never_errors: Sequence[float],
    w: int,
    model_on: Callable[..., Model],
) -> BaselineRun:
    """The best window in hindsight, batch by batch; charged one job per window it tries."""
    run = BaselineRun("oracle")
    before = history(train, len(batches[0][1]), scenario.train_in_time_order)
    items = [*before, *batches]
    for b, (_, frame) in enumerate(batches):
        windows = hindsight_windows(b, len(before), w)
        if not windows:  # nothing newer than the training file: the first model
            run.errors.append(never_errors[b])
            run.windows.append(0)
            continue
        models = [model_on([items[i] for i in window]) for window in windows]
        errors = [m.error(frame, trainer.schema) for m in models]
        best = min(range(len(errors)), key=errors.__getitem__)
        run.errors.append(errors[best])
        run.windows.append(len(windows[best]))
        if b > 0:  # the models for batch b were trained after batch b-1's labels
            run.retrain_after.append(b - 1)
        run.job_seconds.extend(m.seconds for m in models)
    return run
