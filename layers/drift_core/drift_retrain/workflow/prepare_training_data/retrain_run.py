"""What one retrain knows while PrepareTrainingData works: its settings, the event, the champion, where
files go."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.engine.read_limits import ReadLimits
from drift_retrain.engine.schema import Schema
from drift_retrain.exceptions import ConfigError
from drift_retrain.layout import DEFAULT_PROFILE_KEY, INCOMING_PREFIX
from drift_retrain.workflow.prepare_training_data.channels import RunFiles
from drift_retrain.workflow.prepare_training_data.window import WindowSettings
from drift_retrain.workflow.shared.algorithms import AlgorithmSettings
from drift_retrain.workflow.shared.exceptions import WorkflowInputError
from drift_retrain.workflow.shared.naming import JobNames
from drift_retrain.workflow.shared.settings import drift_settings
from drift_retrain.workflow.shared.strategies import AlgorithmPlan, plan_algorithms

__all__ = ["PrepareSettings", "Retrain"]

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


@dataclass
class Retrain:
    """What one execution knows while it prepares: the event, the champion, the files it writes."""

    s3: Any
    settings: PrepareSettings
    execution_name: str
    execution_arn: str
    trigger: Mapping[str, Any]
    batch: dict[str, Any]
    champion: BaselineProfile | None
    schema: Schema
    seed: int
    names: JobNames
    files: RunFiles

    @property
    def bootstrap(self) -> bool:
        return bool(self.trigger.get("bootstrap")) or self.champion is None

    @property
    def algorithm_plan(self) -> AlgorithmPlan:
        """Which algorithms train the first window and the others (``plan_algorithms``)."""
        return plan_algorithms(
            self.settings.algorithms.algorithms,
            trigger_kind=self.trigger.get("kind"),
            signal=self.trigger.get("challenger_signal"),
            serving=None if self.champion is None else self.champion.metadata.get("algorithm"),
            bootstrap=self.bootstrap,
        )
