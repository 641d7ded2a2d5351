"""DetectDrift and partitions: a part's event waits for its marker; the marker's event checks them all.

* A ``part-*`` event (or a sidecar's, ``_committed_*``, ``.crc``) is recorded as waiting for its
  partition and not checked alone: its marker's event checks it with the others (one report, one
  decision, at most one retrain per partition).
* A part written after its partition's marker was left out of that check (it is not among the parts
  the marker's report lists, or it is newer than the marker): it is quarantined as ``late_part`` (a
  copy beside the reason; the original stays), so nobody mistakes it for checked data.
* The marker's event opens the whole partition (:func:`open_batch`); beside a ``_manifest.json``, parts
  it does not list are quarantined as ``part_not_in_manifest`` and not read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from drift_retrain.aws import naming
from drift_retrain.aws.objects import ObjectRef, OpenedObject, quarantine_object
from drift_retrain.aws.partitions import MARKERS, partition_key, partition_parts, partition_source
from drift_retrain.aws.ranged import open_for_reading
from drift_retrain.aws.storage import current_revision, list_objects
from drift_retrain.detect.context import Outcome, Status
from drift_retrain.detect.records import stored_report
from drift_retrain.exceptions import InvalidBatchError

__all__ = ["open_batch", "part_event", "quarantine_unlisted"]

logger = logging.getLogger(__name__)


def part_event(clients: Any, settings: Any, batch: ObjectRef) -> Outcome | InvalidBatchError | None:
    """``None`` for a batch of its own or a marker (checked as usual); an ``Outcome`` for a part that
    waits for (or was checked with) its marker; an ``InvalidBatchError`` (``late_part``) to quarantine."""
    place = partition_key(batch.key, settings.incoming_prefix)
    if place is None or place.kind == "marker":
        return None
    listing = {o.key: o for o in list_objects(clients.s3, batch.bucket, place.folder)}
    markers = [listing[place.folder + m] for m in MARKERS if place.folder + m in listing]
    how = "waiting for its partition's _SUCCESS or _manifest.json"
    if markers and place.kind == "part":
        marker = min(markers, key=lambda m: m.last_modified)
        read = _parts_read(clients, settings, batch.bucket, marker.key)
        part = listing.get(batch.key)
        late = (read is not None and batch.key not in read) or (
            part is not None and part.last_modified > marker.last_modified
        )
        if late:
            return InvalidBatchError(
                "late_part",
                f"{batch.key} was written after {marker.key} marked the partition complete, so the "
                "partition was checked without it: write a new partition (a new folder) with every part",
            )
        how = "checked with its partition" if read is not None else how
    logger.info("Partition part not checked alone", extra={"key": batch.key, "state": how})
    return Outcome(status=Status.WAITING_FOR_PARTITION, message=f"{batch.key}: {how}", batch=batch)


def _parts_read(clients: Any, settings: Any, bucket: str, marker_key: str) -> set[str] | None:
    """The parts the marker's check read (from its report), or ``None`` before it has one."""
    revision = current_revision(clients.s3, bucket, marker_key)
    if revision is None:
        return None
    batch_id = naming.batch_id_for(marker_key, revision[0], revision[1])
    report = stored_report(clients.s3, bucket, f"{settings.reports_prefix}{batch_id}.json")
    if report is None:
        return None
    return {p.get("key") for p in (report.get("sampling") or {}).get("parts") or []}


@contextmanager
def open_batch(clients: Any, incoming_prefix: str, batch: ObjectRef, batch_id: str) -> Iterator[OpenedObject]:
    """The batch opened for the check: the object itself, or, for a marker, its partition (whose
    ``stream`` is a :class:`~drift_retrain.engine.partition_reading.Partition`; ``size`` is ``None``:
    ``MAX_OBJECT_BYTES`` applies to each part)."""
    place = partition_key(batch.key, incoming_prefix)
    if place is None or place.kind != "marker":
        with open_for_reading(clients.s3, batch) as opened:
            yield opened
        return
    found = partition_parts(clients.s3, batch)
    for extra in found.not_in_manifest:
        quarantine_unlisted(clients, batch, extra, batch_id)
    marker = found.marker
    yield OpenedObject(
        stream=partition_source(clients.s3, batch, found),  # type: ignore[arg-type]
        size=None,
        etag=batch.etag,
        version_id=batch.version_id,
        content_type=None,
        content_encoding=None,
        last_modified=marker.last_modified if marker is not None else None,
    )


def quarantine_unlisted(clients: Any, marker: ObjectRef, part: Any, batch_id: str) -> None:
    """A part beside a ``_manifest.json`` that does not list it: quarantined (``part_not_in_manifest``)."""
    error = InvalidBatchError(
        "part_not_in_manifest",
        f"{part.key} is beside {marker.key} but the manifest does not list it, so it was not checked: list "
        "it in the manifest (and upload the manifest again), or move it out of the folder",
    )
    ref = ObjectRef(marker.bucket, part.key, etag=part.etag or None, size=part.size)
    quarantine_object(clients.s3, ref, reason=str(error), code=error.code, batch_id=batch_id)
