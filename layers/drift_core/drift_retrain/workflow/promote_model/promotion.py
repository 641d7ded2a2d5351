"""PromoteModel: what follows a successful endpoint update.

1. the new baseline profile: the candidate's profile (built by PrepareTrainingData from its training rows)
   with the candidate's holdout performance from the evaluation (held-out rows from the newest,
   post-change data) and the *reference* error carried over from the champion's profile (the best
   holdout error before the latest change, so a partial recovery is not taken as the new normal),
   written to ``models/<model>/profile.json`` and then over ``baseline/current/profile.json`` (bucket
   versioning keeps the previous one);
2. the candidate's raw training rows copied to ``models/<model>/training-data.csv.gz`` (a later retrain may
   mix a share of them in);
3. an Approved model package in the registry, with the evaluation report as its metrics and the drift
   report in its metadata;
4. a lineage record ``reports/lineage/<execution>.json``: batch -> drift report -> execution -> training
   job -> model -> endpoint config -> endpoint;
5. the prediction reference of the new champion (its holdout answers and score calibration, for prediction
   drift and the estimated performance of captured traffic): ``models/<model>/prediction_reference.json``
   and ``baseline/current/prediction_reference.json``, written before the profile
   (:mod:`drift_retrain.monitor.reference`);
6. cleanup of this stack's endpoint configs and models (its prefix and its ``drift-retrain:stack`` tag)
   older than the last N, never the ones the endpoint serves (:mod:`.cleanup`). Cleanup problems are
   reported, not raised: the promotion already happened.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from drift_retrain.aws import storage
from drift_retrain.engine.champion import recovered
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.performance import HoldoutPerformance
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.engine.segments import HoldoutSegments
from drift_retrain.env import env_value
from drift_retrain.exceptions import ProfileError
from drift_retrain.layout import DEFAULT_PROFILE_KEY, LINEAGE_PREFIX
from drift_retrain.monitor.reference import reference_key, winner_reference, write_reference
from drift_retrain.workflow.promote_model import registry
from drift_retrain.workflow.promote_model.cleanup import clean_up
from drift_retrain.workflow.shared.exceptions import RegistryError, WorkflowInputError
from drift_retrain.workflow.shared.naming import s3_safe
from drift_retrain.workflow.shared.payloads import PromotionResult
from drift_retrain.workflow.shared.settings import drift_settings

__all__ = ["PromoteSettings", "lineage_record", "promote_model"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PromoteSettings:
    bucket: str
    profile_key: str = DEFAULT_PROFILE_KEY
    model_prefix: str = "drift-xgb"
    model_package_group: str = "drift-retrain-models"
    keep_last: int = 3
    #: The ``drift-retrain:stack`` tag value of this stack's resources (cleanup deletes only those).
    stack_name: str = ""
    endpoint_instance_type: str = "ml.m5.large"
    transform_instance_type: str = "ml.m5.large"
    drift: DriftConfig = field(default_factory=DriftConfig)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> PromoteSettings:
        bucket = environ.get("DATA_BUCKET", "").strip()
        if not bucket:
            raise WorkflowInputError("DATA_BUCKET is not set")
        d = cls(bucket=bucket)
        return cls(
            bucket=bucket,
            profile_key=environ.get("PROFILE_KEY") or d.profile_key,
            model_prefix=environ.get("MODEL_NAME_PREFIX") or d.model_prefix,
            model_package_group=environ.get("MODEL_PACKAGE_GROUP") or d.model_package_group,
            keep_last=max(1, env_value(environ, "KEEP_LAST_MODELS", d.keep_last, int)),
            stack_name=environ.get("STACK_NAME", "").strip(),
            endpoint_instance_type=environ.get("ENDPOINT_INSTANCE_TYPE") or d.endpoint_instance_type,
            transform_instance_type=environ.get("TRANSFORM_INSTANCE_TYPE") or d.transform_instance_type,
            drift=drift_settings(environ),
        )


def lineage_record(event: Mapping[str, Any], promotion: Mapping[str, Any]) -> dict[str, Any]:
    """Batch -> drift report -> execution -> training job -> model -> endpoint config -> endpoint."""
    trigger = event.get("trigger") or {}
    data = event.get("data") or {}
    names = data.get("names") or {}
    report = trigger.get("report") or None
    return {
        "execution_arn": event.get("execution_arn"),
        "execution_name": event.get("execution_name"),
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "bootstrap": bool(trigger.get("bootstrap")),
        "batch": trigger.get("batch"),
        "drift_report": None if not report else storage.s3_uri(report["bucket"], report["key"]),
        "reasons": trigger.get("reasons") or [],
        "training_manifest": None
        if not data.get("manifest")
        else storage.s3_uri(data["manifest"]["bucket"], data["manifest"]["key"]),
        "training_job": (event.get("training") or {}).get("job_name"),
        "model_artifacts": (event.get("training") or {}).get("model_artifacts"),
        "model": names.get("model"),
        "endpoint_config": names.get("endpoint_config"),
        "endpoint": event.get("endpoint_name"),
        "previous_champion": {
            "model": (event.get("champion") or {}).get("model_name"),
            "endpoint_config": (event.get("champion") or {}).get("endpoint_config_name"),
        },
        "evaluation_report": ((event.get("evaluation") or {}).get("report") or {}).get("uri"),
        **promotion,
    }


def carried_reference(
    previous: BaselineProfile | None, holdout: HoldoutPerformance
) -> HoldoutPerformance | None:
    """The reference error for the new model: the best of the previous reference and holdout.

    ``None`` when the new model's own holdout is the best seen (it is then its own reference), and for
    the first model.
    """
    if previous is None or previous.holdout is None:
        return None
    best = previous.reference or previous.holdout
    if best.task != holdout.task or not best.rows or not best.value < holdout.value:
        return None
    return best


def recovery_summary(
    holdout: HoldoutPerformance, reference: HoldoutPerformance | None, config: DriftConfig
) -> dict[str, Any]:
    """Is the new model back at the reference? The notification says it in numbers."""
    if reference is None:
        return {"reference": None, "holdout": holdout.value, "recovered": True}
    return {
        "reference": reference.value,
        "holdout": holdout.value,
        "recovered": recovered(holdout, reference, config),
        "metric": holdout.metric,
    }


def _current_profile(s3: Any, settings: PromoteSettings) -> BaselineProfile | None:
    """The champion's profile, which the new one replaces (None on a first deployment)."""
    raw = storage.read_optional(s3, settings.bucket, settings.profile_key)
    if raw is None:
        return None
    try:
        return BaselineProfile.from_json_bytes(raw)
    except ProfileError:
        logger.warning("The current baseline profile is unreadable: no reference error carried over")
        return None


