"""DetectDrift's side of the partition check: a partition of more than one part, or of more than
``SINGLE_CHECK_MAX_BYTES``, is not read in this Lambda but checked on the partition-check state machine
(a Distributed Map over its parts, ``statemachine/check-partition.asl.json``).

The parts are listed once, here (for a ``_manifest.json``: validated, and parts it does not list
quarantined as ``part_not_in_manifest``), each pinned to the ETag it was listed with, and written as the
map's item list. ``MAX_OBJECT_BYTES`` applies to each part: a larger one fails the batch before anything
starts (``object_too_large``, naming the part). The execution is named after the marker's revision, so a
redelivered event finds it started and starts nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from drift_retrain.aws import naming
from drift_retrain.aws.executions import start_execution
from drift_retrain.aws.objects import ObjectRef
from drift_retrain.aws.partitions import PartitionParts, partition_key, partition_parts
from drift_retrain.aws.storage import write_json
from drift_retrain.detect.context import DetectSettings, Outcome, Status
from drift_retrain.detect.partitions import quarantine_unlisted
from drift_retrain.echo import echo
from drift_retrain.exceptions import InvalidBatchError
from drift_retrain.layout import partition_check_keys

__all__ = ["check_input", "needs_scale_out", "scale_out"]

logger = logging.getLogger(__name__)


def needs_scale_out(found: PartitionParts, settings: DetectSettings) -> bool:
    """More than one part, or more bytes than one Lambda checks (``SINGLE_CHECK_MAX_BYTES``)."""
    total = sum(part.size or 0 for part in found.parts)
    return len(found.parts) > 1 or total > settings.single_check_max_bytes


def check_input(
    batch: ObjectRef, batch_id: str, found: PartitionParts, champion_variant: str | None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The map's items (one per part) and the execution's input (its exact shape is a contract with
    ``statemachine/check-partition.asl.json``)."""
    items_key, _ = partition_check_keys(batch_id)
    items = [
        {"index": i, "key": part.key, "etag": part.etag or None, "size": part.size}
        for i, part in enumerate(found.parts)
    ]
    payload = {
        "batch": {
            "bucket": batch.bucket,
            "key": batch.key,
            "version_id": batch.pinned_version,
            "etag": batch.etag,
            "batch_id": batch_id,
        },
        "items": {"bucket": batch.bucket, "key": items_key},
        "champion_variant": champion_variant,
    }
    return items, payload


def scale_out(
    clients: Any, settings: DetectSettings, batch: ObjectRef, batch_id: str, champion_variant: str | None
) -> Outcome | InvalidBatchError | None:
    """Start the partition's check on the Distributed Map; ``None`` when the batch is read here (not a
    partition's marker, a small one-part partition, or no partition-check state machine configured)."""
    place = partition_key(batch.key, settings.incoming_prefix)
    if place is None or place.kind != "marker" or not settings.partition_check_arn:
        return None
    try:
        found = partition_parts(clients.s3, batch)
        if not needs_scale_out(found, settings):
            return None
        for part in found.parts:
            _check_part_size(settings, part)
    except InvalidBatchError as error:
        return error
    for extra in found.not_in_manifest:
        quarantine_unlisted(clients, batch, extra, batch_id)
    items, payload = check_input(batch, batch_id, found, champion_variant)
    write_json(clients.s3, batch.bucket, payload["items"]["key"], items)
    execution = start_execution(
        clients.stepfunctions,
        settings.partition_check_arn,
        naming.execution_name_for(batch.bucket, batch.key, batch.version_id, batch.etag),
        payload,
    )
    logger.info(
        "Partition checked on the Distributed Map",
        extra={"batch_id": batch_id, "parts": len(items), "execution_name": execution.name},
    )
    return Outcome(
        status=Status.PARTITION_CHECK_STARTED,
        message=f"{len(items)} parts checked by execution {execution.name}"
        + (" (already started: duplicate delivery)" if execution.duplicate else ""),
        batch=batch,
        batch_id=batch_id,
        partition_check=execution,
    )


def _check_part_size(settings: DetectSettings, part: Any) -> None:
    try:
        settings.limits.check_object_size(part.size)
    except InvalidBatchError as error:
        raise InvalidBatchError(error.code, f"part {echo(part.key)}: {error}") from error
