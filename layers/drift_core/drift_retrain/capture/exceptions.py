"""Errors of the capture readers: one bad record, with the reason code it is counted and kept under."""

from __future__ import annotations

from drift_retrain.echo import MESSAGE_LIMIT, clip
from drift_retrain.exceptions import DriftRetrainError

__all__ = ["CaptureRecordError"]


class CaptureRecordError(DriftRetrainError):
    """A capture or ground-truth record that cannot be used; ``reason`` is its stable code.

    Messages name fields and counts, never the record's values (captured data may be personal).
    """

    def __init__(self, reason: str, detail: str):
        super().__init__(clip(detail, MESSAGE_LIMIT))
        self.reason = reason
