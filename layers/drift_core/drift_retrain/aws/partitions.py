"""Partitions on S3: ``incoming/<batch>/part-*`` made one batch by a ``_SUCCESS`` or ``_manifest.json``.

Spark, Glue and Hive write a folder of ``part-*`` files and, last, an empty ``_SUCCESS``; other pipelines
write a ``_manifest.json`` listing the parts with their sizes or ETags. The marker's event is the batch's
event: this module lists the folder (or reads and validates the manifest) and gives the engine a
:class:`~drift_retrain.engine.partition_reading.Partition` whose parts open as pinned streams. A part's
own event is no batch: DetectDrift and PrepareTrainingData see a partition through its marker only.

Manifest: ``{"parts": [{"key": "part-00000.parquet", "size": 1234, "etag": "..."}]}``; each key relative
to the folder (or the full key inside it), with ``size`` or ``etag`` or both, checked against the listing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, BinaryIO

from drift_retrain.aws.objects import ObjectRef
from drift_retrain.aws.storage import S3Object, list_objects, read_object
from drift_retrain.echo import echo
from drift_retrain.engine.partition_reading import Part, Partition
from drift_retrain.exceptions import InvalidBatchError

__all__ = [
    "MANIFEST",
    "MARKERS",
    "SUCCESS",
    "PartitionKey",
    "PartitionParts",
    "is_marker",
    "is_partition_member",
    "partition_key",
    "partition_parts",
    "partition_source",
]

SUCCESS = "_SUCCESS"
MANIFEST = "_manifest.json"
MARKERS = (SUCCESS, MANIFEST)
PART_PREFIX = "part-"


@dataclass(frozen=True)
class PartitionKey:
    """Where a key sits in a partition: its folder (``incoming/<batch>/``), its name, and its kind."""

    folder: str
    name: str
    kind: str  # "marker", "part" or "sidecar" (``_committed_*``, ``.crc``: never read)


def partition_key(key: str, incoming_prefix: str) -> PartitionKey | None:
    """The key's place in a partition, or ``None`` for an ordinary batch (a file directly in
    ``incoming/``, or one in a sub-folder that is neither a marker nor named ``part-*``)."""
    if not key.startswith(incoming_prefix) or "/" not in key[len(incoming_prefix) :]:
        return None
    folder, name = key.rsplit("/", 1)
    if name in MARKERS:
        return PartitionKey(folder + "/", name, "marker")
    if name.startswith(PART_PREFIX):
        return PartitionKey(folder + "/", name, "part")
    if name.startswith(("_", ".")):
        return PartitionKey(folder + "/", name, "sidecar")
    return None


def is_marker(key: str) -> bool:
    """``<folder>/_SUCCESS`` or ``<folder>/_manifest.json``: the key a partition is checked and named by."""
    return "/" in key and key.rsplit("/", 1)[1] in MARKERS


def is_partition_member(key: str, incoming_prefix: str) -> bool:
    """A part or sidecar of a partition: read only through its marker, never as a batch of its own."""
    place = partition_key(key, incoming_prefix)
    return place is not None and place.kind != "marker"


@dataclass(frozen=True)
class PartitionParts:
    """A marker's parts as listed (and, for a manifest, checked), and the parts it leaves out."""

    marker: S3Object | None
    parts: list[S3Object]
    not_in_manifest: list[S3Object]


def _children(s3: Any, bucket: str, folder: str) -> list[S3Object]:
    return [o for o in list_objects(s3, bucket, folder) if "/" not in o.key[len(folder) :]]


