"""PrepareTrainingData: from the drift event to the CSV channels of a built-in XGBoost training job.

1. load the champion's baseline profile (its schema and encoder); a bootstrap run without one infers the
   schema from the seed file;
2. read the window: the triggering batch (pinned to the event's version), then the newest other labelled
   batches under ``incoming/`` up to ``max_batches`` / ``max_rows``; files that do not fit the schema
   (DetectDrift quarantined them) or have no labels are skipped and listed in the manifest;
3. split deterministically, test rows from the newest data, optionally mixing in a share of the
   champion's training data (train/validation only);
4. write headerless, label-first CSVs of the encoded features: ``train/``, ``validation/``, and the same
   test rows twice, encoded for the candidate and for the champion (each model sees the category codes it
   was trained with); the candidate's profile (no holdout yet), its raw training rows and a manifest of
   exactly which batches went in;
5. return the names, S3 URIs and hyperparameters the state machine passes to SageMaker.

Nothing is deleted or overwritten outside ``training/<execution>/``.
"""

from __future__ import annotations

import gzip
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.champion import recovered
from drift_retrain.config import DriftConfig
from drift_retrain.encoding import FeatureEncoder, to_csv_rows
from drift_retrain.exceptions import ConfigError, InvalidBatchError, ProfileError
from drift_retrain.performance import encode_labels
from drift_retrain.profile import BaselineProfile, build_profile
from drift_retrain.reading import read_csv
from drift_retrain.schema import Schema, infer_schema
from drift_retrain.workflow import storage
from drift_retrain.workflow.change_window import read_verdicts, since_change
from drift_retrain.workflow.exceptions import BaselineNotFoundError, WorkflowInputError
from drift_retrain.workflow.naming import job_names, s3_safe
from drift_retrain.workflow.window import (
    ListedBatch,
    WindowSettings,
    order_window,
    sample_previous,
    split_seed,
    split_window,
)

__all__ = ["PrepareSettings", "objective_for", "prepare_training_data"]

logger = logging.getLogger(__name__)

#: Hyperparameters searched by the optional tuning job (kept out of its static hyperparameters).
TUNED_HYPERPARAMETERS = ("eta", "max_depth", "subsample", "min_child_weight")
DEFAULT_HYPERPARAMETERS = {"num_round": "200", "max_depth": "6", "eta": "0.2", "subsample": "0.8"}


@dataclass(frozen=True)
class PrepareSettings:
    """PrepareTrainingData's configuration (its Lambda environment)."""

    bucket: str
    profile_key: str = "baseline/current/profile.json"
    incoming_prefix: str = "incoming/"
    label_column: str = "label"
    model_prefix: str = "drift-xgb"
    hyperparameters: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_HYPERPARAMETERS))
    window: WindowSettings = field(default_factory=WindowSettings)
    #: Its concept margins tell a full recovery from a partial one (the since_change walk).
    drift: DriftConfig = field(default_factory=DriftConfig)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> PrepareSettings:
        bucket = environ.get("DATA_BUCKET", "").strip()
        if not bucket:
            raise WorkflowInputError("DATA_BUCKET is not set")
        raw = environ.get("HYPERPARAMETERS", "").strip()
        try:
            hyperparameters = (
                {str(k): str(v) for k, v in json.loads(raw).items()} if raw else DEFAULT_HYPERPARAMETERS
            )
        except (ValueError, AttributeError) as exc:
            raise WorkflowInputError(f"HYPERPARAMETERS is not a JSON object: {exc}") from exc
        return cls(
            bucket=bucket,
            profile_key=environ.get("PROFILE_KEY", "") or "baseline/current/profile.json",
            incoming_prefix=environ.get("INCOMING_PREFIX", "") or "incoming/",
            label_column=environ.get("LABEL_COLUMN", "") or "label",
            model_prefix=environ.get("MODEL_NAME_PREFIX", "") or "drift-xgb",
            hyperparameters=hyperparameters,
            window=WindowSettings.from_env(dict(environ)),
            drift=_drift_config(environ),
        )


