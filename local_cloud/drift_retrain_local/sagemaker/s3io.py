"""S3 access of the local SageMaker jobs (the boto3 client is always passed in)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from drift_retrain_local.sagemaker.exceptions import JobFailedError

if TYPE_CHECKING:  # pragma: no cover
    from mypy_boto3_s3 import S3Client
else:
    S3Client = Any

__all__ = ["S3Object", "get_bytes", "join_uri", "list_data_objects", "parse_s3_uri", "put_bytes"]


@dataclass(frozen=True)
class S3Object:
    bucket: str
    key: str
    size: int

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` → ``(bucket, key)``; raises :class:`JobFailedError` (ClientError) otherwise."""
    if not isinstance(uri, str) or not uri.startswith("s3://") or not uri[5:].split("/", 1)[0]:
        raise JobFailedError.client(f"{uri!r} is not a valid S3 URI (expected s3://bucket/key)")
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def join_uri(prefix: str, *parts: str) -> str:
    """Join an S3 URI and key parts with single slashes."""
    out = prefix.rstrip("/")
    for part in parts:
        out += "/" + part.strip("/")
    return out


def list_data_objects(s3: S3Client, uri: str) -> list[S3Object]:
    """Every object under an ``S3Prefix`` URI, as SageMaker downloads a channel.

    Folder markers (keys ending in ``/``) are skipped, and so are files whose name starts with ``.`` or
    ``_`` (``_SUCCESS``...), which the built-in algorithm does not read as data.

    Raises
    ------
    JobFailedError
        ``ClientError`` with SageMaker's wording when nothing is found under the URI or S3 refuses.
    """
    bucket, prefix = parse_s3_uri(uri)
    found: list[S3Object] = []
    try:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                name = item["Key"].rsplit("/", 1)[-1]
                if item["Key"].endswith("/") or name.startswith((".", "_")):
                    continue
                found.append(S3Object(bucket, item["Key"], int(item.get("Size", 0))))
    except Exception as exc:  # botocore ClientError, missing bucket, endpoint down
        raise JobFailedError.client(f"Data download failed: could not list {uri}: {exc}") from exc
    if not found:
        raise JobFailedError.client(
            f'Data download failed: No S3 objects found under S3 URL "{uri}" given in input data source. '
            "Please ensure that the bucket exists in the selected region and that objects exist under that "
            "S3 prefix."
        )
    return sorted(found, key=lambda o: o.key)


def get_bytes(s3: S3Client, bucket: str, key: str) -> bytes:
    """The object's body; raises :class:`JobFailedError` (ClientError) when it cannot be read."""
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as exc:
        raise JobFailedError.client(f"could not read s3://{bucket}/{key}: {exc}") from exc


def put_bytes(s3: S3Client, uri: str, body: bytes, content_type: str) -> None:
    """Write ``body`` at ``uri``; raises :class:`JobFailedError` (ClientError) when S3 refuses."""
    bucket, key = parse_s3_uri(uri)
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)
    except Exception as exc:
        raise JobFailedError.client(f"could not write {uri}: {exc}") from exc
