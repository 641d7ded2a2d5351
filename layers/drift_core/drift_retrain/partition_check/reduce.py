"""The partition check's reduce step: the parts' (or a large CSV's byte ranges') summaries merged, checked
once, and decided on as DetectDrift decides for one object (one report, one decision, at most one
retrain: ``detect.actions``).

It reads what the map's ``ResultWriter`` wrote (``manifest.json`` naming ``SUCCEEDED_<n>.json`` and
``FAILED_<n>.json`` result files, each a list of child executions whose ``Output`` is the child's JSON).
A part that was bad input fails the batch with that part's reason; a part whose columns disagree with the
first part's fails it as ``partition_schema_mismatch``; a part whose child still failed after its retries
fails it as ``part_check_failed``, each naming the part (the first in part order, as one Lambda reading
the parts in turn would). Either way the batch is quarantined (its marker copied beside the reason; the
parts stay where they are), its report is ``invalid``, and people are notified: nothing is lost. A map that failed as a whole (its item list unreadable, the tolerated
failure threshold crossed) is recorded the same way by :func:`record_failed_check`.
"""

from __future__ import annotations

import json
import logging
from contextlib import closing
from typing import Any

from drift_retrain.aws.objects import ObjectRef
from drift_retrain.aws.ranged import RangedObject
from drift_retrain.aws.storage import list_objects, read_object
from drift_retrain.detect.ab_test import ab_look, resend_decision
from drift_retrain.detect.actions import act_on_report, handle_invalid, replay_report
from drift_retrain.detect.context import DetectSettings, Outcome
from drift_retrain.detect.inputs import ab_state, check_inputs, variant_predictors
from drift_retrain.detect.records import stored_report
from drift_retrain.echo import echo
from drift_retrain.engine.partition_reading import check_parts_agree
from drift_retrain.engine.reading import unknown_class_refusal
from drift_retrain.engine.summary import PartialSummary, check_summary, merge_summaries
from drift_retrain.exceptions import InvalidBatchError
from drift_retrain.layout import partition_results_prefix
from drift_retrain.partition_check.ab_rows import read_ab_rows

__all__ = ["record_failed_check", "reduce_partition"]

logger = logging.getLogger(__name__)


def _batch(event: dict[str, Any]) -> tuple[ObjectRef, str]:
    batch = event["batch"]
    ref = ObjectRef(batch["bucket"], batch["key"], version_id=batch.get("version_id"), etag=batch.get("etag"))
    return ref, batch["batch_id"]


def _results(s3: Any, where: dict[str, Any]) -> list[dict[str, Any]]:
    """Every child's end, by part index: its output, or ``{"index", "key", "failed": {...}}``."""
    manifest = json.loads(read_object(s3, where["Bucket"], where["Key"]))
    ends = []
    for status, files in manifest["ResultFiles"].items():
        for listed in files:
            for execution in json.loads(read_object(s3, manifest["DestinationBucket"], listed["Key"])):
                if status == "SUCCEEDED":
                    ends.append(json.loads(execution["Output"]))
                else:
                    part = json.loads(execution["Input"]).get("part") or {}
                    failure = {"error": execution.get("Error"), "cause": execution.get("Cause")}
                    ends.append({"index": part.get("index"), "key": part.get("key"), "failed": failure})
    return sorted(ends, key=lambda end: (end.get("index") is None, end.get("index") or 0))


def _failure(ends: list[dict[str, Any]]) -> InvalidBatchError | None:
    """The first bad or failed part's error (by part index), or ``None`` when every part was summarised."""
    for end in ends:
        if "invalid" in end:
            bad = end["invalid"]
            return InvalidBatchError(
                bad["code"], bad["reason"], line=bad.get("line"), column=bad.get("column")
            )
        if "failed" in end:
            return InvalidBatchError(
                "part_check_failed",
                f"part {echo(end.get('key'))} could not be checked after its retries "
                f"({_what_failed(end['failed'])}); the parts are untouched: fix the cause and upload the "
                "marker again",
            )
    return None


def _summarised(s3: Any, bucket: str, ends: list[dict[str, Any]]) -> list[PartialSummary] | InvalidBatchError:
    """Every part's (or range's) summary, in item order; or the error one Lambda reading the parts in turn
    meets first: a bad or failed part, a part whose columns disagree with the first part's
    (``partition_schema_mismatch``, as ``engine.partition_reading`` says it), or a CSV read in byte
    ranges none of which held a row (``no_rows``). The ranges of one CSV share its header: only
    different objects are compared."""
    partials: list[PartialSummary] = []
    first: tuple[str, dict[str, bool]] | None = None
    read: set[str] = set()
    for end in ends:
        failed = _failure([end])
        if failed is not None:
            return failed
        if end.get("empty"):
            continue
        partial = PartialSummary.from_json(json.loads(read_object(s3, bucket, end["partial_key"])))
        if partial.rows_read == 0 and partial.set_aside:  # every row set aside: no columns to compare
            read.add(end["key"])
            partials.append(partial)
            continue
        if first is None:
            first = (end["key"], partial.kinds)
        elif end["key"] not in read:
            try:
                check_parts_agree(first, end["key"], partial.kinds)
            except InvalidBatchError as error:
                return error
        read.add(end["key"])
        partials.append(partial)
    unread = sorted({end["key"] for end in ends} - read)
    if unread:
        return InvalidBatchError(
            "no_rows", f"{echo(unread[0])} has a header row but no data rows (read in byte ranges)"
        )
    return partials