def _drift_config(environ: Mapping[str, str]) -> DriftConfig:
    try:
        return DriftConfig.from_env(environ)
    except ConfigError as exc:
        raise WorkflowInputError(str(exc)) from exc


def objective_for(schema: Schema) -> dict[str, Any]:
    """XGBoost objective, evaluation metric and tuning objective for the schema's task.

    Multiclass uses ``multi:softmax`` (one class index per row) so the transform's ``$[0,-1]`` output
    filter keeps exactly label and prediction.

    Early stopping watches a proper scoring rule (log loss), never AUC or the error rate: on a small
    validation channel AUC saturates after a round or two, and early stopping then keeps a model whose
    probabilities have not left the prior. Measured on the demo's concept change (720 training rows):
    stopped on AUC, best iteration 0 and 0.35 error; on log loss, 0.015.
    """
    if schema.task == "binary":
        return {
            "hyperparameters": {"objective": "binary:logistic", "eval_metric": "logloss"},
            "tuning": {"type": "Minimize", "metric_name": "validation:logloss"},
        }
    if schema.task == "multiclass":
        return {
            "hyperparameters": {
                "objective": "multi:softmax",
                "num_class": str(len(schema.classes)),
                "eval_metric": "mlogloss",
            },
            "tuning": {"type": "Minimize", "metric_name": "validation:mlogloss"},
        }
    return {
        "hyperparameters": {"objective": "reg:squarederror", "eval_metric": "rmse"},
        "tuning": {"type": "Minimize", "metric_name": "validation:rmse"},
    }


def _batch_from_event(trigger: Mapping[str, Any], default_bucket: str) -> dict[str, Any]:
    batch = trigger.get("batch")
    if not isinstance(batch, Mapping) or not batch.get("key"):
        raise WorkflowInputError("the event has no trigger.batch.key: which batch started this retrain?")
    return {
        "bucket": batch.get("bucket") or default_bucket,
        "key": str(batch["key"]),
        "version_id": batch.get("version_id"),
        "etag": batch.get("etag"),
        "batch_id": batch.get("batch_id") or s3_safe(str(batch["key"]).rsplit("/", 1)[-1]),
    }


def _load_champion_profile(s3: Any, settings: PrepareSettings) -> BaselineProfile | None:
    raw = storage.read_optional(s3, settings.bucket, settings.profile_key)
    if raw is None:
        return None
    try:
        return BaselineProfile.from_json_bytes(raw)
    except ProfileError as exc:
        raise ProfileError(f"s3://{settings.bucket}/{settings.profile_key}: {exc}") from exc


def _labelled(frame: pd.DataFrame, label: str) -> pd.DataFrame:
    if label not in frame.columns:
        return frame.iloc[0:0]
    return frame[frame[label].notna()].reset_index(drop=True)


def _read_batch(
    s3: Any, bucket: str, key: str, version_id: str | None, schema: Schema, max_rows: int, seed: int
) -> pd.DataFrame:
    body = storage.read_object(s3, bucket, key, version_id)
    return _labelled(read_csv(body, schema=schema, max_rows=max_rows, seed=seed).frame, schema.label)


def _encoded_csv(encoder: FeatureEncoder, frame: pd.DataFrame, schema: Schema) -> bytes:
    labels = (
        encode_labels(frame[schema.label], schema.classes)
        if schema.is_classification
        else pd.to_numeric(frame[schema.label]).to_numpy(dtype=np.float64)
    )
    return to_csv_rows(encoder.transform(frame), labels).encode("utf-8")


def _gzip_csv(frame: pd.DataFrame) -> bytes:
    return gzip.compress(frame.to_csv(index=False).encode("utf-8"), mtime=0)


