"""``incoming/`` as batches: each partition's parts stand behind its marker, parts without one wait.

PrepareTrainingData orders and reads batches from one listing. A partition is one batch there too: it is
listed as its marker (``_SUCCESS`` or ``_manifest.json``: the key DetectDrift checked and named the
batch after), with the marker's time and ETag and the parts' total size. Parts, and the sidecar files
pipelines leave (``_committed_*``, ``.crc``), are never batches of their own, and a partition without
its marker is not complete, so none of its parts is read.
"""

from __future__ import annotations

from collections.abc import Iterable

from drift_retrain.aws.partitions import partition_key
from drift_retrain.aws.storage import S3Object
from drift_retrain.workflow.prepare_training_data.window import ListedBatch

__all__ = ["listed_batches"]


def listed_batches(objects: Iterable[S3Object], incoming_prefix: str) -> list[ListedBatch]:
    """One ``ListedBatch`` per batch: ordinary objects as they are, each complete partition as its marker."""
    batches: list[ListedBatch] = []
    part_bytes: dict[str, int] = {}
    markers: list[tuple[str, S3Object]] = []
    for item in objects:
        place = partition_key(item.key, incoming_prefix)
        if place is None:
            batches.append(ListedBatch(item.key, item.last_modified, item.etag, item.size))
        elif place.kind == "marker":
            markers.append((place.folder, item))
        elif place.kind == "part":
            part_bytes[place.folder] = part_bytes.get(place.folder, 0) + item.size
    seen: set[str] = set()
    for folder, marker in sorted(markers, key=lambda m: m[1].last_modified):
        if folder not in seen:  # a folder with both markers is one batch, named by the first
            seen.add(folder)
            batches.append(
                ListedBatch(marker.key, marker.last_modified, marker.etag, part_bytes.get(folder, 0))
            )
    return batches
