"""The monitor's S3 side: parts written once, a stream's windows closed and materialised exactly once.

Idempotency rests on S3 conditional writes, never on remembering deliveries:

- a capture or ground-truth object becomes one part whose name derives from its key and ETag, written with
  ``If-None-Match: *``: a redelivered or re-uploaded object finds its part and adds nothing;
- a window closes by one ``If-Match`` write of the stream's ledger (:mod:`.windows`): two invocations that
  race both compute it, one write wins, the other re-reads and finds nothing left to close;
- a window's CSV is written with ``If-None-Match: *`` from the ledger's part list (the same bytes whoever
  writes it), then marked materialised in the ledger; a crash in between is finished by the next call.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import pandas as pd

from drift_retrain.aws import storage
from drift_retrain.engine.schema import Schema
from drift_retrain.monitor.documents import update_document
from drift_retrain.monitor.frames import read_frame, write_frame
from drift_retrain.monitor.keys import (
    STREAMS_PREFIX,
    Stream,
    parse_part_key,
    part_key,
    window_key,
)
from drift_retrain.monitor.windows import ListedPart, WindowRules, close_windows, new_ledger

__all__ = [
    "close_stream",
    "find_part",
    "listed_parts",
    "materialise_windows",
    "read_ledger",
    "streams",
    "update_ledger",
]

logger = logging.getLogger(__name__)


def listed_parts(s3: Any, bucket: str, stream: Stream) -> list[ListedPart]:
    found = []
    for item in storage.list_objects(s3, bucket, stream.parts_prefix()):
        parsed = parse_part_key(stream, item.key)
        if parsed is not None:
            found.append(ListedPart(parsed.name, parsed.rows, item.last_modified))
    return found


def find_part(s3: Any, bucket: str, prefix: str) -> str | None:
    """The key of the part whose name starts ``prefix`` (it exists: this object was ingested before)."""
    return next((o.key for o in storage.list_objects(s3, bucket, prefix)), None)


def read_ledger(s3: Any, bucket: str, stream: Stream) -> dict[str, Any]:
    import json

    body = storage.read_optional(s3, bucket, stream.ledger_key())
    return new_ledger(stream) if body is None else json.loads(body)


def update_ledger(s3: Any, bucket: str, stream: Stream, change: Any) -> tuple[dict[str, Any], Any]:
    return update_document(s3, bucket, stream.ledger_key(), new_ledger(stream), change)


def streams(s3: Any, bucket: str) -> list[Stream]:
    """Every stream that has a ledger (one is created at a stream's first capture file)."""
    found = []
    for item in storage.list_objects(s3, bucket, STREAMS_PREFIX):
        path = item.key[len(STREAMS_PREFIX) :]
        if path.endswith(".json") and path.count("/") == 1:
            endpoint, variant = path[: -len(".json")].split("/")
            found.append(Stream(endpoint, variant))
    return found


def close_stream(
    s3: Any, bucket: str, stream: Stream, rules: WindowRules, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Close the windows that are due; returns the ledger and the windows this call closed."""

    def change(ledger: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return close_windows(ledger, listed_parts(s3, bucket, stream), rules, now)

    ledger, closed = update_ledger(s3, bucket, stream, change)
    for window in closed:
        logger.info(
            "Window closed",
            extra={
                "stream": stream.path,
                "window": window["id"],
                "rows": window["rows"],
                "why": window["reason"],
            },
        )
    return ledger, closed


def _window_frame(
    s3: Any, bucket: str, stream: Stream, window: dict[str, Any], schema: Schema
) -> pd.DataFrame:
    keys = {p.name: part_key(stream, p.name, p.rows) for p in listed_parts(s3, bucket, stream)}
    frames = []
    for name in window["parts"]:
        if name not in keys:  # expired by the lifecycle rule before the window was written: say so
            logger.warning(
                "Window part gone", extra={"stream": stream.path, "window": window["id"], "part": name}
            )
            continue
        frames.append(read_frame(storage.read_object(s3, bucket, keys[name]), schema))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def materialise_windows(
    s3: Any, bucket: str, stream: Stream, ledger: dict[str, Any], schema: Schema
) -> list[str]:
    """Write the CSV of every closed window not yet written; returns the window ids written now."""
    pending = [w for w in ledger.get("windows") or [] if not w.get("materialised")]
    written = []
    for window in pending:
        frame = _window_frame(s3, bucket, stream, window, schema)
        if storage.put_new(s3, bucket, window_key(stream, window["id"]), write_frame(frame), "text/csv"):
            written.append(window["id"])
    if pending:
        done = {w["id"] for w in pending}

        def mark(document: dict[str, Any]) -> tuple[dict[str, Any], None]:
            windows = [{**w, "materialised": True} if w["id"] in done else w for w in document["windows"]]
            return {**document, "windows": windows}, None

        update_ledger(s3, bucket, stream, mark)
    return written
