"""The events DetectDrift and MonitorCapture accept, read into the objects they name.

The template wires S3's "Object Created" event through EventBridge; the handlers take it as Powertools'
``S3EventBridgeNotificationEvent`` (``@event_source``). S3's classic notification (``{"Records": [...]}``)
is what ``sam local generate-event s3 put`` and a bucket notification send; it names the same objects (keys
URL-encoded), so it is accepted too, read as Powertools' ``S3Event``. Anything else is an
:class:`EventShapeError` that shows both shapes, never a ``KeyError`` from deep in a handler.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event, S3EventBridgeNotificationEvent
from aws_lambda_powertools.utilities.data_classes.common import DictWrapper

from drift_retrain.exceptions import DriftRetrainError

__all__ = [
    "EXPECTED_SHAPES",
    "EventShapeError",
    "ObjectCreated",
    "for_each_object_created",
    "is_scheduled_event",
    "objects_created",
]

EXPECTED_SHAPES = (
    'S3 "Object Created" through EventBridge: {"source": "aws.s3", "detail-type": "Object Created", '
    '"detail": {"bucket": {"name": BUCKET}, "object": {"key": KEY, "version-id": OPTIONAL, "etag": OPTIONAL}}} '
    '(events/detect_drift_object_created.json), or an S3 notification: {"Records": [{"eventSource": "aws:s3", '
    '"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": BUCKET}, "object": {"key": KEY}}}]}'
)

#: The ``detail-type`` of the event an EventBridge schedule rule sends.
SCHEDULED_EVENT = "Scheduled Event"


class EventShapeError(DriftRetrainError):
    """The event is not one DetectDrift understands (the message names the expected shapes)."""


@dataclass(frozen=True)
class ObjectCreated:
    """One new object named by an event. ``version_id``/``etag`` are ``None`` when the event omits them."""

    bucket: str
    key: str
    version_id: str | None = None
    etag: str | None = None
    size: int | None = None
    reason: str | None = None

    @property
    def revision(self) -> dict[str, Any]:
        """``bucket``, ``key``, ``version_id``, ``etag`` and ``size``: the keywords of ``process_object``."""
        return {
            "bucket": self.bucket,
            "key": self.key,
            "version_id": self.version_id,
            "etag": self.etag,
            "size": self.size,
        }


def objects_created(event: Any) -> list[ObjectCreated]:
    """The objects an EventBridge "Object Created" event or an S3 notification names.

    ``event`` is the handler's ``S3EventBridgeNotificationEvent`` or the event as a plain ``dict``.

    Raises
    ------
    EventShapeError
        Neither shape, or a required field (bucket name, key) is missing.
    """
    raw = _raw(event)
    if not isinstance(raw, Mapping):
        raise EventShapeError(
            f"DetectDrift expects a JSON object, got {type(raw).__name__}. {EXPECTED_SHAPES}"
        )
    if "detail" in raw:
        return [_from_eventbridge(S3EventBridgeNotificationEvent(raw))]
    if "Records" in raw:
        return _from_notification(raw)
    keys = ", ".join(sorted(map(str, raw))) or "none"
    raise EventShapeError(
        f"DetectDrift cannot read this event (top-level keys: {keys}). Expected {EXPECTED_SHAPES}"
    )


def for_each_object_created(event: Any, handle: Callable[[ObjectCreated], dict[str, Any]]) -> dict[str, Any]:
    """``handle(created)`` for each object ``event`` names (:func:`objects_created`), and the response.

    One object's response is returned as it is (an EventBridge event names one); a notification's several,
    or none (only deletions), as ``{"status": "records", "outcomes": [...]}``.
    """
    responses = [handle(created) for created in objects_created(event)]
    return responses[0] if len(responses) == 1 else {"status": "records", "outcomes": responses}


def is_scheduled_event(event: Any) -> bool:
    """An EventBridge schedule rule's event (``"detail-type": "Scheduled Event"``)."""
    raw = _raw(event)
    return isinstance(raw, Mapping) and raw.get("detail-type") == SCHEDULED_EVENT


def _raw(event: Any) -> Any:
    return event.raw_event if isinstance(event, DictWrapper) else event


def _from_eventbridge(event: S3EventBridgeNotificationEvent) -> ObjectCreated:
    if event.get("detail-type") not in (None, "Object Created"):
        raise EventShapeError(
            f"DetectDrift handles S3 'Object Created' events, got detail-type {event.get('detail-type')!r}. "
            f"Expected {EXPECTED_SHAPES}"
        )
    for path in (("object",), ("bucket", "name"), ("object", "key")):  # the first missing one is named
        _field(event, "detail", *path)
    detail = event.detail
    obj = detail.object
    return ObjectCreated(
        bucket=detail.bucket.name,
        # as sent: S3's EventBridge events (and moto's) carry the key itself, where ``obj.key`` URL-decodes
        key=obj["key"],
        version_id=obj.get("version-id") or None,
        etag=obj.etag or None,
        size=obj.size,
        reason=detail.reason,
    )


def _from_notification(raw: Mapping[str, Any]) -> list[ObjectCreated]:
    records = raw["Records"]
    if not isinstance(records, list) or not records:
        raise EventShapeError(f"'Records' must be a non-empty list. Expected {EXPECTED_SHAPES}")
    found = []
    for record in S3Event(raw).records:
        if not isinstance(record.raw_event, Mapping) or record.get("eventSource") != "aws:s3":
            source = (
                record.get("eventSource")
                if isinstance(record.raw_event, Mapping)
                else type(record.raw_event).__name__
            )
            raise EventShapeError(
                f"a record from {source!r} is not an S3 notification. Expected {EXPECTED_SHAPES}"
            )
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue  # deletions and other S3 events name nothing to check
        for path in (("object",), ("bucket", "name"), ("object", "key")):
            _field(record, "s3", *path)
        obj = record.s3.get_object
        found.append(
            ObjectCreated(
                bucket=record.s3.bucket.name,
                key=unquote_plus(obj.key),
                version_id=obj.version_id or None,
                etag=obj.etag or None,
                size=obj.get("size"),
                reason=record.event_name,
            )
        )
    return found


def _field(value: Any, *path: str) -> Any:
    """``value[path[0]][path[1]]...``, or an EventShapeError naming the missing field."""
    for depth, name in enumerate(path):
        if not isinstance(value, Mapping) or value.get(name) in (None, ""):
            where = ".".join(path[: depth + 1])
            raise EventShapeError(f"the event has no {where}. Expected {EXPECTED_SHAPES}")
        value = value[name]
    return value
