"""The events DetectDrift accepts, read into the objects they name.

The template wires S3's "Object Created" event through EventBridge. S3's classic notification
(``{"Records": [...]}``) is what ``sam local generate-event s3 put`` and a bucket notification send; it
names the same objects (keys URL-encoded), so it is accepted too. Anything else is an
:class:`EventShapeError` that shows both shapes, never a ``KeyError`` from deep in a handler.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from drift_retrain.exceptions import DriftRetrainError

__all__ = ["EXPECTED_SHAPES", "EventShapeError", "ObjectCreated", "objects_created"]

EXPECTED_SHAPES = (
    'S3 "Object Created" through EventBridge: {"source": "aws.s3", "detail-type": "Object Created", '
    '"detail": {"bucket": {"name": BUCKET}, "object": {"key": KEY, "version-id": OPTIONAL, "etag": OPTIONAL}}} '
    '(events/detect_drift_object_created.json), or an S3 notification: {"Records": [{"eventSource": "aws:s3", '
    '"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": BUCKET}, "object": {"key": KEY}}}]}'
)


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


def objects_created(event: Any) -> list[ObjectCreated]:
    """The objects an EventBridge "Object Created" event or an S3 notification names.

    Raises
    ------
    EventShapeError
        Neither shape, or a required field (bucket name, key) is missing.
    """
    if not isinstance(event, Mapping):
        raise EventShapeError(
            f"DetectDrift expects a JSON object, got {type(event).__name__}. {EXPECTED_SHAPES}"
        )
    if "detail" in event:
        return [_from_eventbridge(event)]
    if "Records" in event:
        return _from_notification(event["Records"])
    keys = ", ".join(sorted(map(str, event))) or "none"
    raise EventShapeError(
        f"DetectDrift cannot read this event (top-level keys: {keys}). Expected {EXPECTED_SHAPES}"
    )


def _from_eventbridge(event: Mapping[str, Any]) -> ObjectCreated:
    if event.get("detail-type") not in (None, "Object Created"):
        raise EventShapeError(
            f"DetectDrift handles S3 'Object Created' events, got detail-type {event.get('detail-type')!r}. "
            f"Expected {EXPECTED_SHAPES}"
        )
    detail = event["detail"]
    obj = _field(event, "detail", "object")
    return ObjectCreated(
        bucket=_field(event, "detail", "bucket", "name"),
        key=_field(event, "detail", "object", "key"),
        version_id=obj.get("version-id") or None,
        etag=obj.get("etag") or None,
        size=obj.get("size"),
        reason=detail.get("reason"),
    )


def _from_notification(records: Any) -> list[ObjectCreated]:
    if not isinstance(records, list) or not records:
        raise EventShapeError(f"'Records' must be a non-empty list. Expected {EXPECTED_SHAPES}")
    found = []
    for record in records:
        if not isinstance(record, Mapping) or record.get("eventSource") != "aws:s3":
            source = record.get("eventSource") if isinstance(record, Mapping) else type(record).__name__
            raise EventShapeError(
                f"a record from {source!r} is not an S3 notification. Expected {EXPECTED_SHAPES}"
            )
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue  # deletions and other S3 events name nothing to check
        obj = _field(record, "s3", "object")
        found.append(
            ObjectCreated(
                bucket=_field(record, "s3", "bucket", "name"),
                key=unquote_plus(_field(record, "s3", "object", "key")),
                version_id=obj.get("versionId") or None,
                etag=obj.get("eTag") or None,
                size=obj.get("size"),
                reason=record.get("eventName"),
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
