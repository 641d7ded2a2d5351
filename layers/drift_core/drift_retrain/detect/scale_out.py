"""DetectDrift's side of the partition check: a partition of more than one part, or of more than
``SINGLE_CHECK_MAX_BYTES``, and a CSV object of more than that, are not read in this Lambda but checked on
the partition-check state machine (a Distributed Map, ``statemachine/check-partition.asl.json``) over
the parts, and over byte ranges of each CSV of more than ``SINGLE_CHECK_MAX_BYTES`` (``engine.csv_ranges``;
a gzipped CSV cannot be cut, and is one item, or read here when it is the batch).

The parts are listed once, here (for a ``_manifest.json``: validated, and parts it does not list
quarantined as ``part_not_in_manifest``), each pinned to the ETag it was listed with, and written as the
map's item list. ``MAX_OBJECT_BYTES`` applies to each item, as one Lambda reads it: a part, or a byte
range of a CSV. So a CSV of any size that can be cut is checked, and a part that cannot be cut (Parquet,
gzip) and is larger fails the batch before anything starts (``object_too_large``, naming the part). The
execution is named after the marker's revision, so a redelivered event finds it started and starts
nothing.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from drift_retrain.aws import naming
from drift_retrain.aws.executions import start_execution
from drift_retrain.aws.objects import ObjectRef
from drift_retrain.aws.partitions import PartitionParts, partition_key, partition_parts
from drift_retrain.aws.ranged import RangedObject
from drift_retrain.aws.storage import write_json
from drift_retrain.detect.context import DetectSettings, Outcome, Status
from drift_retrain.detect.partitions import quarantine_unlisted
from drift_retrain.echo import echo
from drift_retrain.engine.csv_ranges import HEAD_BYTES, byte_ranges, csv_by_name, cuttable
from drift_retrain.exceptions import InvalidBatchError
from drift_retrain.layout import partition_check_keys

__all__ = [
    "check_input",
    "item_bytes",
    "map_items",
    "may_cut",
    "needs_scale_out",
    "scale_out",
    "share_budgets",
    "splittable",
]

logger = logging.getLogger(__name__)


def needs_scale_out(found: PartitionParts, settings: DetectSettings) -> bool:
    """More than one part, or more bytes than one Lambda checks (``SINGLE_CHECK_MAX_BYTES``)."""
    total = sum(part.size or 0 for part in found.parts)
    return len(found.parts) > 1 or total > settings.single_check_max_bytes


def may_cut(settings: DetectSettings, batch: ObjectRef) -> bool:
    """Whether the batch may be checked in byte ranges, by its name alone (``splittable`` reads its head
    to be sure): then ``MAX_OBJECT_BYTES`` bounds each range, not the object."""
    return bool(settings.partition_check_arn) and csv_by_name(batch.key)


def splittable(s3: Any, ref: ObjectRef) -> bool:
    """A CSV that can be read in byte ranges (``engine.csv_ranges.cuttable``): one ranged GET, pinned."""
    if not csv_by_name(ref.key):
        return False
    head = RangedObject(s3, ref, block_bytes=HEAD_BYTES)
    try:
        first = head.read(HEAD_BYTES)
    finally:
        head.close()
    return cuttable(ref.key, first)


def map_items(
    s3: Any, parts: list[ObjectRef], max_bytes: int, budgets: dict[str, int] | None = None
) -> list[dict[str, Any]]:
    """The map's items: one per part, or, for a CSV of more than ``max_bytes``, one per byte range of it
    (``engine.csv_ranges.byte_ranges``: each at most ``max_bytes``), each pinned to the part's ETag.

    ``budgets`` (``max_rows``, ``max_prediction_rows``) are the batch's, shared out by ``share_budgets``."""
    items: list[dict[str, Any]] = []
    for part in parts:
        item = {"key": part.key, "etag": part.etag or None, "size": part.size}
        if (part.size or 0) > max_bytes and splittable(s3, part):
            ranges = byte_ranges(int(part.size or 0), max_bytes)
            items += [{**item, "start": start, "end": end} for start, end in ranges]
        else:
            items.append(item)
    items = [{"index": i, **item} for i, item in enumerate(items)]
    return share_budgets(items, budgets) if budgets else items


