"""The candidate tournament: which models one retrain trains or re-scores, and what each one is called.

After an abrupt change only post-change rows help (``since_change``); during a gradual one the freshest
rows hold the most of the new concept (``newest``: the triggering batch alone); under slow incremental
drift more history helps (``recent``, ``recent_plus_previous``); when an old world comes back, its old
model is already trained (``registry``: the last promoted models, re-scored without training); a first
model's seed data may itself span drift (``BOOTSTRAP_WINDOWS``: newest shares of it). No single rule
wins everywhere, so one execution tries several on the SAME held-out rows from the newest data and keeps
the best (ARCHITECTURE section 6). A template parameter picks the strategies; one strategy costs one job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from drift_retrain.aws import storage
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.engine.schema import Schema
from drift_retrain.exceptions import ProfileError
from drift_retrain.workflow.shared.strategies import BOOTSTRAP_WINDOWS, TRAINED, plan_strategies

__all__ = [
    "BOOTSTRAP_WINDOWS",
    "TRAINED",
    "RegistryModel",
    "candidate_names",
    "plan_strategies",
    "registry_models",
]

logger = logging.getLogger(__name__)

MODELS_PREFIX = "models/"


def candidate_names(base: str, index: int) -> dict[str, str]:
    """SageMaker names of candidate ``index`` (1-based) of an execution whose names start with ``base``.

    ``base`` is at most 28 characters, so the tuning job (``-h<i>``) stays within SageMaker's 32.
    """
    return {
        "training_job": f"{base}-t{index}",
        "tuning_job": f"{base}-h{index}",
        "model": f"{base}-c{index}",
        "transform_job": f"{base}-s{index}",
    }


@dataclass(frozen=True)
class RegistryModel:
    """A model promoted earlier: its profile (schema, encoder) and where its artifacts and rows are."""

    name: str
    profile: BaselineProfile
    profile_key: str
    model_artifacts: str
    training_data_key: str | None
    promoted_at: str


def registry_models(
    s3: Any, bucket: str, *, exclude: str | None, schema: Schema, limit: int
) -> list[RegistryModel]:
    """The newest ``limit`` promoted models other than ``exclude`` (the champion) that fit ``schema``.

    Every promotion writes ``models/<model>/profile.json`` with the artifacts' location; a model whose
    profile is unreadable, lacks artifacts or has another schema is left out (and logged).
    """
    if limit <= 0:
        return []
    found: list[RegistryModel] = []
    keys = [
        o.key
        for o in storage.list_objects(s3, bucket, MODELS_PREFIX)
        if o.key.endswith("/profile.json") and o.key.count("/") == 2
    ]
    for key in keys:
        name = key.split("/")[1]
        if name == exclude:
            continue
        try:
            profile = BaselineProfile.from_json_bytes(storage.read_object(s3, bucket, key))
        except ProfileError as exc:
            logger.warning("registry model left out", extra={"model": name, "reason": str(exc)})
            continue
        artifacts = profile.metadata.get("model_artifacts")
        if not artifacts or profile.schema.to_dict() != schema.to_dict():
            logger.info("registry model left out: no artifacts or another schema", extra={"model": name})
            continue
        training = profile.metadata.get("training_data") or {}
        found.append(
            RegistryModel(
                name=name,
                profile=profile,
                profile_key=key,
                model_artifacts=str(artifacts),
                training_data_key=training.get("key"),
                promoted_at=str(profile.metadata.get("promoted_at") or profile.created_at),
            )
        )
    found.sort(key=lambda m: (m.promoted_at, m.name), reverse=True)
    return found[:limit]
