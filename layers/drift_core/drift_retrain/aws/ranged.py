"""One revision of an S3 object as a seekable file, read by ranged GETs (for Parquet's footer-first reads).

A Parquet reader seeks to the footer at the end and then to each column chunk. Streaming the whole object
to local storage first would need ``/tmp`` as large as ``MAX_OBJECT_BYTES``; ranged GETs read only what
is asked for, each pinned to the revision the event named (``VersionId``, else ``IfMatch`` on the ETag), so
a later overwrite is reported rather than mixed in. Reads are buffered in blocks of ``block_bytes``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from drift_retrain.aws.exceptions import StorageError
from drift_retrain.aws.objects import ObjectRef, OpenedObject, open_object
from drift_retrain.aws.storage import missing_or_error
from drift_retrain.engine.batch_reader import format_of

__all__ = ["BLOCK_BYTES", "RangedObject", "open_for_reading"]

#: Bytes fetched per GET at least (a Parquet column chunk is usually one GET or a few).
BLOCK_BYTES = 8 * 1024 * 1024


class RangedObject(io.RawIOBase):
    """A seekable, read-only file over one object revision (``size`` from a HEAD, pinned)."""

    def __init__(self, s3: Any, ref: ObjectRef, *, block_bytes: int = BLOCK_BYTES) -> None:
        super().__init__()
        self._s3, self._ref, self._block = s3, ref, block_bytes
        self._pin = _pin(ref)
        try:
            head = s3.head_object(Bucket=ref.bucket, Key=ref.key, **self._pin)
        except ClientError as error:
            raise missing_or_error(s3, error, "HeadObject", ref.bucket, ref.key) from error
        self.size = int(head["ContentLength"])
        self.last_modified = head.get("LastModified")
        self._at = 0
        self._cached_at, self._cached = 0, b""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._at

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._at, io.SEEK_END: self.size}[whence]
        self._at = max(0, base + offset)
        return self._at

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._read(len(view))
        view[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        return self._read(self.size - self._at if size is None or size < 0 else size)

    def _read(self, size: int) -> bytes:
        end = min(self.size, self._at + size)
        if end <= self._at:
            return b""
        cached_end = self._cached_at + len(self._cached)
        if not (self._cached_at <= self._at and end <= cached_end):
            self._cached_at = self._at
            self._cached = self._get(self._at, max(end, min(self.size, self._at + self._block)))
        out = self._cached[self._at - self._cached_at : end - self._cached_at]
        self._at += len(out)
        return out

    def _get(self, start: int, end: int) -> bytes:
        try:
            response = self._s3.get_object(
                Bucket=self._ref.bucket, Key=self._ref.key, Range=f"bytes={start}-{end - 1}", **self._pin
            )
            return response["Body"].read()
        except ClientError as error:
            raise missing_or_error(self._s3, error, "GetObject", self._ref.bucket, self._ref.key) from error
        except BotoCoreError as error:
            raise StorageError(
                f"reading {self._ref.uri} failed mid-stream: {type(error).__name__}: {error}",
                code="StreamReadError",
            ) from error


def _pin(ref: ObjectRef) -> dict[str, str]:
    if ref.pinned_version:
        return {"VersionId": ref.pinned_version}
    if ref.etag:
        return {"IfMatch": '"' + ref.etag.strip('"') + '"'}
    return {}


@contextmanager
def open_for_reading(s3: Any, ref: ObjectRef) -> Iterator[OpenedObject]:
    """The object opened as its reader needs it: a ``.parquet`` by ranged reads, anything else streamed."""
    if format_of(ref.key) != "parquet":
        with open_object(s3, ref) as opened:
            yield opened
        return
    ranged = RangedObject(s3, ref)
    try:
        yield OpenedObject(
            stream=ranged,  # type: ignore[arg-type]
            size=ranged.size,
            etag=ref.etag,
            version_id=ref.version_id,
            content_type=None,
            content_encoding=None,
            last_modified=ranged.last_modified,
        )
    finally:
        ranged.close()
