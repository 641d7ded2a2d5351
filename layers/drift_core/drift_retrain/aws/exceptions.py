"""Exceptions raised by the AWS adapters.

Every adapter catches ``botocore.exceptions.ClientError`` and raises one of these instead, keeping the AWS
error code and message, so callers decide on *our* error types and never parse botocore responses.
"""

from __future__ import annotations

from drift_retrain.exceptions import DriftRetrainError

__all__ = [
    "AwsAdapterError",
    "EndpointInvocationError",
    "ExecutionStartError",
    "NotificationError",
    "ObjectChangedError",
    "ObjectNotFoundError",
    "RecordConflictError",
    "StorageError",
    "TaskTokenError",
]


class AwsAdapterError(DriftRetrainError):
    """Base class: an AWS call failed (one error tree: every error of the package is a DriftRetrainError).

    Parameters
    ----------
    message : str
        What we were doing and what went wrong.
    code : str, optional
        The AWS error code (``NoSuchKey``, ``ValidationException``...), when AWS gave one.
    """

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class StorageError(AwsAdapterError):
    """An S3 call failed for a reason other than a missing or changed object."""


class ObjectNotFoundError(StorageError):
    """The S3 object (or the requested version) does not exist."""


class ObjectChangedError(StorageError):
    """The S3 object was overwritten after the event: its ETag no longer matches."""


class EndpointInvocationError(AwsAdapterError):
    """InvokeEndpoint failed for a reason that does not mean "no champion" (throttling, model error...)."""


class ExecutionStartError(AwsAdapterError):
    """StartExecution failed (other than a duplicate name)."""


class NotificationError(AwsAdapterError):
    """SNS Publish failed."""


class RecordConflictError(StorageError):
    """A conditional write lost a race: the object changed since it was read (HTTP 412 or 409)."""


class TaskTokenError(AwsAdapterError):
    """SendTaskSuccess or SendTaskHeartbeat failed for a reason other than a task already closed."""


def client_error_code(error: Exception) -> str:
    """Return the AWS error code of a botocore ``ClientError`` (empty string when there is none)."""
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def client_error_message(error: Exception) -> str:
    """Return the AWS error message of a botocore ``ClientError`` (falls back to ``str(error)``)."""
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Message", "")) or str(error)


def http_status(error: Exception) -> int | None:
    """Return the HTTP status code of a botocore ``ClientError`` when known."""
    response = getattr(error, "response", None) or {}
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status is not None else None