def partition_parts(s3: Any, marker: ObjectRef) -> PartitionParts:
    """The parts of the partition ``marker`` completes, by key.

    Raises
    ------
    InvalidBatchError
        ``empty_partition``, ``invalid_manifest`` or ``part_missing``.
    """
    folder = marker.key.rsplit("/", 1)[0] + "/"
    children = _children(s3, marker.bucket, folder)
    present = {o.key: o for o in children}
    candidates = [o for o in children if o.key.rsplit("/", 1)[1].startswith(PART_PREFIX)]
    if marker.key.endswith("/" + MANIFEST):
        listed = _manifest_parts(read_object(s3, marker.bucket, marker.key, marker.pinned_version), folder)
        parts = [_listed_part(entry, present, folder) for entry in listed]
        named = {p.key for p in parts}
        extra = [o for o in candidates if o.key not in named]
    else:
        parts, extra = sorted(candidates, key=lambda o: o.key), []
    if not parts:
        raise InvalidBatchError(
            "empty_partition",
            f"{marker.uri} marks {folder} complete, but no part-* file is beside it: write the parts before "
            "the marker",
        )
    return PartitionParts(present.get(marker.key), parts, extra)


def partition_source(s3: Any, marker: ObjectRef, found: PartitionParts | None = None) -> Partition:
    """The engine's view of the partition: each part opened pinned to the ETag it was listed with."""
    found = found or partition_parts(s3, marker)
    return Partition(
        where=f"s3://{marker.bucket}/{marker.key.rsplit('/', 1)[0]}/",
        parts=[_part(s3, marker.bucket, o) for o in found.parts],
    )


def _part(s3: Any, bucket: str, listed: S3Object) -> Part:
    ref = ObjectRef(bucket, listed.key, etag=listed.etag or None, size=listed.size)

    @contextmanager
    def opened() -> Iterator[BinaryIO]:
        from drift_retrain.aws.ranged import open_for_reading  # it reads partitions' formats too

        with open_for_reading(s3, ref) as stream:
            yield stream.stream

    return Part(name=listed.key, size=listed.size, open=opened, etag=listed.etag or None)


def _manifest_parts(body: bytes, folder: str) -> list[dict[str, Any]]:
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise _bad_manifest(f"it is not JSON ({exc})") from exc
    parts = document.get("parts") if isinstance(document, dict) else None
    if not isinstance(parts, list) or not parts:
        raise _bad_manifest('it needs "parts": a non-empty list')
    checked = []
    for i, entry in enumerate(parts):
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str) or not entry["key"]:
            raise _bad_manifest(f'parts[{i}] needs a "key" (text)')
        size, etag = entry.get("size"), entry.get("etag")
        if size is None and etag is None:
            raise _bad_manifest(f'parts[{i}] ({echo(entry["key"])}) needs a "size" or an "etag"')
        if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
            raise _bad_manifest(f'parts[{i}] "size" must be a whole number of bytes')
        if etag is not None and not isinstance(etag, str):
            raise _bad_manifest(f'parts[{i}] "etag" must be text')
        key = entry["key"] if entry["key"].startswith(folder) else folder + entry["key"].lstrip("/")
        if "/" in key[len(folder) :] or key.rsplit("/", 1)[1] in MARKERS:
            raise _bad_manifest(f"parts[{i}] {echo(entry['key'])} is not a file of {folder}")
        checked.append({"key": key, "size": size, "etag": etag})
    return checked


def _listed_part(entry: dict[str, Any], present: dict[str, S3Object], folder: str) -> S3Object:
    found = present.get(entry["key"])
    if found is None:
        raise _missing(entry["key"], "is not in the folder")
    if entry["size"] is not None and entry["size"] != found.size:
        raise _missing(entry["key"], f"is {found.size:,} bytes, the manifest says {entry['size']:,}")
    if entry["etag"] is not None and entry["etag"].strip('"') != found.etag:
        raise _missing(entry["key"], f"has ETag {found.etag}, the manifest says {echo(entry['etag'])}")
    return found


def _bad_manifest(why: str) -> InvalidBatchError:
    return InvalidBatchError(
        "invalid_manifest",
        f'the _manifest.json cannot be used: {why}; expected {{"parts": [{{"key": "part-00000.parquet", '
        '"size": 1234, "etag": "..."}]}',
    )


def _missing(key: str, why: str) -> InvalidBatchError:
    return InvalidBatchError(
        "part_missing",
        f"the manifest lists {echo(key)}, which {why}: the partition is incomplete; upload the part, then "
        "the manifest again",
    )