def winner_view(event: Mapping[str, Any]) -> dict[str, Any]:
    """The event with the tournament's winner in the places the promotion reads.

    EvaluateCandidate returns ``evaluation.winner`` (its model, artifacts, profile and training rows);
    the shared ``data.names`` keep the execution's endpoint config name.
    """
    evaluation = event.get("evaluation") or {}
    winner = evaluation.get("winner") if isinstance(evaluation, Mapping) else None
    if not isinstance(winner, Mapping):
        return dict(event)
    data = dict(event.get("data") or {})
    data["names"] = {**(data.get("names") or {}), "model": winner.get("model_name")}
    data["candidate_profile"] = winner.get("candidate_profile")
    data["raw_training_data"] = winner.get("raw_training_data")
    training = {"job_name": winner.get("training_job"), "model_artifacts": winner.get("model_artifacts")}
    image = winner.get("training_image") or event.get("training_image")
    return {
        **event,
        "data": data,
        "training": training,
        "training_image": image,
        "algorithm": winner.get("algorithm") or "xgboost",
    }


def _required(event: Mapping[str, Any]) -> tuple[dict, dict, dict, dict]:
    try:
        data = dict(event["data"])
        training = dict(event["training"])
        evaluation = dict(event["evaluation"])
        names = dict(data["names"])
        _ = (
            event["execution_name"],
            event["endpoint_name"],
            data["candidate_profile"]["key"],
            names["model"],
        )
        _ = (training["model_artifacts"], evaluation["candidate_holdout"])
    except (KeyError, TypeError) as exc:
        raise WorkflowInputError(f"promotion event lacks {exc}") from exc
    return data, training, evaluation, names


def _candidate_profile(
    s3: Any, bucket: str, ref: Mapping[str, str], evaluation: Mapping[str, Any]
) -> BaselineProfile:
    """The winner's profile, with its holdout error on the newest held-out rows."""
    raw = storage.read_object(s3, ref.get("bucket") or bucket, ref["key"])
    try:
        profile = BaselineProfile.from_json_bytes(raw)
    except ProfileError as exc:
        raise ProfileError(f"candidate profile s3://{bucket}/{ref['key']}: {exc}") from exc
    try:
        profile.holdout = HoldoutPerformance.from_dict(evaluation["candidate_holdout"])
    except ProfileError as exc:
        raise WorkflowInputError(f"evaluation.candidate_holdout: {exc}") from exc
    segments = evaluation.get("candidate_holdout_segments")
    try:
        profile.holdout_segments = None if not segments else HoldoutSegments.from_dict(segments)
    except ProfileError as exc:
        raise WorkflowInputError(f"evaluation.candidate_holdout_segments: {exc}") from exc
    return profile