def _parts_read(
    batch: ObjectRef, ends: list[dict[str, Any]], partials: list[PartialSummary]
) -> list[dict[str, Any]] | None:
    """The parts checked, with their rows, as a partition read in one Lambda lists them (a later part is
    told it was not); ``None`` for one object read in byte ranges, which lists none."""
    by_key: dict[str, dict[str, Any]] = {}
    for end, partial in zip((e for e in ends if not e.get("empty")), partials, strict=True):
        listed = by_key.setdefault(end["key"], {"key": end["key"], "etag": end.get("etag"), "rows": 0})
        listed["rows"] += partial.rows_read
    return None if list(by_key) == [batch.key] else list(by_key.values())


def _what_failed(failed: dict[str, Any]) -> str:
    """``error: message``; a Lambda's cause is its error document (with a stack trace): its message only."""
    error, cause = failed.get("error"), failed.get("cause")
    try:
        document = json.loads(cause or "")
    except ValueError:
        document = None
    if isinstance(document, dict) and "errorMessage" in document:
        return f"{document.get('errorType') or error}: {document['errorMessage']}"
    return f"{error}: {cause}"


def reduce_partition(clients: Any, settings: DetectSettings, event: dict[str, Any]) -> Outcome:
    """Merge, check and decide (``event``: ``batch`` as DetectDrift gave it, ``results`` the map's
    ``ResultWriterDetails``)."""
    batch, batch_id = _batch(event)
    report_key = f"{settings.reports_prefix}{batch_id}.json"
    ab = ab_state(clients, settings, batch.bucket)
    stored = stored_report(clients.s3, batch.bucket, report_key)
    if stored is not None:  # a retried reduce: the report stands, only an unstarted retrain is started
        outcome = replay_report(clients, settings, batch, batch_id, report_key, stored, deferred=ab.deferred)
        if ab.record is not None:
            look = resend_decision(
                clients, ab.record, key=batch.key, etag=batch.etag, version_id=batch.version_id
            )
            outcome.ab_test = look.to_dict()
        return outcome
    ends = _results(clients.s3, event["results"])
    partials = _summarised(clients.s3, batch.bucket, ends)
    if isinstance(partials, InvalidBatchError):
        return handle_invalid(clients, settings, batch, batch_id, partials)
    inputs = check_inputs(clients, settings, batch, batch_id)
    if isinstance(inputs, Outcome):
        return inputs
    summary = merge_summaries(partials)
    if summary.rows == 0 and summary.set_aside.get("unknown_class"):  # as one Lambda refuses the batch
        return handle_invalid(
            clients,
            settings,
            batch,
            batch_id,
            unknown_class_refusal(summary.set_aside, inputs.profile.schema),
        )
    parts = _parts_read(batch, ends, partials)
    report = check_summary(
        summary,
        inputs.profile,
        settings.drift,
        batch_id=batch_id,
        source_name=batch.uri,
        recovery_used=inputs.recovery_used,
        sampling=summary.sampling if parts is None else {**summary.sampling, "parts": parts},
    )
    logger.info("Partition merged", extra={"batch_id": batch_id, "parts": len(ends)})
    look = _ab_look(clients, settings, batch, ends, inputs.profile, ab.record)
    outcome = act_on_report(
        clients,
        settings,
        batch,
        batch_id,
        report,
        inputs.serving_model,
        deferred=ab.deferred,
        serving_algorithm=inputs.profile.metadata.get("algorithm"),
    )
    outcome.ab_test = None if look is None else look.to_dict()
    return outcome


def _ab_look(clients: Any, settings: DetectSettings, batch: ObjectRef, ends, profile, record):
    """The running A/B test's look at the partition's labelled rows (``None`` without a test or rows).
    Before the report, as in DetectDrift: a retried reduce replays the report and looks no more, and the
    evidence is keyed by the batch's revision, so a look repeated after a crash counts once."""
    if record is None or not settings.endpoint_name:
        return None
    frame = read_ab_rows(clients.s3, batch.bucket, ends, profile, settings.drift)
    if frame is None:
        return None
    with closing(RangedObject(clients.s3, batch)) as marker:  # one HEAD, pinned: when it was written
        written = marker.last_modified
    return ab_look(
        clients,
        settings.data_bucket or batch.bucket,
        record,
        frame=frame,
        profile=profile,
        config=settings.drift,
        predictors=variant_predictors(clients, settings, profile, record),
        key=batch.key,
        etag=batch.etag,
        version_id=batch.version_id,
        written=written,
    )


def record_failed_check(clients: Any, settings: DetectSettings, event: dict[str, Any]) -> Outcome:
    """The map (or the reduce step) failed: the batch quarantined as ``part_check_failed`` and people
    notified (``event``: ``batch``, ``execution_name``, ``error`` as the state machine caught it).
    The reason names the part that failed when the map's result files say which; else the map's error."""
    batch, batch_id = _batch(event)
    prefix = partition_results_prefix(event["execution_name"])
    failed = None
    for listed in list_objects(clients.s3, batch.bucket, prefix):
        if listed.key.endswith("/manifest.json"):
            failed = failed or _failure(_results(clients.s3, {"Bucket": batch.bucket, "Key": listed.key}))
    if failed is None:
        error = event.get("error") or {}
        failed = InvalidBatchError(
            "part_check_failed",
            f"the partition check failed ({error.get('Error')}: {error.get('Cause')}); the parts are "
            "untouched: fix the cause and upload the marker again",
        )
    return handle_invalid(clients, settings, batch, batch_id, failed)
