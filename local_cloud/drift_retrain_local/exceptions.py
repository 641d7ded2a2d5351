"""Errors of the local cloud (the embedded AWS and the stack deployed into it)."""

from __future__ import annotations

__all__ = [
    "DeployError",
    "LocalCloudError",
    "LocalRunError",
    "LocalRunTimeoutError",
    "MotoHookMovedError",
    "TemplateError",
]


class LocalCloudError(Exception):
    """Base class of the local cloud's errors."""


class TemplateError(LocalCloudError):
    """The template cannot be read or resolved for the local stack."""


class DeployError(LocalCloudError):
    """A resource of the template could not be created in the embedded AWS."""


class MotoHookMovedError(LocalCloudError):
    """A moto internal the local cloud hooks into is not where this pinned moto version had it."""


class LocalRunError(LocalCloudError):
    """``drift-retrain local run`` cannot start: a bad ``--inject`` (a bad data file is an ``InvalidBatchError``)."""


class LocalRunTimeoutError(LocalCloudError):
    """Something the local run waits for (a delivery, an execution) did not finish in time."""
