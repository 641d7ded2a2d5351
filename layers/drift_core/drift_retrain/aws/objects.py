"""S3 streaming and quarantine for DetectDrift: open one revision of a batch, copy a bad one aside.

The plain reads, writes and listings every Lambda shares live in :mod:`drift_retrain.aws.storage`; both
raise the exceptions of :mod:`drift_retrain.aws.exceptions` instead of botocore's ``ClientError``.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from botocore.exceptions import BotoCoreError, ClientError

from drift_retrain.aws.exceptions import StorageError
from drift_retrain.aws.storage import exists, missing_or_error, translate_error, write_json
from drift_retrain.layout import QUARANTINE_PREFIX, quarantine_keys

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = Any

__all__ = [
    "QUARANTINE_PREFIX",
    "ObjectRef",
    "OpenedObject",
    "QuarantineRecord",
    "open_object",
    "quarantine_keys",
    "quarantine_object",
    "resolve_event_key",
]


#: Read-ahead buffer of the streamed object (the engine reads it in chunks; memory stays bounded).
STREAM_BUFFER_BYTES = 1024 * 1024
#: CopyObject copies at most 5 GiB in one request; larger objects go through the managed multipart copy.
MAX_SINGLE_COPY_BYTES = 5 * 1024**3


@dataclass(frozen=True)
class ObjectRef:
    """One revision of one S3 object, as named by the event."""

    bucket: str
    key: str
    version_id: str | None = None
    etag: str | None = None
    size: int | None = None

    @property
    def uri(self) -> str:
        """``s3://bucket/key`` (for logs and messages)."""
        return f"s3://{self.bucket}/{self.key}"

    @property
    def pinned_version(self) -> str | None:
        """The version id to read, or ``None`` for unversioned objects (S3 reports those as ``"null"``)."""
        return self.version_id if self.version_id and self.version_id != "null" else None


@dataclass
class OpenedObject:
    """A streamed S3 object: ``stream`` is a buffered binary file positioned at the start."""

    stream: io.BufferedReader
    size: int | None
    etag: str | None
    version_id: str | None
    content_type: str | None
    content_encoding: str | None
    #: When this revision was written (an A/B test counts only batches written after it started).
    last_modified: datetime | None = None

    def close(self) -> None:
        """Close the underlying HTTP stream."""
        self.stream.close()

    def __enter__(self) -> OpenedObject:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass(frozen=True)
class QuarantineRecord:
    """Where a bad batch was copied and where its reason was written."""

    bucket: str
    copy_key: str
    error_key: str
    document: Mapping[str, Any]


class _StreamingBodyReader(io.RawIOBase):
    """Raw-IO view of botocore's ``StreamingBody`` so it can sit under :class:`io.BufferedReader`.

    ``StreamingBody`` has ``read(n)`` but no ``readinto``; wrapping it gives ``peek``, ``read1`` and line
    reads (what gzip, csv and ``io.TextIOWrapper`` expect) without downloading the object first.

    A network failure while reading becomes :class:`StorageError` (transient: Lambda retries). botocore's
    ``ReadTimeoutError`` is an ``OSError``, which a reader would take for a corrupt file and quarantine.
    """

    def __init__(self, body: Any) -> None:
        super().__init__()
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        try:
            data = self._body.read(len(view))
        except BotoCoreError as error:
            raise StorageError(
                f"reading the object failed mid-stream: {type(error).__name__}: {error}",
                code="StreamReadError",
            ) from error
        size = len(data)
        view[:size] = data
        return size

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


def resolve_event_key(s3: S3Client, bucket: str, key: str, version_id: str | None = None) -> str:
    """The object key an S3 "Object Created" EventBridge event names.

    S3's own notifications URL-encode the key ('+' for a space); AWS's docs do not say whether the
    EventBridge event does. Decoding a key that was not encoded mis-reads every ``+`` and ``%``; not
    decoding one that was misses keys with spaces. So the key is looked up as received and, when that
    object (version) does not exist and decoding changes the key, in its decoded form. When neither
    exists, the key as received is returned: reading it reports the object gone. docs/aws-notes.md, 8.
    """
    decoded = unquote_plus(key)
    if decoded == key or exists(s3, bucket, key, version_id):
        return key
    return decoded if exists(s3, bucket, decoded, version_id) else key


