"""Errors raised by the drift_retrain package. Each names what went wrong in words a user can act on."""

from __future__ import annotations

from drift_retrain.echo import MESSAGE_LIMIT, clip

__all__ = [
    "ChampionUnavailableError",
    "ConfigError",
    "DriftRetrainError",
    "InvalidBatchError",
    "PredictionError",
    "ProfileError",
    "SchemaError",
]


class DriftRetrainError(Exception):
    """Base class of every error this package raises on purpose."""


class InvalidBatchError(DriftRetrainError):
    """A batch file cannot be checked: it is quarantined with this reason and never triggers a retrain.

    ``code`` is a stable machine-readable reason (``empty_file``, ``ragged_row``, ...);
    ``str(error)`` is the specific human-readable message. Both the message and the column name come
    from the input, so they are capped (see :mod:`drift_retrain.echo`): the report, the quarantine
    record and the notification built from them stay small whatever the file holds.
    """

    def __init__(self, code: str, message: str, *, line: int | None = None, column: str | None = None):
        super().__init__(clip(message, MESSAGE_LIMIT))
        self.code = code
        self.line = line
        self.column = None if column is None else clip(column)

    def to_dict(self) -> dict:
        return {"code": self.code, "message": str(self), "line": self.line, "column": self.column}


class SchemaError(DriftRetrainError):
    """Training data or a schema file cannot define a usable schema."""


class ProfileError(DriftRetrainError):
    """A baseline profile is missing, corrupt, or of a format version this code cannot read."""


class ChampionUnavailableError(DriftRetrainError):
    """No champion can score the batch (no endpoint yet, endpoint not InService, ...).

    The concept-drift test is skipped and the reason is written into the report.
    """


class PredictionError(DriftRetrainError):
    """Champion predictions do not fit the batch (wrong count, wrong shape, not numbers)."""


class ConfigError(DriftRetrainError):
    """A configuration value is missing or out of range."""
