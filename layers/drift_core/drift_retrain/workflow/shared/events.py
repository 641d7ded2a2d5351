"""The events the state machine's Lambda tasks send, as Powertools event data classes.

A workflow handler takes its event through ``@event_source(data_class=...)`` and reads the fields every
step logs by name; the step's own work receives ``event.raw_event``, the payload as Step Functions sent it
(``events/<function>.json`` are samples, checked against the definition's ``Payload`` blocks).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes.common import DictWrapper

__all__ = ["NotifyEvent", "TaskEvent"]


class TaskEvent(DictWrapper):
    """A Lambda task's payload: the execution it belongs to and, for a step with several, its action."""

    @property
    def execution_name(self) -> str | None:
        return self.get("execution_name")

    @property
    def execution_arn(self) -> str | None:
        return self.get("execution_arn")

    @property
    def action(self) -> str | None:
        return self.get("action")


class NotifyEvent(TaskEvent):
    """Notify's payload: how the run ended and the state it ended with."""

    @property
    def outcome(self) -> str:
        """``promoted``, ``promoted_incomplete``, ``rejected``, ``failed`` or ``skipped`` (``failed`` when
        missing)."""
        return str(self.get("outcome") or "failed")

    @property
    def state(self) -> dict[str, Any]:
        return self.get("state") or {}
