"""PrepareTrainingData: from the drift event to the SageMaker inputs of every candidate of one retrain.

1. load the champion's baseline profile (its schema and encoder); a bootstrap run without one infers the
   schema from the seed file;
2. choose each candidate's window (``CANDIDATE_STRATEGIES``, see ``candidates``): ``since_change`` (the
   batches the serving model got wrong), ``recent`` (the newest batches), ``recent_plus_previous`` (plus
   a share of the champion's training rows), and ``registry`` (earlier models, re-scored untrained);
   files that do not fit the schema (DetectDrift quarantined them) or have no labels are skipped;
3. hold out the test rows once, from the newest data (the trigger first): every candidate and the
   champion are judged on them, and no candidate trains on them;
4. per candidate, write headerless, label-first CSVs of the encoded features (``train/``,
   ``validation/``, and the held-out rows encoded with that model's vocabulary), its profile and raw rows;
   the held-out rows for the champion; and a manifest of exactly which batches went where;
5. return the items the state machine's Map state trains and scores, and the champion's inputs.

Nothing is deleted or overwritten outside ``training/<execution>/``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from drift_retrain.aws import storage
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.encoding import FeatureEncoder
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.engine.read_limits import ReadLimits
from drift_retrain.engine.schema import Schema
from drift_retrain.exceptions import ConfigError, ProfileError
from drift_retrain.layout import DEFAULT_PROFILE_KEY, INCOMING_PREFIX
from drift_retrain.workflow.algorithms import XGBOOST, AlgorithmSettings, transform_format
from drift_retrain.workflow.candidate_items import registry_items, trained_items, windows_for
from drift_retrain.workflow.candidates import plan_strategies
from drift_retrain.workflow.channels import RunFiles, gzip_csv
from drift_retrain.workflow.exceptions import (
    BaselineNotFoundError,
    NotEnoughTrainingDataError,
    WorkflowInputError,
)
from drift_retrain.workflow.manifest import manifest
from drift_retrain.workflow.naming import job_names, s3_safe
from drift_retrain.workflow.payloads import CandidateItem, PreparedData
from drift_retrain.workflow.retrain_run import Retrain
from drift_retrain.workflow.settings import drift_settings
from drift_retrain.workflow.window import WindowSettings, split_seed
from drift_retrain.workflow.window_reading import WindowReader, read_trigger

__all__ = ["PrepareSettings", "objective_for", "prepare_training_data"]

logger = logging.getLogger(__name__)

#: Hyperparameters searched by the optional tuning job (kept out of its static hyperparameters).
TUNED_HYPERPARAMETERS = ("eta", "max_depth", "subsample", "min_child_weight")
DEFAULT_HYPERPARAMETERS = {"num_round": "200", "max_depth": "6", "eta": "0.2", "subsample": "0.8"}


@dataclass(frozen=True)
class PrepareSettings:
    """PrepareTrainingData's configuration (its Lambda environment)."""

    bucket: str
    profile_key: str = DEFAULT_PROFILE_KEY
    incoming_prefix: str = INCOMING_PREFIX
    label_column: str = "label"
    model_prefix: str = "drift-xgb"
    hyperparameters: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_HYPERPARAMETERS))
    window: WindowSettings = field(default_factory=WindowSettings)
    #: Its concept margins tell a full recovery from a partial one (the since_change walk).
    drift: DriftConfig = field(default_factory=DriftConfig)
    #: Which built-in algorithms train each window, their images and hyperparameters (``algorithms``).
    algorithms: AlgorithmSettings = field(default_factory=AlgorithmSettings)
    #: The same bounds as DetectDrift's (``MAX_OBJECT_BYTES``, ...): a window batch over them is skipped.
    limits: ReadLimits = field(default_factory=ReadLimits)

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
            profile_key=environ.get("PROFILE_KEY", "") or DEFAULT_PROFILE_KEY,
            incoming_prefix=environ.get("INCOMING_PREFIX", "") or INCOMING_PREFIX,
            label_column=environ.get("LABEL_COLUMN", "") or "label",
            model_prefix=environ.get("MODEL_NAME_PREFIX", "") or "drift-xgb",
            hyperparameters=hyperparameters,
            window=_window_settings(environ),
            drift=drift_settings(environ),
            algorithms=AlgorithmSettings.from_env(environ),
            limits=_read_limits(environ),
        )


def _window_settings(environ: Mapping[str, str]) -> WindowSettings:
    try:
        return WindowSettings.from_env(environ)
    except ConfigError as exc:
        raise WorkflowInputError(f"training window settings: {exc}") from exc


def _read_limits(environ: Mapping[str, str]) -> ReadLimits:
    try:
        return ReadLimits.from_env(environ)
    except ConfigError as exc:
        raise WorkflowInputError(f"read limits: {exc}") from exc


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


