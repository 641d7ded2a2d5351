"""The ``data`` of a captured input, output or label as text, following its ``encoding``.

Data Capture writes a body as text when its content type is one of the endpoint config's CSV or JSON
content types (``encoding`` ``CSV`` or ``JSON``) and base64 otherwise (``BASE64``); the observed content
type then says what the decoded bytes are.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from drift_retrain.capture.exceptions import CaptureRecordError

__all__ = ["CSV", "ENCODINGS", "JSON", "JSON_LINES", "body_kind", "body_text", "record_object"]

CSV, JSON, JSON_LINES = "csv", "json", "jsonlines"
ENCODINGS = ("CSV", "JSON", "BASE64")


def record_object(text: str, reason: str) -> Mapping[str, Any]:
    """One JSON Lines line as the object a capture or ground-truth record is; ``reason`` is the code of a
    line that is not one (the message names the error's type, never the line's text)."""
    try:
        record = json.loads(text)
    except ValueError as exc:
        raise CaptureRecordError(reason, f"the line is not JSON ({type(exc).__name__})") from exc
    if not isinstance(record, Mapping):
        raise CaptureRecordError(reason, "the line is JSON but not an object")
    return record


def body_text(entry: Mapping[str, Any], what: str, reason: str) -> str:
    """The decoded text of ``entry['data']``; ``reason`` is the code of a body that does not decode."""
    data = entry.get("data")
    if not isinstance(data, str):
        raise CaptureRecordError(reason, f"{what}: 'data' is {type(data).__name__}, not a string")
    encoding = str(entry.get("encoding") or "").upper()
    if encoding not in ENCODINGS:
        raise CaptureRecordError(
            reason, f"{what}: encoding {clip_name(entry.get('encoding'))} is not one of {ENCODINGS}"
        )
    if encoding != "BASE64":
        return data
    try:
        raw = base64.b64decode(data, validate=True)
        return raw.decode("utf-8-sig")
    except (binascii.Error, ValueError) as exc:
        raise CaptureRecordError(
            reason, f"{what}: BASE64 data does not decode ({type(exc).__name__})"
        ) from exc


def body_kind(entry: Mapping[str, Any], default: str = CSV) -> str:
    """``csv``, ``json`` or ``jsonlines``: from the observed content type; when it says nothing
    (``application/octet-stream``), JSON for a JSON-encoded body, else ``default``."""
    content_type = str(entry.get("observedContentType") or "").split(";")[0].strip().lower()
    if "jsonlines" in content_type or "ndjson" in content_type:
        return JSON_LINES
    if "json" in content_type:
        return JSON
    if "csv" in content_type or "text/plain" in content_type:
        return CSV
    return JSON if str(entry.get("encoding") or "").upper() == "JSON" else default


def clip_name(value: Any) -> str:
    """A short quote of a format name (an encoding, a content type): never a data value."""
    return repr(str(value)[:40])
