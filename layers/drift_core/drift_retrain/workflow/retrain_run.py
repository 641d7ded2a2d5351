"""What one retrain knows while PrepareTrainingData works: the event, the champion, where files go."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.engine.schema import Schema
from drift_retrain.workflow.channels import RunFiles
from drift_retrain.workflow.naming import JobNames

if TYPE_CHECKING:
    from drift_retrain.workflow.preparation import PrepareSettings

__all__ = ["Retrain"]


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
