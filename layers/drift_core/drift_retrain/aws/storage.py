"""S3 adapter of every Lambda: list, read, write, copy and count objects.

Every function takes the S3 client as its first argument and raises the exceptions of
:mod:`drift_retrain.aws.exceptions` (``ObjectNotFoundError`` for a missing object, ``ObjectChangedError``
for a failed precondition, ``StorageError`` otherwise), or returns ``None`` where a missing object is a
normal answer, instead of botocore's ``ClientError``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from drift_retrain import strict_json
from drift_retrain.aws.exceptions import (
    ObjectChangedError,
    ObjectNotFoundError,
    StorageError,
    client_error_code,
    client_error_message,
    http_status,
)
from drift_retrain.strict_json import json_safe

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
else:
    S3Client = Any

__all__ = [
    "S3Object",
    "copy_object",
    "count_keys",
    "current_revision",
    "exists",
    "json_safe",
    "knows_put_condition",
    "list_objects",
    "missing_or_error",
    "put_bytes",
    "put_json",
    "put_new",
    "read_object",
    "read_optional",
    "s3_uri",
    "split_uri",
    "translate_error",
    "write_json",
]

_NOT_FOUND = frozenset({"NoSuchKey", "NoSuchVersion", "NotFound", "404"})
_CHANGED = frozenset({"PreconditionFailed", "412"})


@dataclass(frozen=True)
class S3Object:
    """One listed object (current version)."""

    bucket: str
    key: str
    size: int
    last_modified: datetime
    etag: str


def s3_uri(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def split_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> ``(bucket, key)``."""
    if not uri.startswith("s3://") or "/" not in uri[5:]:
        raise StorageError(f"not an s3://bucket/key URI: {uri!r}")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def translate_error(error: ClientError, action: str, uri: str) -> StorageError:
    """botocore's error as ours, naming the action and the object."""
    code = client_error_code(error)
    message = f"{action} {uri} failed: {code or http_status(error)} {client_error_message(error)}".strip()
    if code in _NOT_FOUND or http_status(error) == 404:
        return ObjectNotFoundError(f"{uri} does not exist ({code or 404})", code=code or "NotFound")
    if code in _CHANGED or http_status(error) == 412:
        return ObjectChangedError(
            f"{uri} changed after the event (its ETag no longer matches)", code=code or "PreconditionFailed"
        )
    return StorageError(message, code=code or None)


def _is_not_found(error: ClientError) -> bool:
    code = str(error.response.get("Error", {}).get("Code", ""))
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return code in _NOT_FOUND or status == 404


def _confirmed_missing(s3: S3Client, bucket: str, key: str, error: ClientError) -> bool:
    """Whether a failed read of ``key`` means the object does not exist.

    S3 answers a read of a missing key with 404 only to a caller allowed s3:ListBucket, otherwise 403
    ("If you don't have the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403",
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html). Our grants scope ListBucket with an
    ``s3:prefix`` condition, which a GetObject request does not carry, so a 403 is confirmed by listing the
    key itself (allowed under the prefix condition): absent from the listing means missing; present (or
    the listing denied too) means a real permission problem. docs/aws-notes.md, finding 6.
    """
    if _is_not_found(error):
        return True
    if client_error_code(error) not in {"AccessDenied", "403"} and http_status(error) != 403:
        return False
    try:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1).get("Contents", [])
    except ClientError:
        return False
    return not any(item.get("Key") == key for item in listed)


def missing_or_error(s3: S3Client, error: ClientError, action: str, bucket: str, key: str) -> StorageError:
    """``ObjectNotFoundError`` when ``key`` is confirmed missing (404, or 403 and absent), else ours of ``error``."""
    uri = s3_uri(bucket, key)
    if _confirmed_missing(s3, bucket, key, error):
        code = client_error_code(error) or "NotFound"
        return ObjectNotFoundError(f"{uri} does not exist ({code})", code=code)
    return translate_error(error, action, uri)


def list_objects(s3: S3Client, bucket: str, prefix: str) -> Iterator[S3Object]:
    """Every object under ``prefix`` (paginated)."""
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield S3Object(
                    bucket=bucket,
                    key=item["Key"],
                    size=int(item.get("Size", 0)),
                    last_modified=item["LastModified"],
                    etag=str(item.get("ETag", "")).strip('"'),
                )
    except ClientError as error:
        raise translate_error(error, "ListObjectsV2", s3_uri(bucket, prefix)) from error


def read_object(s3: S3Client, bucket: str, key: str, version_id: str | None = None) -> bytes:
    """Whole object (``version_id`` pins a revision); a missing object is an error here."""
    kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version_id and version_id != "null":
        kwargs["VersionId"] = version_id
    try:
        return s3.get_object(**kwargs)["Body"].read()
    except ClientError as error:
        raise missing_or_error(s3, error, "GetObject", bucket, key) from error