def share_budgets(items: list[dict[str, Any]], budgets: dict[str, int]) -> list[dict[str, Any]]:
    """Each item's share of the batch's row budgets, in proportion to its bytes (at least 1 row each).

    One Lambda samples a batch to ``max_rows`` rows, every row with the same chance, and asks the endpoint
    to score at most ``max_prediction_rows``. The map's children do the same for the whole batch together:
    a child that took the whole budget for itself would over-represent small parts (a part of 100,000 rows
    kept whole beside one of 1,000,000 sampled to 500,000) and multiply the endpoint's calls by the number
    of parts. Bytes stand in for rows (rows per byte alike across the parts); with a size unknown every item keeps
    the whole budgets.
    """
    sizes = [item_bytes(item) or 0 for item in items]
    total = sum(sizes)
    if total <= 0 or any(size <= 0 for size in sizes):
        return items
    return [
        {**item, **{name: max(1, math.ceil(budget * size / total)) for name, budget in budgets.items()}}
        for item, size in zip(items, sizes, strict=True)
    ]


def item_bytes(item: dict[str, Any]) -> int | None:
    """The bytes one Lambda reads for a map item: its byte range, or the whole part."""
    if "start" in item:
        return int(item["end"]) - int(item["start"])
    return item.get("size")


def check_input(
    batch: ObjectRef, batch_id: str, items: list[dict[str, Any]], champion_variant: str | None
) -> dict[str, Any]:
    """The execution's input (its exact shape is a contract with ``statemachine/check-partition.asl.json``);
    ``items`` are written to ``items.key`` (the map's ItemReader)."""
    items_key, _ = partition_check_keys(batch_id)
    return {
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


def scale_out(
    clients: Any,
    settings: DetectSettings,
    batch: ObjectRef,
    batch_id: str,
    champion_variant: str | None,
    *,
    probe: bool = False,
) -> Outcome | InvalidBatchError | None:
    """Start the batch's check on the Distributed Map; ``None`` when the batch is read here (a small
    partition or object, one that cannot be cut in byte ranges, or no partition-check state machine).
    ``probe``: each item fits the challenger's probe on its scored rows (their gains merge as counts)."""
    if not settings.partition_check_arn:
        return None
    place = partition_key(batch.key, settings.incoming_prefix)
    if place is not None and place.kind == "marker":
        try:
            found = partition_parts(clients.s3, batch)
        except InvalidBatchError as error:
            return error
        if not needs_scale_out(found, settings):
            return None
        parts = [ObjectRef(p.bucket, p.key, etag=p.etag, size=p.size) for p in found.parts]
    elif (
        place is None
        and (batch.size or 0) > settings.single_check_max_bytes
        and splittable(clients.s3, batch)
    ):
        found, parts = None, [batch]
    else:
        return None
    items = map_items(
        clients.s3,
        parts,
        settings.single_check_max_bytes,
        {"max_rows": settings.drift.max_rows, "max_prediction_rows": settings.drift.max_prediction_rows},
    )
    if probe:
        items = [{**item, "probe": True} for item in items]
    try:
        for item in items:
            _check_item_size(settings, item, named=found is not None)
    except InvalidBatchError as error:
        return error
    for extra in found.not_in_manifest if found is not None else []:
        quarantine_unlisted(clients, batch, extra, batch_id)
    payload = check_input(batch, batch_id, items, champion_variant)
    write_json(clients.s3, batch.bucket, payload["items"]["key"], items)
    execution = start_execution(
        clients.stepfunctions,
        settings.partition_check_arn,
        naming.execution_name_for(batch.bucket, batch.key, batch.version_id, batch.etag),
        payload,
    )
    what = f"{len(parts)} parts" if found is not None else f"{len(items)} byte ranges"
    logger.info(
        "Batch checked on the Distributed Map",
        extra={"batch_id": batch_id, "items": len(items), "execution_name": execution.name},
    )
    return Outcome(
        status=Status.PARTITION_CHECK_STARTED,
        message=f"{what} checked by execution {execution.name}"
        + (" (already started: duplicate delivery)" if execution.duplicate else ""),
        batch=batch,
        batch_id=batch_id,
        partition_check=execution,
    )


def _check_item_size(settings: DetectSettings, item: dict[str, Any], *, named: bool) -> None:
    """``MAX_OBJECT_BYTES`` per item; a partition's error names the part."""
    try:
        settings.limits.check_object_size(item_bytes(item))
    except InvalidBatchError as error:
        if not named:
            raise
        raise InvalidBatchError(error.code, f"part {echo(item['key'])}: {error}") from error
