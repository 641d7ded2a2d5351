"""Errors of the local SageMaker jobs.

A job never lets an exception escape: :class:`JobFailedError` carries the ``FailureReason`` the job
reports (``ClientError: ...`` for bad input, ``AlgorithmError: ...`` for a failure inside XGBoost, as
the built-in algorithm words them).
"""

from __future__ import annotations

__all__ = ["JobFailedError", "LocalSageMakerError", "ModelArtifactError", "RecordFormatError"]


class LocalSageMakerError(Exception):
    """Base class of the local SageMaker errors."""


class JobFailedError(LocalSageMakerError):
    """A training or transform job ends ``Failed`` with ``reason`` as its FailureReason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    @classmethod
    def client(cls, message: str) -> JobFailedError:
        """The caller's fault (data, hyperparameters, request): ``ClientError: <message>``."""
        return cls(f"ClientError: {message}")

    @classmethod
    def algorithm(cls, message: str) -> JobFailedError:
        """A failure inside the algorithm: ``AlgorithmError: <message>``."""
        return cls(f"AlgorithmError: {message}")


class RecordFormatError(LocalSageMakerError):
    """A CSV object is not the headerless numeric CSV the built-in algorithm reads."""


class ModelArtifactError(LocalSageMakerError):
    """A model.tar.gz cannot be read as a built-in XGBoost model."""