def current_revision(s3: S3Client, bucket: str, key: str) -> tuple[str | None, str] | None:
    """``(version_id, etag)`` of the object's current revision, or ``None`` when it is gone."""
    try:
        response = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as error:
        if _confirmed_missing(s3, bucket, key, error):
            return None
        raise translate_error(error, "HeadObject", s3_uri(bucket, key)) from error
    return response.get("VersionId"), str(response.get("ETag", "")).strip('"')


def exists(s3: S3Client, bucket: str, key: str, version_id: str | None = None) -> bool:
    """Whether the object (that version, when ``version_id`` is given) exists."""
    kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if version_id and version_id != "null":
        kwargs["VersionId"] = version_id
    try:
        s3.head_object(**kwargs)
    except ClientError as error:
        if _confirmed_missing(s3, bucket, key, error) or client_error_code(error) == "InvalidArgument":
            return False  # InvalidArgument: a version id of another key
        raise translate_error(error, "HeadObject", s3_uri(bucket, key)) from error
    return True


def read_optional(s3: S3Client, bucket: str, key: str) -> bytes | None:
    """Whole object, or ``None`` when it does not exist."""
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if _confirmed_missing(s3, bucket, key, error):
            return None
        raise translate_error(error, "GetObject", s3_uri(bucket, key)) from error


def put_bytes(s3: S3Client, bucket: str, key: str, body: bytes, content_type: str) -> None:
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
    except ClientError as error:
        raise translate_error(error, "PutObject", s3_uri(bucket, key)) from error


def knows_put_condition(s3: S3Client, member: str) -> bool:
    """Whether this client's botocore can send PutObject's ``member`` (``IfNoneMatch``: 1.35, August 2024;
    ``IfMatch``: November 2024). Lambda's runtime ships its own botocore (the layer carries none)."""
    try:
        members = s3.meta.service_model.operation_model("PutObject").input_shape.members
    except AttributeError:  # a test double without a service model
        return True
    return member in members


def _knows_if_none_match(s3: S3Client) -> bool:
    return knows_put_condition(s3, "IfNoneMatch")


def put_new(s3: S3Client, bucket: str, key: str, body: bytes, content_type: str) -> bool:
    """Write ``key`` only if it does not exist (``If-None-Match: *``): ``False`` when it already did.

    S3 checks the condition atomically, so of two concurrent writers exactly one wins; the other gets
    412 PreconditionFailed (or 409 ConditionalRequestConflict while the first upload is in flight, raised
    here as a ``StorageError`` so the caller's invocation is retried and then finds the object).
    A botocore older than conditional writes (1.35, August 2024; Lambda's runtime ships its own) gets a
    HEAD, then the PUT: the same answer, except that two writers within milliseconds could both write.
    """
    if not _knows_if_none_match(s3):
        if exists(s3, bucket, key):
            return False
        put_bytes(s3, bucket, key, body, content_type)
        return True
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, IfNoneMatch="*")
    except ClientError as error:
        if client_error_code(error) in _CHANGED or http_status(error) == 412:
            return False
        raise translate_error(error, "PutObject", s3_uri(bucket, key)) from error
    return True


def put_json(s3: S3Client, bucket: str, key: str, document: Mapping[str, Any]) -> None:
    body = strict_json.dump_bytes(document)
    put_bytes(s3, bucket, key, body, "application/json")


def copy_object(s3: S3Client, bucket: str, source_key: str, target_key: str) -> None:
    """Server-side copy inside one bucket (managed multipart copy for large objects)."""
    try:
        s3.copy({"Bucket": bucket, "Key": source_key}, bucket, target_key)
    except ClientError as error:
        raise translate_error(error, "CopyObject", s3_uri(bucket, source_key)) from error


def count_keys(s3: S3Client, bucket: str, prefix: str) -> int:
    """How many objects are under ``prefix`` (e.g. the recovery markers of one model).

    Raises
    ------
    StorageError
        ListObjectsV2 failed.
    """
    count = 0
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            count += int(page.get("KeyCount", len(page.get("Contents", []))))
    except ClientError as error:
        raise translate_error(error, "ListObjectsV2", f"s3://{bucket}/{prefix}") from error
    return count


def write_json(s3: S3Client, bucket: str, key: str, document: Mapping[str, Any] | bytes) -> None:
    """Write a JSON document (a mapping, or bytes already serialized) with ``application/json``.

    Raises
    ------
    StorageError
        PutObject failed.
    """
    body = document if isinstance(document, bytes) else strict_json.dump_bytes(document)
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    except ClientError as error:
        raise translate_error(error, "PutObject", f"s3://{bucket}/{key}") from error