def _new_baseline(
    s3: Any, settings: PromoteSettings, event: Mapping[str, Any], parts: tuple[dict, dict, dict, dict]
) -> tuple[BaselineProfile, dict[str, Any]]:
    """Write the new baseline profile (and the model's copy, and its training rows); the summary so far."""
    data, training, evaluation, names = parts
    bucket, model_prefix = settings.bucket, f"models/{names['model']}/"
    profile = _candidate_profile(s3, bucket, data["candidate_profile"], evaluation)
    profile.reference = carried_reference(_current_profile(s3, settings), profile.holdout)
    training_data_key: str | None = f"{model_prefix}training-data.csv.gz"
    if data.get("raw_training_data"):
        storage.copy_object(s3, bucket, data["raw_training_data"]["key"], training_data_key)
    else:
        training_data_key = None
    drift_report = (event.get("trigger") or {}).get("report") or None
    profile.metadata.update(
        {
            "model_name": names["model"],
            "endpoint_config": names.get("endpoint_config"),
            "endpoint": event["endpoint_name"],
            "training_job": training.get("job_name"),
            "model_artifacts": training["model_artifacts"],
            # Which built-in algorithm serves: DetectDrift, transforms and registry re-scoring read it.
            "algorithm": event.get("algorithm") or "xgboost",
            "training_image": event.get("training_image"),
            "execution_arn": event.get("execution_arn"),
            "drift_report": None
            if not drift_report
            else storage.s3_uri(drift_report["bucket"], drift_report["key"]),
            "evaluation_report": (evaluation.get("report") or {}).get("uri"),
            "training_data": None
            if training_data_key is None
            else {"bucket": bucket, "key": training_data_key},
            "promoted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
    )
    reference = winner_reference(s3, event, profile.schema)
    if reference is not None:
        profile.metadata["prediction_reference"] = write_reference(
            s3,
            bucket,
            reference,
            f"{model_prefix}prediction_reference.json",
            reference_key(settings.profile_key),
        )
    body = profile.to_json_bytes()
    model_profile_key = f"{model_prefix}profile.json"
    storage.put_bytes(s3, bucket, model_profile_key, body, "application/json")
    storage.put_bytes(s3, bucket, settings.profile_key, body, "application/json")
    return profile, {
        "profile": storage.s3_uri(bucket, model_profile_key),
        "baseline_profile": storage.s3_uri(bucket, settings.profile_key),
        "training_data": None if training_data_key is None else storage.s3_uri(bucket, training_data_key),
        "holdout": profile.holdout.to_dict(),
        "recovery": recovery_summary(profile.holdout, profile.reference, settings.drift),
        "model_package_arn": None,
        "registry_error": None,
    }


def _register(
    sagemaker: Any,
    settings: PromoteSettings,
    event: Mapping[str, Any],
    parts: tuple[dict, dict, dict, dict],
    promotion: Mapping[str, Any],
    drift_report: str | None,
) -> str:
    """An Approved model package for the new model; its ARN."""
    _, training, evaluation, names = parts
    registry.ensure_model_package_group(
        sagemaker,
        settings.model_package_group,
        "Models promoted by drift-retrain (one per successful retrain)",
    )
    existing = registry.find_model_package(
        sagemaker, settings.model_package_group, str(event.get("execution_arn") or "")
    )
    if existing is not None:
        return existing
    return registry.create_model_package(
        sagemaker,
        group=settings.model_package_group,
        description=f"{names['model']}: " + "; ".join(evaluation.get("reasons") or [])[:900],
        image=str(event.get("training_image") or ""),
        model_data_url=training["model_artifacts"],
        metrics_uri=(evaluation.get("report") or {}).get("uri") or promotion["profile"],
        realtime_instance_types=[settings.endpoint_instance_type],
        transform_instance_types=[settings.transform_instance_type],
        metadata={
            "drift_report": drift_report or "",
            "execution_arn": str(event.get("execution_arn") or ""),
            "training_job": str(training.get("job_name") or ""),
            "endpoint_config": str(names.get("endpoint_config") or ""),
            "baseline_profile": promotion["profile"],
        },
    )


def promote_model(
    s3: Any, sagemaker: Any, settings: PromoteSettings, event: Mapping[str, Any]
) -> dict[str, Any]:
    """Run the promotion steps for one execution; returns a summary for the notification.

    Raises
    ------
    WorkflowInputError, ProfileError, StorageError (drift_retrain.aws.exceptions)
        Before anything is written.
    RegistryError
        After the profile and the lineage record were written (the lineage says what failed).
    """
    event = winner_view(event)
    parts = _required(event)
    names = parts[3]
    profile, promotion = _new_baseline(s3, settings, event, parts)
    registry_error: RegistryError | None = None
    try:
        promotion["model_package_arn"] = _register(
            sagemaker, settings, event, parts, promotion, profile.metadata["drift_report"]
        )
    except RegistryError as exc:
        registry_error = exc
        promotion["registry_error"] = str(exc)
    if registry_error is None:
        promotion["cleanup"] = clean_up(
            sagemaker,
            prefix=settings.model_prefix,
            stack=settings.stack_name,
            keep_last=settings.keep_last,
            names=names,
        )
    lineage_key = f"{LINEAGE_PREFIX}{s3_safe(str(event['execution_name']))}.json"
    storage.put_json(s3, settings.bucket, lineage_key, lineage_record(event, promotion))
    promotion["lineage"] = storage.s3_uri(settings.bucket, lineage_key)
    if registry_error is not None:
        raise registry_error
    logger.info("promoted model", extra={"model": names["model"], "package": promotion["model_package_arn"]})
    return storage.json_safe(PromotionResult(**{"cleanup": None, **promotion}).to_dict())
