"""What MonitorCapture does with one S3 "Object Created" event, and with each scheduled tick.

The monitor ingests, accumulates, joins and materialises; it never checks. DetectDrift checks what it
writes (``monitor/windows/`` unlabelled: alerts only; ``monitor/labelled/``: like an ``incoming/`` batch).

- ``capture/<endpoint>/<variant>/...``: the file's good rows, each with the model that served it, become one
  part; its bad records are counted and kept with their reasons under ``quarantine/``; then the stream's
  due windows close and are written, and the labels already stored are joined to them.
- ``ground-truth/...``: the file's labels become one part (bad records quarantined the same way); then
  every stream's closed windows are joined again.
- a tick (the schedule rule, every ``monitor_window_minutes``): every stream closes the windows that have
  gone quiet, and the joins run again.
- ``incoming-stream/<name>/...`` (a data stream's small objects, Firehose-style): the object is read by the
  batch reader (CSV, JSON Lines or Parquet, against the profile's schema) and its rows become one part of
  the data stream ``name``; its windows close by the same rules and ledger, and each is written once as
  an ordinary batch, ``incoming/stream-<name>/<w>.csv``, which DetectDrift checks like any other (one
  report, one decision, at most one retrain per window). An object the reader refuses, or one with no
  ``<name>/`` folder, is quarantined whole with its reason; none of its rows counts.

Each step is idempotent (:mod:`.store`): a redelivery, a retried invocation or two racing ones add nothing
twice and lose nothing. Transient AWS failures raise (Lambda retries, then the failure queue).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from drift_retrain.aws import storage
from drift_retrain.aws.exceptions import ObjectNotFoundError
from drift_retrain.aws.objects import ObjectRef, resolve_event_key
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.exceptions import InvalidBatchError, ProfileError
from drift_retrain.layout import quarantine_keys
from drift_retrain.monitor.frames import write_frame
from drift_retrain.monitor.keys import (
    CAPTURE_PREFIX,
    GROUND_TRUTH_PREFIX,
    MODEL_COLUMN,
    STREAM_PREFIX,
    Stream,
    labels_key,
    object_part_name,
    part_key,
    window_key,
)
from drift_retrain.monitor.labels import join_stream, read_truth
from drift_retrain.monitor.models import attribute_models, record_serving_config
from drift_retrain.monitor.settings import MonitorSettings
from drift_retrain.monitor.store import close_stream, find_part, materialise_windows, read_ledger, streams

__all__ = ["MonitorOutcome", "process_object", "tick"]

logger = logging.getLogger(__name__)


@dataclass
class MonitorOutcome:
    """What one event or tick did (the handler's return value and the source of its metrics)."""

    status: str
    message: str = ""
    key: str | None = None
    records: int = 0
    rows: int = 0
    bad_records: dict[str, int] = field(default_factory=dict)
    duplicate: bool = False
    quarantine_key: str | None = None
    windows_closed: list[str] = field(default_factory=list)
    labelled_written: list[str] = field(default_factory=list)
    #: Data streams' windows this call wrote as batches (``incoming/stream-<name>/<w>.csv``).
    batches_written: list[str] = field(default_factory=list)

    def to_response(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _load_profile(s3: Any, bucket: str, settings: MonitorSettings) -> BaselineProfile | None:
    try:
        return BaselineProfile.from_json_bytes(storage.read_object(s3, bucket, settings.profile_key))
    except (ObjectNotFoundError, ProfileError) as error:
        logger.error("No usable baseline profile: capture not read", extra={"reason": str(error)})
        return None


def _lines(body: bytes) -> list[bytes]:
    return body.splitlines()


def _quarantine_bad(
    s3: Any, ref: ObjectRef, lines: list[bytes], bad: tuple[Any, ...], records: int
) -> str | None:
    """Keep the bad records (their lines) and their reasons under ``quarantine/``; the good ones count."""
    if not bad:
        return None
    copy_key, record_key = quarantine_keys(ref.key)
    kept = [lines[b.line - 1] for b in bad if 0 < b.line <= len(lines)]
    storage.put_bytes(s3, ref.bucket, copy_key, b"\n".join(kept) + b"\n", "application/jsonl")
    document = {
        "source": {"bucket": ref.bucket, "key": ref.key, "version_id": ref.version_id, "etag": ref.etag},
        "records": records,
        "bad_records": [{"line": b.line, "reason": b.reason, "detail": b.detail} for b in bad],
        "quarantined_copy": {"bucket": ref.bucket, "key": copy_key},
        "time": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    }
    storage.write_json(s3, ref.bucket, record_key, document)
    return copy_key


def _counts(bad: tuple[Any, ...]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in bad:
        counts[record.reason] = counts.get(record.reason, 0) + 1
    return counts


def _read_source(clients: Any, settings: MonitorSettings, ref: ObjectRef) -> list[bytes]:
    settings.limits.check_object_size(ref.size)
    body = storage.read_object(clients.s3, ref.bucket, ref.key, ref.version_id)
    settings.limits.check_object_size(len(body))
    return _lines(body)


def _ingest_capture(
    clients: Any, settings: MonitorSettings, ref: ObjectRef, stream: Stream, profile: BaselineProfile
) -> MonitorOutcome:
    from drift_retrain.capture.records import read_capture

    name = object_part_name(ref.key, ref.etag, f"{CAPTURE_PREFIX}{stream.path}/")
    outcome = MonitorOutcome(status="capture", key=ref.key)
    if find_part(clients.s3, ref.bucket, f"{stream.parts_prefix()}{name}.r") is not None:
        outcome.duplicate, outcome.message = True, "capture object already ingested"
        return outcome
    lines = _read_source(clients, settings, ref)
    captured = read_capture(lines, profile, algorithm=str(profile.metadata.get("algorithm") or "xgboost"))
    frame = captured.frame.copy()
    history = record_serving_config(clients.s3, clients.sagemaker, ref.bucket, stream.endpoint)
    frame[MODEL_COLUMN] = attribute_models(frame["_capture_time"], stream.variant, history)
    outcome.records, outcome.rows, outcome.bad_records = captured.records, len(frame), _counts(captured.bad)
    outcome.quarantine_key = _quarantine_bad(clients.s3, ref, lines, captured.bad, captured.records)
    written = storage.put_new(
        clients.s3, ref.bucket, part_key(stream, name, len(frame)), write_frame(frame), "text/csv"
    )
    outcome.duplicate = not written
    outcome.message = f"{len(frame)} rows from {captured.records} records ({len(captured.bad)} bad)"
    return outcome


def _ingest_truth(
    clients: Any, settings: MonitorSettings, ref: ObjectRef, profile: BaselineProfile
) -> MonitorOutcome:
    from drift_retrain.capture.ground_truth import read_ground_truth

    name = object_part_name(ref.key, ref.etag, GROUND_TRUTH_PREFIX)
    outcome = MonitorOutcome(status="ground_truth", key=ref.key)
    if storage.exists(clients.s3, ref.bucket, labels_key(name)):
        outcome.duplicate, outcome.message = True, "ground-truth object already stored"
        return outcome
    lines = _read_source(clients, settings, ref)
    truth = read_ground_truth(lines, profile)
    outcome.records, outcome.rows, outcome.bad_records = truth.records, len(truth.frame), _counts(truth.bad)
    outcome.quarantine_key = _quarantine_bad(clients.s3, ref, lines, truth.bad, truth.records)
    written = storage.put_new(clients.s3, ref.bucket, labels_key(name), write_frame(truth.frame), "text/csv")
    outcome.duplicate = not written
    outcome.message = f"{len(truth.frame)} labels from {truth.records} records ({len(truth.bad)} bad)"
    return outcome


def _ingest_stream(
    clients: Any, settings: MonitorSettings, ref: ObjectRef, stream: Stream, profile: BaselineProfile
) -> MonitorOutcome:
    """One data-stream object's rows (read as a batch is: any format, the profile's schema) as one part.

    Raises ``InvalidBatchError`` for an object the reader refuses (quarantined whole by the caller)."""
    from drift_retrain.engine.batch_reader import read_batch

    name = object_part_name(ref.key, ref.etag, stream.source_prefix())
    outcome = MonitorOutcome(status="stream", key=ref.key)
    if find_part(clients.s3, ref.bucket, f"{stream.parts_prefix()}{name}.r") is not None:
        outcome.duplicate, outcome.message = True, "stream object already ingested"
        return outcome
    settings.limits.check_object_size(ref.size)
    body = storage.read_object(clients.s3, ref.bucket, ref.key, ref.version_id)
    batch = read_batch(body, name=ref.key, schema=profile.schema, limits=settings.limits)
    schema = profile.schema
    columns = [*schema.feature_names, *([schema.label] if schema.label in batch.frame.columns else [])]
    frame = batch.frame[columns]
    outcome.records, outcome.rows = batch.rows_read, len(frame)
    # Rows the reader sets aside (a class the model never saw) are left out, as in any batch, and counted.
    outcome.bad_records = {code: int(info.get("rows") or 0) for code, info in batch.set_aside.items()}
    written = storage.put_new(
        clients.s3, ref.bucket, part_key(stream, name, len(frame)), write_frame(frame), "text/csv"
    )
    outcome.duplicate = not written
    outcome.message = f"{len(frame)} rows for data stream {stream.name}"
    return outcome


def _advance(
    clients: Any,
    settings: MonitorSettings,
    bucket: str,
    profile: BaselineProfile,
    targets: list[Stream],
    outcome: MonitorOutcome,
    now: datetime,
) -> None:
    """Close what is due, write it, join the labels: the same steps after every event and every tick."""
    truth = None
    truth_read = False
    for stream in targets:
        ledger, closed = close_stream(clients.s3, bucket, stream, settings.rules, now)
        outcome.windows_closed += [f"{stream.path}/{w['id']}" for w in closed]
        written = materialise_windows(clients.s3, bucket, stream, ledger, profile.schema)
        if stream.is_data:  # its batch is checked as any incoming/ batch; no ground truth joins it
            outcome.batches_written += [window_key(stream, w) for w in written]
            continue
        ledger = read_ledger(clients.s3, bucket, stream)
        if not truth_read:
            truth, truth_read = read_truth(clients.s3, bucket, profile), True
        outcome.labelled_written += join_stream(
            clients.s3, bucket, stream, ledger, truth, profile, settings.min_labelled_rows
        )


def process_object(
    clients: Any,
    settings: MonitorSettings,
    *,
    bucket: str,
    key: str,
    version_id: str | None = None,
    etag: str | None = None,
    size: int | None = None,
    now: datetime | None = None,
) -> MonitorOutcome:
    """Ingest one capture, ground-truth or data-stream object, then close, write and join what is due.

    Parameters
    ----------
    clients : aws.clients.LazyClients or any object with ``s3`` and ``sagemaker`` boto3 clients.
    """
    now = now or datetime.now(UTC)
    etag = (etag or "").strip('"') or None
    if settings.data_bucket and bucket != settings.data_bucket:
        return MonitorOutcome(status="ignored", message=f"bucket {bucket} is not the data bucket", key=key)
    stream = Stream.from_capture_key(key) or Stream.from_stream_key(key)
    unnamed = stream is None and key.startswith(STREAM_PREFIX)  # quarantined below: no stream to join
    known = stream is not None or unnamed or key.startswith(GROUND_TRUTH_PREFIX)
    if not known or key.endswith("/"):
        return MonitorOutcome(
            status="ignored", message=f"{key} is no capture, ground-truth or data-stream file", key=key
        )
    key = resolve_event_key(clients.s3, bucket, key, version_id)
    if etag is None:
        revision = storage.current_revision(clients.s3, bucket, key)
        if revision is None:
            return MonitorOutcome(
                status="object_gone", message=f"s3://{bucket}/{key} does not exist", key=key
            )
        version_id, etag = revision
    ref = ObjectRef(bucket=bucket, key=key, version_id=version_id, etag=etag, size=size)
    profile = _load_profile(clients.s3, bucket, settings)
    if profile is None:
        return MonitorOutcome(
            status="no_profile", message="no baseline profile: promote a model first", key=key
        )
    try:
        if unnamed:
            raise InvalidBatchError(
                "stream_name",
                f"{key} is not in a data stream's folder: write it under incoming-stream/<name>/ "
                "(a name of letters, digits, '.', '_' or '-', starting with a letter or digit)",
            )
        if stream is not None and stream.is_data:
            outcome = _ingest_stream(clients, settings, ref, stream, profile)
        elif stream is not None:
            outcome = _ingest_capture(clients, settings, ref, stream, profile)
        else:
            outcome = _ingest_truth(clients, settings, ref, profile)
    except ObjectNotFoundError as error:
        return MonitorOutcome(status="object_gone", message=str(error), key=key)
    except (
        InvalidBatchError
    ) as error:  # too large or (a data stream's) unreadable: kept whole, with its reason
        from drift_retrain.aws.objects import quarantine_object

        record = quarantine_object(clients.s3, ref, reason=str(error), code=error.code, batch_id=ref.key)
        return MonitorOutcome(
            status="invalid",
            message=str(error),
            key=key,
            bad_records={error.code: 1},
            quarantine_key=record.copy_key,
        )
    targets = [stream] if stream is not None else streams(clients.s3, bucket)
    _advance(clients, settings, bucket, profile, targets, outcome, now)
    return outcome


def tick(clients: Any, settings: MonitorSettings, *, now: datetime | None = None) -> MonitorOutcome:
    """The scheduled pass: close quiet windows of every stream, write them, join the labels."""
    now = now or datetime.now(UTC)
    bucket = settings.data_bucket
    if not bucket:
        return MonitorOutcome(status="ignored", message="DATA_BUCKET is not set")
    outcome = MonitorOutcome(status="tick")
    profile = _load_profile(clients.s3, bucket, settings)
    if profile is None:
        outcome.status, outcome.message = "no_profile", "no baseline profile: promote a model first"
        return outcome
    _advance(clients, settings, bucket, profile, streams(clients.s3, bucket), outcome, now)
    outcome.message = (
        f"{len(outcome.windows_closed)} windows closed, {len(outcome.labelled_written)} labelled"
    )
    return outcome