def _read_trigger(
    s3: Any, settings: PrepareSettings, batch: Mapping[str, Any], champion: BaselineProfile | None, seed: int
) -> tuple[Schema, pd.DataFrame]:
    """The schema (the champion's, or inferred from the seed file) and the trigger's labelled rows."""
    max_rows = settings.window.max_rows
    if champion is not None:
        schema = champion.schema
        frame = _read_batch(s3, batch["bucket"], batch["key"], batch["version_id"], schema, max_rows, seed)
        return schema, frame
    body = storage.read_object(s3, batch["bucket"], batch["key"], batch["version_id"])
    raw = read_csv(body, label=settings.label_column, max_rows=max_rows, seed=seed)
    schema = infer_schema(raw.frame, label=settings.label_column)
    # Read again with the schema so values look exactly as DetectDrift will see them later.
    return schema, _labelled(read_csv(body, schema=schema, max_rows=max_rows, seed=seed).frame, schema.label)


@dataclass
class WindowRead:
    """The labelled rows of the window, newest (the trigger) first, and the manifest's account of them."""

    strategy: str
    frames: list[tuple[str, pd.DataFrame]]
    used: list[dict[str, Any]]
    skipped: list[dict[str, str]]
    ended: str


def _strategy(settings: PrepareSettings, trigger: Mapping[str, Any], champion: BaselineProfile | None) -> str:
    """``since_change`` after lost performance (the default), ``recent`` after feature drift or when set."""
    if champion is None or trigger.get("bootstrap"):
        return "bootstrap"
    if trigger.get("kind") == "features":
        return "recent"
    return settings.window.strategy


def _candidates(
    s3: Any, settings: PrepareSettings, strategy: str, trigger_key: str, champion: BaselineProfile
) -> tuple[list[ListedBatch], list[dict[str, str]], str]:
    """The other batches the window may read, newest first, and the ones skipped for lack of evidence."""
    window = settings.window
    listed = [
        ListedBatch(o.key, o.last_modified, o.etag, o.size)
        for o in storage.list_objects(s3, settings.bucket, settings.incoming_prefix)
    ]
    if strategy == "recent":
        return order_window(listed, trigger_key, window.max_batches), [], "the newest batches"
    older = order_window(listed, trigger_key)
    # Skipped batches (unlabelled, invalid) do not count against the window, so read a few more reports.
    limit = 4 * window.since_change_max_batches
    verdicts = read_verdicts(s3, settings.bucket, older, limit)
    return since_change(
        older[:limit],
        verdicts,
        serving_model=champion.metadata.get("model_name"),
        serving_recovered=recovered(champion.holdout, champion.reference, settings.drift),
        max_batches=window.since_change_max_batches,
    )


def _read_window(
    s3: Any,
    settings: PrepareSettings,
    batch: Mapping[str, Any],
    trigger: Mapping[str, Any],
    schema: Schema,
    trigger_frame: pd.DataFrame,
    champion: BaselineProfile | None,
    seed: int,
) -> WindowRead:
    """Read the window's batches after the trigger, within ``max_rows``; unreadable ones are skipped."""
    strategy = _strategy(settings, trigger, champion)
    frames: list[tuple[str, pd.DataFrame]] = [(batch["key"], trigger_frame)]
    used = [{**batch, "labelled_rows": len(trigger_frame), "trigger": True}]
    if strategy == "bootstrap" or champion is None:
        return WindowRead(strategy, frames, used, [], "first model: the seed data only")
    others, skipped, ended = _candidates(s3, settings, strategy, batch["key"], champion)
    budget = settings.window.max_rows - len(trigger_frame)
    for other in others:
        if budget <= 0:
            ended = f"the window holds WINDOW_MAX_ROWS={settings.window.max_rows} rows"
            break
        try:
            frame = _read_batch(s3, settings.bucket, other.key, None, schema, budget, seed)
        except InvalidBatchError as exc:
            skipped.append({"key": other.key, "reason": f"{exc.code}: {exc}"})
            continue
        if frame.empty:
            skipped.append({"key": other.key, "reason": "no labelled rows"})
            continue
        frames.append((other.key, frame))
        used.append(
            {"bucket": settings.bucket, "key": other.key, "etag": other.etag, "labelled_rows": len(frame)}
        )
        budget -= len(frame)
    logger.info("training window", extra={"strategy": strategy, "batches": len(frames), "ended": ended})
    return WindowRead(strategy, frames, used, skipped, ended)


