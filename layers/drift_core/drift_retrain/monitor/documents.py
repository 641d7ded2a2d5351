"""Read-modify-write of one small JSON document on S3, safe under concurrent writers.

The first write is ``If-None-Match: *``, every later one ``If-Match`` on the ETag read (the A/B record's
conditional writes, :mod:`drift_retrain.aws.ab_record`): of two writers exactly one wins, the other reads
again and re-applies its change, so nothing either of them added is lost.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from drift_retrain.aws.ab_record import read_record, replace_record
from drift_retrain.aws.exceptions import RecordConflictError
from drift_retrain.aws.storage import json_safe, put_new, s3_uri

__all__ = ["update_document"]

logger = logging.getLogger(__name__)

Change = Callable[[dict[str, Any]], tuple[dict[str, Any], Any]]


def update_document(
    s3: Any, bucket: str, key: str, initial: dict[str, Any], change: Change, *, attempts: int = 12
) -> tuple[dict[str, Any], Any]:
    """Apply ``change(document) -> (new document, result)``; a new document equal to the old one is
    not written. Returns the document as stored and ``change``'s result of the write that won.

    Raises
    ------
    RecordConflictError
        ``attempts`` races lost in a row (the invocation fails and is retried by Lambda).
    """
    for attempt in range(1, attempts + 1):
        stored = read_record(s3, bucket, key)
        document, etag = stored if stored is not None else (initial, None)
        updated, result = change(document)
        if stored is not None and updated == document:
            return document, result
        body = json.dumps(json_safe(updated), indent=1, allow_nan=False).encode("utf-8")
        try:
            if etag is None:
                if not put_new(s3, bucket, key, body, "application/json"):
                    raise RecordConflictError(f"{s3_uri(bucket, key)} was created meanwhile")
            else:
                replace_record(s3, bucket, updated, etag, key)
        except RecordConflictError:
            logger.info(
                "Monitor document changed by a concurrent writer", extra={"key": key, "attempt": attempt}
            )
            continue
        return updated, result
    raise RecordConflictError(f"{s3_uri(bucket, key)}: lost {attempts} write races in a row")
