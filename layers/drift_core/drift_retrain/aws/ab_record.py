"""S3 and Step Functions adapter of the A/B test: the record at ``ab/current.json`` and the task token.

Two batches can land at once, and each DetectDrift invocation adds its evidence to the same record: a
read-modify-write with ``IfMatch`` on the ETag read (S3 conditional writes) makes the second writer fail
with 412 and start again from the first one's record, so no evidence is lost. The token calls treat a
task that is already closed (``TaskTimedOut``, ``TaskDoesNotExist``: a duplicate completion, or the
execution ended on its heartbeat or maximum duration) as an answer, not an error.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from drift_retrain import strict_json
from drift_retrain.aws.exceptions import (
    ObjectNotFoundError,
    RecordConflictError,
    TaskTokenError,
    client_error_code,
    client_error_message,
)
from drift_retrain.aws.storage import (
    current_revision,
    knows_put_condition,
    missing_or_error,
    put_bytes,
    put_new,
    s3_uri,
    translate_error,
)
from drift_retrain.layout import AB_RECORD_KEY

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_stepfunctions import SFNClient
else:
    S3Client = Any
    SFNClient = Any

__all__ = [
    "CLOSED_TASK_CODES",
    "complete_task",
    "delete_record",
    "heartbeat",
    "read_record",
    "replace_record",
    "update_record",
    "write_record",
]

logger = logging.getLogger(__name__)

#: Answers that mean the task token is no longer open: already completed, timed out, or gone.
CLOSED_TASK_CODES = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})
_CONFLICT_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})
_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


def _body(record: Mapping[str, Any]) -> bytes:
    return strict_json.dump_bytes(record)


def read_record(s3: S3Client, bucket: str, key: str = AB_RECORD_KEY) -> tuple[dict[str, Any], str] | None:
    """The record and its ETag, or ``None`` when no A/B test is running.

    A missing key is 403 to a caller whose s3:ListBucket carries a prefix condition (ours): confirmed by a
    listing, as every other optional read is (docs/aws-notes.md, finding 6), or no batch would ever be
    checked on AWS while no test runs.
    """
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except ClientError as error:
        failure = missing_or_error(s3, error, "GetObject", bucket, key)
        if isinstance(failure, ObjectNotFoundError):
            return None
        raise failure from error
    return json.loads(response["Body"].read()), str(response.get("ETag", "")).strip('"')


def write_record(s3: S3Client, bucket: str, record: Mapping[str, Any], key: str = AB_RECORD_KEY) -> None:
    """Start a test: the record replaces any left behind (the endpoint lock allows one test at a time)."""
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=_body(record), ContentType="application/json")
    except ClientError as error:
        raise translate_error(error, "PutObject", s3_uri(bucket, key)) from error


def replace_record(
    s3: S3Client, bucket: str, record: Mapping[str, Any], etag: str, key: str = AB_RECORD_KEY
) -> None:
    """Write ``record`` only if the stored one still has ``etag``; :class:`RecordConflictError` if not.

    A botocore without PutObject's ``IfMatch`` (an older Lambda runtime) would refuse the call itself and
    no evidence would ever be added: it gets a HEAD, then the PUT, as storage's write-once does (the same
    answer, except that two batches within milliseconds could both write and one's evidence be lost).
    """
    if not knows_put_condition(s3, "IfMatch"):
        _replace_after_head(s3, bucket, record, etag, key)
        return
    try:
        s3.put_object(
            Bucket=bucket, Key=key, Body=_body(record), ContentType="application/json", IfMatch=f'"{etag}"'
        )
    except ClientError as error:
        if client_error_code(error) in _CONFLICT_CODES | _MISSING_CODES:
            raise RecordConflictError(
                f"{s3_uri(bucket, key)} changed since it was read: {client_error_message(error)}",
                code=client_error_code(error),
            ) from error
        raise translate_error(error, "PutObject", s3_uri(bucket, key)) from error


def _replace_after_head(s3: S3Client, bucket: str, record: Mapping[str, Any], etag: str, key: str) -> None:
    revision = current_revision(s3, bucket, key)
    if revision is None or revision[1] != etag:
        raise RecordConflictError(
            f"{s3_uri(bucket, key)} changed since it was read", code="PreconditionFailed"
        )
    put_bytes(s3, bucket, key, _body(record), "application/json")


def update_record(
    s3: S3Client,
    bucket: str,
    change: Callable[[dict[str, Any]], tuple[dict[str, Any], bool]],
    *,
    attempts: int = 8,
    key: str = AB_RECORD_KEY,
    create: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], bool] | None:
    """Apply ``change`` (record -> (new record, changed?)) with optimistic concurrency.

    Returns the record as written (or as read, when nothing changed) and whether it changed; ``None``
    when the record is missing (the test ended meanwhile), unless ``create`` is given: then a missing
    record is ``create`` changed, written only if still missing (``If-None-Match``). Raises
    :class:`RecordConflictError` after ``attempts`` lost races.
    """
    for attempt in range(1, attempts + 1):
        current = read_record(s3, bucket, key)
        if current is None and create is None:
            return None
        record, etag = current if current is not None else (dict(create or {}), None)
        updated, changed = change(record)
        if not changed:
            return updated, False
        try:
            if etag is None:
                if not put_new(s3, bucket, key, _body(updated), "application/json"):
                    raise RecordConflictError(
                        f"{s3_uri(bucket, key)} was created meanwhile", code="PreconditionFailed"
                    )
            else:
                replace_record(s3, bucket, updated, etag, key)
        except RecordConflictError:
            logger.info("Record changed by a concurrent writer; reading it again", extra={"attempt": attempt})
            continue
        return updated, True
    raise RecordConflictError(f"{s3_uri(bucket, key)}: lost {attempts} write races in a row")


def delete_record(s3: S3Client, bucket: str, key: str = AB_RECORD_KEY) -> None:
    try:
        s3.delete_object(Bucket=bucket, Key=key)
    except ClientError as error:
        raise translate_error(error, "DeleteObject", s3_uri(bucket, key)) from error


def _token_call(call: Callable[[], Any], action: str) -> bool:
    try:
        call()
    except ClientError as error:
        code = client_error_code(error)
        if code in CLOSED_TASK_CODES:
            logger.warning(
                "%s ignored: the task is already closed (%s: %s); a duplicate completion, or the test "
                "ended on its heartbeat or maximum duration",
                action,
                code,
                client_error_message(error),
            )
            return False
        raise TaskTokenError(f"{action}: {code} {client_error_message(error)}", code=code or None) from error
    return True


def complete_task(sfn: SFNClient, token: str, output: Mapping[str, Any]) -> bool:
    """SendTaskSuccess; ``False`` when the task was already closed (logged, not raised)."""
    body = strict_json.dumps(output, indent=None)
    return _token_call(lambda: sfn.send_task_success(taskToken=token, output=body), "SendTaskSuccess")


def heartbeat(sfn: SFNClient, token: str) -> bool:
    """SendTaskHeartbeat: the test is alive (a labelled batch arrived); ``False`` when already closed."""
    return _token_call(lambda: sfn.send_task_heartbeat(taskToken=token), "SendTaskHeartbeat")
