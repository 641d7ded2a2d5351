"""Deterministic names for a batch: its batch id and its Step Functions execution name.

Both are pure functions of the S3 object's identity (bucket, key, version id or ETag), so a second delivery
of the same S3 event maps to the same report key and the same execution name.
"""

from __future__ import annotations

import hashlib
import re

from drift_retrain.layout import INCOMING_PREFIX

__all__ = [
    "INCOMING_PREFIX",
    "MAX_EXECUTION_NAME_LENGTH",
    "batch_id_for",
    "execution_name_for",
    "key_stem",
    "object_revision",
    "sanitize",
]


MAX_EXECUTION_NAME_LENGTH = 80
_EXECUTION_HASH_CHARS = 20
_BATCH_HASH_CHARS = 8
_SUFFIXES = (
    "/_success",  # a partition's marker names the partition (incoming/<batch>/_SUCCESS -> <batch>)
    "/_manifest.json",
    ".csv.gz",
    ".csv",
    ".jsonl.gz",
    ".jsonl",
    ".parquet",
    ".gz",
    ".txt",
)
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def sanitize(text: str, *, max_length: int | None = None) -> str:
    """Keep letters, digits, ``_`` and ``-`` (runs of anything else become one ``-``).

    The result is valid in a Step Functions execution name, an S3 key and a CloudWatch dimension value.
    """
    cleaned = _UNSAFE.sub("-", text).strip("-_")
    if max_length is not None:
        cleaned = cleaned[:max_length].rstrip("-_")
    return cleaned or "batch"


def key_stem(key: str, *, prefix: str = INCOMING_PREFIX) -> str:
    """Return the key below ``prefix`` without its CSV/gzip suffix (``incoming/a/b.csv.gz`` -> ``a/b``)."""
    stem = key[len(prefix) :] if key.startswith(prefix) else key
    lowered = stem.lower()
    for suffix in _SUFFIXES:
        if lowered.endswith(suffix):
            return stem[: -len(suffix)]
    return stem


def object_revision(version_id: str | None, etag: str | None) -> str:
    """Return what identifies this revision of the object: the version id, else the ETag without quotes.

    S3 sends the literal version id ``"null"`` for objects written before versioning was enabled; it
    identifies nothing, so the ETag is used instead.
    """
    if version_id and version_id != "null":
        return version_id
    return (etag or "").strip('"')


def _digest(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def batch_id_for(key: str, version_id: str | None, etag: str | None) -> str:
    """Batch id: sanitized key stem below ``incoming/`` + ``-`` + 8 hex characters of a hash.

    The hash covers the key as well as the version id / ETag, so two keys whose stems sanitize to the same
    text (``a/b.csv`` and ``a-b.csv``) holding the same bytes still get different batch ids.

    >>> batch_id_for("incoming/2024/05 batch.csv.gz", None, '"9b2cf535f27731c974343645a3985328"')[:14]
    '2024-05-batch-'
    """
    digest = _digest(key, object_revision(version_id, etag))
    return f"{sanitize(key_stem(key), max_length=100)}-{digest[:_BATCH_HASH_CHARS]}"


def execution_name_for(bucket: str, key: str, version_id: str | None, etag: str | None) -> str:
    """Step Functions execution name for this object revision: readable prefix + hash, <= 80 characters.

    Only ``[A-Za-z0-9_-]`` is used, which every execution type accepts. The 80-bit hash of bucket, key and
    version id / ETag makes the name unique per revision; the prefix (the key stem) is for humans.
    """
    digest = _digest(bucket, key, object_revision(version_id, etag))[:_EXECUTION_HASH_CHARS]
    room = MAX_EXECUTION_NAME_LENGTH - _EXECUTION_HASH_CHARS - 1
    return f"{sanitize(key_stem(key), max_length=room)}-{digest}"
