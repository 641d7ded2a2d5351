"""Settings the workflow Lambdas share with DetectDrift, read from their environment."""

from __future__ import annotations

from collections.abc import Mapping

from drift_retrain.engine.config import DriftConfig
from drift_retrain.exceptions import ConfigError
from drift_retrain.workflow.shared.exceptions import WorkflowInputError

__all__ = ["drift_settings"]


def drift_settings(environ: Mapping[str, str]) -> DriftConfig:
    """The drift configuration (its concept margins tell a full recovery from a partial one).

    A bad value is the state machine's input problem, named as such, not a crash.
    """
    try:
        return DriftConfig.from_env(environ)
    except ConfigError as exc:
        raise WorkflowInputError(str(exc)) from exc
