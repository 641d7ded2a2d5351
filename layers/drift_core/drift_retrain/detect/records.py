"""A batch's drift report is written once per object revision, and never rewritten.

The report key ``reports/drift/<batch-id>.json`` names one revision of one object: the batch id hashes
the key with the version id (or the ETag on an unversioned bucket), see
:func:`drift_retrain.aws.naming.batch_id_for`. EventBridge delivers at least once, sometimes late: a
second delivery, checked against a baseline promoted since, could decide differently (``retrain: false``
where the first said ``true``) and rewrite the report that justified a retrain, to which the lineage
record and the notifications link. So the report is read first (an existing one means a duplicate
delivery, and it stands) and written with ``If-None-Match: *``, so that of two concurrent deliveries
exactly one writes and the other adopts what the first wrote.
"""

from __future__ import annotations

import json
from typing import Any

from drift_retrain import strict_json
from drift_retrain.aws import storage
from drift_retrain.aws.exceptions import StorageError
from drift_retrain.engine.metric_names import read_report

__all__ = ["record_report", "stored_report"]


def stored_report(s3: Any, bucket: str, key: str) -> dict[str, Any] | None:
    """The report already written for this revision, or ``None``."""
    body = storage.read_optional(s3, bucket, key)
    if body is None:
        return None
    try:
        report = json.loads(body)
    except ValueError as error:
        raise StorageError(f"s3://{bucket}/{key} exists but is not JSON: {error}") from error
    if not isinstance(report, dict):
        raise StorageError(f"s3://{bucket}/{key} exists but is not a report")
    return read_report(report)


def record_report(s3: Any, bucket: str, key: str, report: dict[str, Any]) -> dict[str, Any] | None:
    """Write ``report`` unless this revision has one: ``None`` when written, else the report of record."""
    body = strict_json.dump_bytes(report)
    if storage.put_new(s3, bucket, key, body, "application/json"):
        return None
    stored = stored_report(s3, bucket, key)
    if stored is None:  # written and deleted in between: nothing sensible to adopt, let Lambda retry
        raise StorageError(f"s3://{bucket}/{key}: the conditional write failed but no report is there")
    return stored