def prepare_training_data(s3: Any, settings: PrepareSettings, event: Mapping[str, Any]) -> dict[str, Any]:
    """Build the candidate's training data for one execution; returns the state machine's ``$.data``.

    Parameters
    ----------
    s3 : S3Client
        boto3 S3 client.
    settings : PrepareSettings
        Bucket, prefixes, window and hyperparameters.
    event : mapping
        ``{"execution_name", "execution_arn", "execution_start", "trigger": {"bootstrap", "batch", ...}}``.

    Raises
    ------
    WorkflowInputError, BaselineNotFoundError, ProfileError, EmptyTrainingWindowError,
    NotEnoughTrainingDataError, WorkflowStorageError
        Each names the problem; nothing has been deleted.
    """
    execution_name = str(event.get("execution_name") or "")
    execution_arn = str(event.get("execution_arn") or execution_name)
    trigger = event.get("trigger") or {}
    if not execution_name or not isinstance(trigger, Mapping):
        raise WorkflowInputError("the event needs execution_name and trigger")
    bootstrap = bool(trigger.get("bootstrap"))
    batch = _batch_from_event(trigger, settings.bucket)
    window = settings.window
    seed = split_seed(window.seed, batch["batch_id"])

    champion = _load_champion_profile(s3, settings)
    if champion is None and not bootstrap:
        raise BaselineNotFoundError(
            f"no baseline profile at s3://{settings.bucket}/{settings.profile_key}: deploy the first model with "
            'a bootstrap run ({"bootstrap": true, "batch": {...}}), see docs/deployment.md'
        )

    schema, trigger_frame = _read_trigger(s3, settings, batch, champion, seed)
    window_read = _read_window(s3, settings, batch, trigger, schema, trigger_frame, champion, seed)
    frames, used, skipped = window_read.frames, window_read.used, window_read.skipped

    previous = None
    previous_ref = (champion.metadata.get("training_data") if champion is not None else None) or None
    # Rows of the champion's training data predate the change: only the ``recent`` window mixes them in.
    if previous_ref and window.previous_data_share > 0 and window_read.strategy == "recent":
        body = storage.read_object(s3, previous_ref["bucket"], previous_ref["key"])
        previous_all = _labelled(read_csv(body, schema=schema, seed=seed).frame, schema.label)
        previous = sample_previous(previous_all, window.previous_data_share, seed)

    split = split_window(
        frames,
        window,
        seed=seed,
        label=schema.label,
        classification=schema.is_classification,
        previous=previous,
    )

    # --- encode and write ---------------------------------------------------------------------------
    training_rows = pd.concat([split.train, split.validation], ignore_index=True)
    candidate_profile = build_profile(
        training_rows,
        schema,
        metadata={
            "execution_arn": execution_arn,
            "trigger_batch": batch,
            "rows": split.counts,
            "window_strategy": window_read.strategy,
        },
    )
    candidate_encoder = FeatureEncoder.from_profile(candidate_profile)
    champion_encoder = FeatureEncoder.from_profile(champion) if champion is not None else candidate_encoder

    bucket = settings.bucket
    root = f"training/{s3_safe(execution_name)}"
    keys = {
        "train": f"{root}/train/train.csv",
        "validation": f"{root}/validation/validation.csv",
        "test_candidate": f"{root}/test/candidate/test.csv",
        "test_champion": f"{root}/test/champion/test.csv",
        "candidate_profile": f"{root}/candidate-profile.json",
        "raw_training_data": f"{root}/raw/training-data.csv.gz",
        "raw_test_data": f"{root}/raw/test-data.csv.gz",
        "manifest": f"{root}/manifest.json",
    }
    storage.put_bytes(
        s3, bucket, keys["train"], _encoded_csv(candidate_encoder, split.train, schema), "text/csv"
    )
    storage.put_bytes(
        s3, bucket, keys["validation"], _encoded_csv(candidate_encoder, split.validation, schema), "text/csv"
    )
    storage.put_bytes(
        s3, bucket, keys["test_candidate"], _encoded_csv(candidate_encoder, split.test, schema), "text/csv"
    )
    storage.put_bytes(
        s3, bucket, keys["test_champion"], _encoded_csv(champion_encoder, split.test, schema), "text/csv"
    )
    storage.put_bytes(
        s3, bucket, keys["candidate_profile"], candidate_profile.to_json_bytes(), "application/json"
    )
    storage.put_bytes(s3, bucket, keys["raw_training_data"], _gzip_csv(training_rows), "application/gzip")
    storage.put_bytes(s3, bucket, keys["raw_test_data"], _gzip_csv(split.test), "application/gzip")

    names = job_names(settings.model_prefix, execution_arn, event.get("execution_start"))
    objective = objective_for(schema)
    hyperparameters = {
        **{str(k): str(v) for k, v in settings.hyperparameters.items()},
        **objective["hyperparameters"],
    }
    static_hyperparameters = {k: v for k, v in hyperparameters.items() if k not in TUNED_HYPERPARAMETERS}

    manifest = {
        "execution_name": execution_name,
        "execution_arn": execution_arn,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "bootstrap": bootstrap,
        "trigger": {k: trigger.get(k) for k in ("report", "reasons", "drifted_features", "concept_drift")},
        "schema": schema.to_dict(),
        "baseline_profile": None if champion is None else storage.s3_uri(bucket, settings.profile_key),
        "window_strategy": window_read.strategy,
        "window_ended": window_read.ended,
        "batches": used,
        "skipped": skipped,
        "previous_training_data": None if previous is None else {**previous_ref, "rows_used": len(previous)},
        "split": {
            **split.counts,
            "seed": seed,
            "test_from": split.test_sources,
            "previous_rows": split.previous_rows,
        },
        "window": {
            "strategy": window_read.strategy,
            "since_change_max_batches": window.since_change_max_batches,
            "max_batches": window.max_batches,
            "max_rows": window.max_rows,
            "previous_data_share": window.previous_data_share,
            "test_share": window.test_share,
            "validation_share": window.validation_share,
        },
        "files": {name: storage.s3_uri(bucket, key) for name, key in keys.items() if name != "manifest"},
        "hyperparameters": hyperparameters,
        "names": names.to_dict(),
    }
    storage.put_json(s3, bucket, keys["manifest"], manifest)
    logger.info(
        "prepared training data", extra={"rows": split.counts, "batches": len(used), "skipped": len(skipped)}
    )

    run = s3_safe(execution_name)
    return {
        "task": schema.task,
        "label": schema.label,
        "classes": list(schema.classes),
        "names": names.to_dict(),
        "train_uri": storage.s3_uri(bucket, f"{root}/train/"),
        "validation_uri": storage.s3_uri(bucket, f"{root}/validation/"),
        "test": {
            "candidate_uri": storage.s3_uri(bucket, f"{root}/test/candidate/"),
            "champion_uri": storage.s3_uri(bucket, f"{root}/test/champion/"),
            "rows": len(split.test),
        },
        "transform_output": {
            "candidate": storage.s3_uri(bucket, f"transforms/{run}/candidate/"),
            "champion": storage.s3_uri(bucket, f"transforms/{run}/champion/"),
        },
        "model_output_uri": storage.s3_uri(bucket, f"models/{names.model}/artifacts/"),
        "checkpoint_uri": storage.s3_uri(bucket, f"checkpoints/{run}/"),
        "hyperparameters": hyperparameters,
        "static_hyperparameters": static_hyperparameters,
        "tuning_objective": objective["tuning"],
        "manifest": {"bucket": bucket, "key": keys["manifest"]},
        "candidate_profile": {"bucket": bucket, "key": keys["candidate_profile"]},
        "raw_training_data": {"bucket": bucket, "key": keys["raw_training_data"]},
        "rows": split.counts,
        "batches": len(used),
        "window_strategy": window_read.strategy,
        "window_ended": window_read.ended,
        "skipped_batches": len(skipped),
        "champion_profile_found": champion is not None,
    }
