"""PrepareTrainingData: from the drift event to the SageMaker inputs of every candidate of one retrain.

1. load the champion's baseline profile (its schema and encoder); a bootstrap run without one infers the
   schema from the seed file;
2. choose each candidate's window (``CANDIDATE_STRATEGIES``, see ``candidates``): ``since_change`` (the
   batches the serving model got wrong), ``recent`` (the newest batches), ``recent_plus_previous`` (plus
   a share of the champion's training rows), and ``registry`` (earlier models, re-scored untrained); a
   first model tries all of its seed data, its newest half and its newest quarter; files that do not fit the schema (DetectDrift quarantined them) or have no labels are skipped;
3. put each batch's rows in time order (its ``timestamp`` column, else the order of its rows) and hold
   out the test rows once: the newest rows (the trigger's last first); every candidate and the champion
   are judged on them, and no candidate trains on them;
4. per candidate, write headerless, label-first CSVs of the encoded features (``train/``,
   ``validation/``, and the held-out rows encoded with that model's vocabulary), its profile and raw rows;
   the held-out rows for the champion; and a manifest of exactly which batches went where;
5. return the items the state machine's Map state trains and scores, and the champion's inputs.

Nothing is deleted or overwritten outside ``training/<execution>/``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import pandas as pd

from drift_retrain.aws import storage
from drift_retrain.engine.encoding import FeatureEncoder
from drift_retrain.engine.profile import BaselineProfile, time_order_of
from drift_retrain.engine.schema import Schema
from drift_retrain.exceptions import ProfileError
from drift_retrain.workflow.prepare_training_data.candidate_items import (
    registry_items,
    trained_items,
    windows_for,
)
from drift_retrain.workflow.prepare_training_data.candidates import plan_strategies
from drift_retrain.workflow.prepare_training_data.channels import RunFiles, gzip_csv
from drift_retrain.workflow.prepare_training_data.manifest import manifest
from drift_retrain.workflow.prepare_training_data.retrain_run import PrepareSettings, Retrain
from drift_retrain.workflow.prepare_training_data.window import split_seed
from drift_retrain.workflow.prepare_training_data.window_reading import WindowReader, read_trigger
from drift_retrain.workflow.shared.algorithms import XGBOOST, objective_for, transform_format
from drift_retrain.workflow.shared.exceptions import (
    BaselineNotFoundError,
    NotEnoughTrainingDataError,
    WorkflowInputError,
)
from drift_retrain.workflow.shared.naming import job_names, s3_safe
from drift_retrain.workflow.shared.payloads import CandidateItem, PreparedData

__all__ = ["prepare_training_data"]

logger = logging.getLogger(__name__)

#: Hyperparameters searched by the optional tuning job (kept out of its static hyperparameters).
TUNED_HYPERPARAMETERS = ("eta", "max_depth", "subsample", "min_child_weight")


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
        test={
            "champion_uri": champion_test_uri,
            "rows": len(test),
            "raw": retrain.files.ref(raw_test_key),
            "time_order": time_order_of(retrain.schema),
        },
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
