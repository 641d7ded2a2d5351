"""What a batch's check and decision need besides the batch: the profile, the retrain budget, the A/B state.

DetectDrift (a batch read in one Lambda) and the partition check's reduce step (a batch summarised on a
Distributed Map) load these the same way, here, so a partition's decision is a single object's decision.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from drift_retrain.aws import naming
from drift_retrain.aws.ab_record import read_record
from drift_retrain.aws.endpoint import EndpointPredictor
from drift_retrain.aws.exceptions import ObjectNotFoundError
from drift_retrain.aws.objects import ObjectRef
from drift_retrain.aws.storage import count_keys, read_object
from drift_retrain.detect.actions import send_notice
from drift_retrain.detect.context import DetectSettings, Outcome, Status
from drift_retrain.detect.messages import no_profile_message
from drift_retrain.engine.ab_evidence import is_running
from drift_retrain.engine.champion import has_lower_reference, trained_after_change
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.exceptions import ProfileError
from drift_retrain.layout import recovery_prefix

__all__ = [
    "AbState",
    "CheckInputs",
    "ab_state",
    "check_inputs",
    "load_profile",
    "predictor",
    "variant_predictors",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AbState:
    """The running A/B test's record (``None`` without one) and whether it holds retrains back."""

    record: dict[str, Any] | None
    deferred: bool

    @property
    def champion_variant(self) -> str | None:
        return self.record["variants"]["champion"]["variant_name"] if self.record else None


def ab_state(clients: Any, settings: DetectSettings, bucket: str) -> AbState:
    """While an A/B test runs its decision is pending and the lock holder waits for it: no retrain starts."""
    stored = read_record(clients.s3, settings.data_bucket or bucket)
    record = stored[0] if stored else None
    return AbState(record, record is not None and is_running(record, datetime.now(UTC)))


@dataclass(frozen=True)
class CheckInputs:
    """The profile the batch is checked against, the model its follow-up retrains count against, and
    how many it has had."""

    profile: BaselineProfile
    serving_model: str
    recovery_used: int


def check_inputs(
    clients: Any, settings: DetectSettings, batch: ObjectRef, batch_id: str
) -> CheckInputs | Outcome:
    """The inputs, or the ``no_profile`` outcome (logged and notified) when there is no usable profile."""
    profile = load_profile(clients, settings, batch.bucket)
    if isinstance(profile, str):
        logger.error("Batch not checked: %s", profile, extra={"key": batch.key, "batch_id": batch_id})
        notified = send_notice(clients, settings, no_profile_message(batch, profile))
        return Outcome(
            status=Status.NO_PROFILE, message=profile, batch=batch, batch_id=batch_id, notified=notified
        )
    serving_model = naming.sanitize(
        str(profile.metadata.get("model_name") or profile.created_at or "unknown")
    )
    # One S3 listing per batch only where a follow-up retrain (a gap or a refresh) is possible at all.
    recovery_used = (
        count_keys(clients.s3, settings.data_bucket or batch.bucket, recovery_prefix(serving_model))
        if has_lower_reference(profile) or trained_after_change(profile)
        else 0
    )
    return CheckInputs(profile, serving_model, recovery_used)


def load_profile(clients: Any, settings: DetectSettings, bucket: str) -> BaselineProfile | str:
    """The profile, or the reason there is none (as text)."""
    profile_bucket = settings.data_bucket or bucket
    uri = f"s3://{profile_bucket}/{settings.profile_key}"
    try:
        return BaselineProfile.from_json_bytes(read_object(clients.s3, profile_bucket, settings.profile_key))
    except ObjectNotFoundError:
        return f"no baseline profile yet at {uri}: promote a first model (or upload a profile) before checking batches"
    except ProfileError as error:
        return f"the baseline profile at {uri} cannot be used: {error}"


def predictor(
    clients: Any, settings: DetectSettings, profile: BaselineProfile, target_variant: str | None = None
) -> EndpointPredictor | None:
    """The champion endpoint answering for labelled rows (``None`` without an endpoint)."""
    if not settings.endpoint_name:
        return None
    from drift_retrain.engine.encoding import FeatureEncoder

    return EndpointPredictor(
        clients.sagemaker_runtime,
        settings.endpoint_name,
        encode=FeatureEncoder.from_profile(profile).transform,
        sagemaker=clients.sagemaker,
        # Linear Learner documents JSON responses only; its JSON Lines records carry "score".
        accept="application/jsonlines"
        if profile.metadata.get("algorithm") == "linear-learner"
        else "text/csv",
        target_variant=target_variant,
    )


def variant_predictors(
    clients: Any, settings: DetectSettings, profile: BaselineProfile, ab: dict[str, Any]
) -> dict[str, EndpointPredictor]:
    """One predictor per A/B role (champion, candidate), each pinned to its variant."""
    predictors = {}
    for role, variant in ab["variants"].items():
        found = predictor(clients, settings, profile, target_variant=variant["variant_name"])
        if found is not None:
            predictors[role] = found
    return predictors