def _start(s3: Any, settings: PrepareSettings, event: Mapping[str, Any]) -> tuple[Retrain, pd.DataFrame]:
    """Check the event, load the champion, read the trigger; the retrain and the trigger's rows."""
    execution_name = str(event.get("execution_name") or "")
    execution_arn = str(event.get("execution_arn") or execution_name)
    trigger = event.get("trigger") or {}
    if not execution_name or not isinstance(trigger, Mapping):
        raise WorkflowInputError("the event needs execution_name and trigger")
    batch = _batch_from_event(trigger, settings.bucket)
    seed = split_seed(settings.window.seed, batch)
    champion = _load_champion_profile(s3, settings)
    if champion is None and not trigger.get("bootstrap"):
        raise BaselineNotFoundError(
            f"no baseline profile at s3://{settings.bucket}/{settings.profile_key}: deploy the first model with "
            'a bootstrap run ({"bootstrap": true, "batch": {...}}), see docs/deployment.md'
        )
    schema, trigger_frame = read_trigger(
        s3,
        batch,
        champion,
        label_column=settings.label_column,
        max_rows=settings.window.max_rows,
        seed=seed,
        limits=settings.limits,
        bootstrap=bool(trigger.get("bootstrap")),
    )
    run = s3_safe(execution_name)
    retrain = Retrain(
        s3=s3,
        settings=settings,
        execution_name=execution_name,
        execution_arn=execution_arn,
        trigger=trigger,
        batch=batch,
        champion=champion,
        schema=schema,
        seed=seed,
        names=job_names(settings.model_prefix, execution_arn, event.get("execution_start")),
        files=RunFiles(s3, settings.bucket, run, schema),
    )
    return retrain, trigger_frame


def _hyperparameters(
    settings: PrepareSettings, schema: Schema
) -> tuple[dict[str, str], dict[str, str], dict]:
    objective = objective_for(schema)
    hyperparameters = {
        **{str(k): str(v) for k, v in settings.hyperparameters.items()},
        **objective["hyperparameters"],
    }
    static = {k: v for k, v in hyperparameters.items() if k not in TUNED_HYPERPARAMETERS}
    return hyperparameters, static, objective["tuning"]


def prepare_training_data(s3: Any, settings: PrepareSettings, event: Mapping[str, Any]) -> dict[str, Any]:
    """Build every candidate's inputs for one execution; returns the state machine's ``$.data``.

    Parameters
    ----------
    s3 : S3Client
        boto3 S3 client.
    settings : PrepareSettings
        Bucket, prefixes, windows, strategies and hyperparameters.
    event : mapping
        ``{"execution_name", "execution_arn", "execution_start", "trigger": {"bootstrap", "batch", ...}}``.

    Raises
    ------
    WorkflowInputError, BaselineNotFoundError, ProfileError, EmptyTrainingWindowError,
    NotEnoughTrainingDataError, StorageError (drift_retrain.aws.exceptions)
        Each names the problem; nothing has been deleted.
    """
    retrain, trigger_frame = _start(s3, settings, event)
    strategies = plan_strategies(
        settings.window.candidates, trigger_kind=retrain.trigger.get("kind"), bootstrap=retrain.bootstrap
    )
    reader = WindowReader(
        s3,
        settings.bucket,
        settings.incoming_prefix,
        settings.window,
        retrain.schema,
        retrain.seed,
        limits=settings.limits,
        trigger_key=retrain.batch["key"],
    )
    reader.frames[retrain.batch["key"]] = trigger_frame
    windows = windows_for(retrain, reader, strategies)
    items, test, split, dropped = trained_items(
        retrain, reader, windows, trigger_frame, registry_follows="registry" in strategies
    )
    if "registry" in strategies:
        items += registry_items(retrain, test, len(items) + 1)
    items = [CandidateItem(**item).to_dict() for item in items]  # exactly the Map item's fields
    if not items:
        reasons = "; ".join(f"{d['strategy']}: {d['reason']}" for d in dropped) or "no earlier model"
        raise NotEnoughTrainingDataError(f"no candidate to train or re-score ({reasons})")
    champion_encoder = FeatureEncoder.from_profile(retrain.champion) if retrain.champion is not None else None
    champion_test_uri = (
        None if champion_encoder is None else retrain.files.write_test("champion", champion_encoder, test)
    )
    raw_test_key = f"{retrain.files.root}/raw/test-data.csv.gz"
    retrain.files.put(raw_test_key, gzip_csv(test), "application/gzip")
    hyperparameters, static, tuning = _hyperparameters(settings, retrain.schema)
    manifest_key = f"{retrain.files.root}/manifest.json"
    primary = items[0]
    storage.put_json(
        s3,
        settings.bucket,
        manifest_key,
        manifest(retrain, strategies, windows, items, dropped, reader, split, hyperparameters),
    )
    logger.info(
        "prepared training data",
        extra={"candidates": [i["strategy"] for i in items], "test_rows": len(test), "dropped": dropped},
    )
    return PreparedData(
        task=retrain.schema.task,
        label=retrain.schema.label,
        classes=list(retrain.schema.classes),
        names=retrain.names.to_dict(),
        candidates=items,
        test={"champion_uri": champion_test_uri, "rows": len(test), "raw": retrain.files.ref(raw_test_key)},
        transform_output={"champion": retrain.files.transform_output("champion")},
        hyperparameters=hyperparameters,
        static_hyperparameters=static,
        tuning_objective=tuning,
        manifest=retrain.files.ref(manifest_key),
        rows={**primary["rows"], "test": len(test)},
        batches=len(primary["batches"]),
        window_strategy=primary["strategy"],
        window_ended=primary["window_ended"],
        skipped_batches=len(reader.unusable),
        champion_profile_found=retrain.champion is not None,
        algorithms=list(settings.algorithms.algorithms),
        champion_transform=_champion_transform(retrain),
    ).to_dict()


def _champion_transform(retrain: Retrain) -> dict[str, Any]:
    """How the champion's transform asks for its output (its algorithm's format, see ``algorithms``)."""
    algorithm = str((retrain.champion.metadata if retrain.champion else {}).get("algorithm") or XGBOOST)
    return {"algorithm": algorithm, **transform_format(algorithm)}