def open_object(s3: S3Client, ref: ObjectRef, *, buffer_size: int = STREAM_BUFFER_BYTES) -> OpenedObject:
    """Open one revision of an object as a streaming binary file (nothing is downloaded up front).

    The read is pinned to the event's revision: by ``VersionId`` on versioned buckets, otherwise by
    ``IfMatch`` on the ETag, so a later overwrite is reported instead of silently checking other bytes.

    Parameters
    ----------
    s3 : S3Client
        boto3 S3 client.
    ref : ObjectRef
        The object named by the event.
    buffer_size : int
        Read-ahead buffer in bytes.

    Returns
    -------
    OpenedObject
        The stream and the object's metadata. Close it (or use it as a context manager).

    Raises
    ------
    ObjectNotFoundError
        The object or version is gone.
    ObjectChangedError
        The object was overwritten after the event (unversioned bucket).
    StorageError
        Any other S3 error.
    """
    params: dict[str, Any] = {"Bucket": ref.bucket, "Key": ref.key}
    if ref.pinned_version:
        params["VersionId"] = ref.pinned_version
    elif ref.etag:
        etag = ref.etag.strip('"')
        params["IfMatch"] = f'"{etag}"'
    try:
        response = s3.get_object(**params)
    except ClientError as error:
        raise missing_or_error(s3, error, "GetObject", ref.bucket, ref.key) from error
    raw = _StreamingBodyReader(response["Body"])
    return OpenedObject(
        stream=io.BufferedReader(raw, buffer_size=buffer_size),
        size=response.get("ContentLength"),
        etag=(response.get("ETag") or "").strip('"') or None,
        version_id=response.get("VersionId"),
        content_type=response.get("ContentType"),
        content_encoding=response.get("ContentEncoding"),
        last_modified=response.get("LastModified"),
    )


def quarantine_object(
    s3: S3Client,
    ref: ObjectRef,
    *,
    reason: str,
    code: str,
    batch_id: str,
    prefix: str = QUARANTINE_PREFIX,
    now: dt.datetime | None = None,
) -> QuarantineRecord:
    """Copy a bad batch to ``<prefix>files/<original key>`` and write why to ``<prefix>records/<key>.json``.

    The original object is never deleted or modified. Running this twice for the same revision writes the
    same copy and the same reason (only ``time`` changes), so duplicate deliveries are harmless.

    Parameters
    ----------
    s3 : S3Client
        boto3 S3 client.
    ref : ObjectRef
        The bad object (the copy is taken from this exact version when versioned).
    reason, code : str
        The specific validation message and its machine-readable code.
    batch_id : str
        The batch id the report would have had.
    prefix : str
        Quarantine prefix (default ``quarantine/``); the keys are :func:`drift_retrain.layout.quarantine_keys`.
    now : datetime, optional
        Time to record (UTC now by default).

    Returns
    -------
    QuarantineRecord
        Keys of the copy and of the error document, and the document itself.

    Raises
    ------
    ObjectNotFoundError
        The original disappeared before it could be copied.
    StorageError
        The copy or the error document could not be written.
    """
    copy_key, error_key = quarantine_keys(ref.key, prefix)
    source: dict[str, str] = {"Bucket": ref.bucket, "Key": ref.key}
    if ref.pinned_version:
        source["VersionId"] = ref.pinned_version
    try:
        if ref.size is not None and ref.size > MAX_SINGLE_COPY_BYTES:
            s3.copy(source, ref.bucket, copy_key)
        else:
            # No tags on the copy: copying them would need s3:GetObjectTagging on every batch.
            s3.copy_object(
                CopySource=source,
                Bucket=ref.bucket,
                Key=copy_key,
                MetadataDirective="COPY",
                TaggingDirective="REPLACE",
            )
    except ClientError as error:
        raise translate_error(error, "CopyObject", ref.uri) from error

    when = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    document = {
        "reason": reason,
        "code": code,
        "batch_id": batch_id,
        "time": when.isoformat().replace("+00:00", "Z"),
        "source": {
            "bucket": ref.bucket,
            "key": ref.key,
            "version_id": ref.version_id,
            "etag": ref.etag,
            "size": ref.size,
        },
        "quarantined_copy": {"bucket": ref.bucket, "key": copy_key},
    }
    write_json(s3, ref.bucket, error_key, document)
    return QuarantineRecord(bucket=ref.bucket, copy_key=copy_key, error_key=error_key, document=document)
