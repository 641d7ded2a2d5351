"""What DetectDrift does with one "Object Created" event, given its AWS clients.

The Lambda handler (``functions/detect_drift/app.py``) only parses the event and calls
:func:`process_object`; everything else lives in this package so it can be tested with moto or fakes:

1. ignore objects outside ``incoming/`` (and folder markers); a revision that already has its report
   is a duplicate delivery: the report stands (written once, :mod:`drift_retrain.detect.records`) and
   only what it decided and is still undone (starting its retrain) is done; an object whose event size is
   over ``MAX_OBJECT_BYTES`` goes straight to step 4 (``object_too_large``) without a byte being read;
2. load the baseline profile (missing or unreadable: log, notify "no baseline profile yet", stop; the
   batch is neither quarantined nor retrained on);
3. stream the object into :func:`drift_retrain.engine.check.run_check`, the champion endpoint answering for the
   labelled rows (:class:`~drift_retrain.aws.endpoint.EndpointPredictor`);
4. a bad file (``InvalidBatchError``, one of ``engine.read_reasons.READ_REASONS``; the read limits
   included): copy it to ``quarantine/<key>`` with ``<key>.error.json``, write
   an ``invalid`` report, notify, and return normally (raising would make Lambda retry a file that will
   never get better);
5. otherwise write ``reports/drift/<batch-id>.json``, notify when the report raises an alert, and start
   the retraining state machine when the policy fires, named deterministically so a repeated event is a
   no-op.

Every batch ends in one known place: checked (a report), quarantined (a specific reason, the original
kept), or, when anything else goes wrong, raised. Transient AWS failures (S3 throttling, a 500 after
botocore's retries), an unexpected exception inside a check (a bug) and the Lambda's own death (timeout,
out of memory) all fail the invocation: Lambda retries it, then records the event on the function's
failure queue, from which ``drift-retrain redrive`` processes it again once the cause is fixed. Nothing
is swallowed; only ``InvalidBatchError`` (the file is bad, retrying cannot help) is quarantined.
"""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from typing import Any

from drift_retrain.aws import naming
from drift_retrain.aws.endpoint import EndpointPredictor
from drift_retrain.aws.exceptions import NotificationError, ObjectChangedError, ObjectNotFoundError
from drift_retrain.aws.executions import start_execution
from drift_retrain.aws.notifications import notify
from drift_retrain.aws.objects import (
    ObjectRef,
    QuarantineRecord,
    open_object,
    quarantine_keys,
    quarantine_object,
    resolve_event_key,
)
from drift_retrain.aws.storage import count_keys, current_revision, read_object, write_json
from drift_retrain.detect.context import DetectSettings, Outcome, Status, retrain_input
from drift_retrain.detect.messages import Notice, drift_message, no_profile_message, quarantine_message
from drift_retrain.detect.records import record_report, stored_report
from drift_retrain.engine.champion import has_lower_reference
from drift_retrain.engine.check import run_check
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.engine.report import DriftReport
from drift_retrain.exceptions import InvalidBatchError, ProfileError
from drift_retrain.layout import recovery_marker_key, recovery_prefix
from drift_retrain.reports import render_drift_html
from drift_retrain.reports.links import ReportLinks, link_expiry, report_links
from drift_retrain.reports.publish import publish_html

__all__ = ["process_object"]

logger = logging.getLogger(__name__)


def _send(clients: Any, settings: DetectSettings, notice: Notice) -> bool:
    """Notify, never failing the invocation: the report is the record, the message only a nudge."""
    if not settings.topic_arn:
        return False
    try:
        notify(clients.sns, settings.topic_arn, notice.subject, notice.body)
    except NotificationError:
        logger.exception("Notification failed", extra={"subject": notice.subject})
        return False
    return True


def _publish_page(clients: Any, bucket: str, report_key: str, report: dict[str, Any]) -> ReportLinks:
    """``<report>.html`` next to the JSON; links to the page (to the JSON when the page failed)."""
    key = publish_html(clients.s3, bucket, report_key, render_drift_html, report, write_once=True)
    key = key or report_key
    return report_links(clients.s3, bucket, key, expiry=link_expiry(os.environ))


def _ignore_reason(bucket: str, key: str, settings: DetectSettings) -> str | None:
    if settings.data_bucket and bucket != settings.data_bucket:
        return f"bucket {bucket} is not the data bucket {settings.data_bucket}"
    if not key.startswith(settings.incoming_prefix):
        return f"key {key} is outside {settings.incoming_prefix}"
    if key.endswith("/"):
        return f"key {key} is a folder marker"
    return None


def _pin_current_revision(clients: Any, batch: ObjectRef) -> ObjectRef | None:
    """An event without version id or ETag (a hand-written sample, ``sam remote invoke``) checks the
    object's current revision, pinned so the report, the batch id and the retrain all name that one."""
    revision = current_revision(clients.s3, batch.bucket, batch.key)
    if revision is None:
        return None
    version_id, etag = revision
    return replace(batch, version_id=version_id, etag=etag or None)


def _load_profile(clients: Any, settings: DetectSettings, bucket: str) -> BaselineProfile | str:
    """The profile, or the reason there is none (as text)."""
    profile_bucket = settings.data_bucket or bucket
    uri = f"s3://{profile_bucket}/{settings.profile_key}"
    try:
        return BaselineProfile.from_json_bytes(read_object(clients.s3, profile_bucket, settings.profile_key))
    except ObjectNotFoundError:
        return f"no baseline profile yet at {uri}: promote a first model (or upload a profile) before checking batches"
    except ProfileError as error:
        return f"the baseline profile at {uri} cannot be used: {error}"


def _predictor(clients: Any, settings: DetectSettings, profile: BaselineProfile) -> EndpointPredictor | None:
    if not settings.endpoint_name:
        return None
    from drift_retrain.engine.encoding import FeatureEncoder

    return EndpointPredictor(
        clients.sagemaker_runtime,
        settings.endpoint_name,
        encode=FeatureEncoder.from_profile(profile).transform,
        sagemaker=clients.sagemaker,
        # Linear Learner documents JSON responses only; its JSON Lines records carry "score".
        accept="application/jsonlines"
        if profile.metadata.get("algorithm") == "linear-learner"
        else "text/csv",
    )


def _serving_model(profile: BaselineProfile) -> str:
    """The name follow-up retrains are counted under: the model the profile describes."""
    return naming.sanitize(str(profile.metadata.get("model_name") or profile.created_at or "unknown"))


def _mark_recovery(clients: Any, bucket: str, model: str, batch_id: str, outcome: Outcome) -> None:
    """Record a follow-up retrain of ``model`` (DetectDrift counts these against the bound)."""
    execution = outcome.execution
    write_json(
        clients.s3,
        bucket,
        recovery_marker_key(model, batch_id),
        {"model": model, "batch_id": batch_id, "execution": None if execution is None else execution.name},
    )


def _handle_invalid(
    clients: Any, settings: DetectSettings, batch: ObjectRef, batch_id: str, error: InvalidBatchError
) -> Outcome:
    logger.warning(
        "Invalid batch quarantined",
        extra={"key": batch.key, "batch_id": batch_id, "code": error.code, "reason": str(error)},
    )
    try:
        record = quarantine_object(clients.s3, batch, reason=str(error), code=error.code, batch_id=batch_id)
    except ObjectNotFoundError as gone:
        logger.warning("Invalid batch deleted before it could be quarantined", extra={"key": batch.key})
        return Outcome(status=Status.OBJECT_GONE, message=str(gone), batch=batch, batch_id=batch_id)
    report = DriftReport.invalid(error, settings.drift, batch_id=batch_id, source=batch.uri).to_dict()
    report_key = f"{settings.reports_prefix}{batch_id}.json"
    stored = record_report(clients.s3, batch.bucket, report_key, report)
    if stored is not None:  # a concurrent delivery wrote it first
        return _replay(clients, settings, batch, batch_id, report_key, stored)
    links = _publish_page(clients, batch.bucket, report_key, report)
    copy, details = (f"s3://{batch.bucket}/{k}" for k in (record.copy_key, record.error_key))
    notified = _send(
        clients, settings, quarantine_message(batch, error.code, str(error), copy, details, links)
    )
    return Outcome(
        status=Status.INVALID,
        message=str(error),
        batch=batch,
        batch_id=batch_id,
        report_key=report_key,
        report=report,
        quarantine=record,
        notified=notified,
    )


def process_object(
    clients: Any,
    settings: DetectSettings,
    *,
    bucket: str,
    key: str,
    version_id: str | None = None,
    etag: str | None = None,
    size: int | None = None,
) -> Outcome:
    """Check one new S3 object and act on the result (see the module docstring for the steps).

    Parameters
    ----------
    clients : LazyClients or any object with ``s3``, ``stepfunctions``, ``sns``, ``sagemaker_runtime``
        and ``sagemaker`` attributes holding boto3 clients.
    settings : DetectSettings
        Locations and the drift configuration.
    bucket, key, version_id, etag, size
        The object, as named by the event (``version_id`` ``None`` or ``"null"`` on unversioned buckets);
        ``key`` as received, URL-encoded or not (:func:`~drift_retrain.aws.objects.resolve_event_key`).

    Returns
    -------
    Outcome
        What happened. Bad input never raises.

    Raises
    ------
    drift_retrain.aws.exceptions.StorageError, ExecutionStartError
        Transient or configuration failures of AWS calls; Lambda retries, and every step is idempotent.
    """
    etag = (etag or "").strip('"') or None
    skip = _ignore_reason(bucket, key, settings)
    if skip:
        logger.info("Object ignored", extra={"bucket": bucket, "key": key, "reason": skip})
        batch = ObjectRef(bucket=bucket, key=key, version_id=version_id, etag=etag, size=size)
        return Outcome(status=Status.IGNORED, message=skip, batch=batch)
    key = resolve_event_key(clients.s3, bucket, key, version_id)
    batch = ObjectRef(bucket=bucket, key=key, version_id=version_id, etag=etag, size=size)
    if batch.version_id is None and batch.etag is None:
        pinned = _pin_current_revision(clients, batch)
        if pinned is None:
            return Outcome(status=Status.OBJECT_GONE, message=f"{batch.uri} does not exist", batch=batch)
        batch = pinned
    batch_id = naming.batch_id_for(key, batch.version_id, batch.etag)
    report_key = f"{settings.reports_prefix}{batch_id}.json"
    stored = stored_report(clients.s3, batch.bucket, report_key)
    if stored is not None:
        return _replay(clients, settings, batch, batch_id, report_key, stored)
    try:  # too big to read: quarantined from the event alone, before any byte is fetched
        settings.limits.check_object_size(size)
    except InvalidBatchError as error:
        return _handle_invalid(clients, settings, batch, batch_id, error)

    profile = _load_profile(clients, settings, bucket)
    if isinstance(profile, str):
        logger.error("Batch not checked: %s", profile, extra={"key": key, "batch_id": batch_id})
        notified = _send(clients, settings, no_profile_message(batch, profile))
        return Outcome(
            status=Status.NO_PROFILE, message=profile, batch=batch, batch_id=batch_id, notified=notified
        )

    serving_model = _serving_model(profile)
    # One S3 listing per batch only where a follow-up retrain is possible at all.
    recovery_used = (
        count_keys(clients.s3, settings.data_bucket or bucket, recovery_prefix(serving_model))
        if has_lower_reference(profile)
        else 0
    )
    try:
        with open_object(clients.s3, batch) as opened:
            settings.limits.check_object_size(opened.size)
            report_obj = run_check(
                opened.stream,
                profile,
                settings.drift,
                predictor=_predictor(clients, settings, profile),
                batch_id=batch_id,
                source_name=batch.uri,
                recovery_used=recovery_used,
                limits=settings.limits,
            )
    except InvalidBatchError as error:
        return _handle_invalid(clients, settings, batch, batch_id, error)
    except ObjectNotFoundError as error:
        logger.warning("Object gone before it could be checked", extra={"key": key, "reason": str(error)})
        return Outcome(status=Status.OBJECT_GONE, message=str(error), batch=batch, batch_id=batch_id)
    except ObjectChangedError as error:
        logger.warning("Object overwritten; its new version has its own event", extra={"key": key})
        return Outcome(status=Status.SUPERSEDED, message=str(error), batch=batch, batch_id=batch_id)
    except Exception:
        # Not the file's fault (a bug, S3 failing after botocore's retries): raised, so Lambda retries and
        # then puts the event on the failure queue for `drift-retrain redrive`. Never quarantined.
        logger.exception("Batch not checked: the invocation fails", extra={"key": key, "batch_id": batch_id})
        raise

    return _act_on(clients, settings, batch, batch_id, report_obj, serving_model)


def _act_on(
    clients: Any,
    settings: DetectSettings,
    batch: ObjectRef,
    batch_id: str,
    report_obj: DriftReport,
    serving_model: str,
) -> Outcome:
    """Write the report, start the retrain when the policy fired, notify on an alert."""
    report = report_obj.to_dict()
    report_key = f"{settings.reports_prefix}{batch_id}.json"
    stored = record_report(clients.s3, batch.bucket, report_key, report)
    if stored is not None:  # a concurrent delivery wrote it first
        return _replay(clients, settings, batch, batch_id, report_key, stored)
    links = _publish_page(clients, batch.bucket, report_key, report)
    outcome = Outcome(
        status=Status.CHECKED,
        message="retrain" if report_obj.retrain else ("alert" if report.get("alert") else "no drift"),
        batch=batch,
        batch_id=batch_id,
        report_key=report_key,
        report=report,
    )
    logger.info(
        "Batch checked",
        extra={
            "batch_id": batch_id,
            "rows": report.get("rows"),
            "drifted_features": report.get("drifted_features"),
            # the sampled rows stay in the report (S3), out of the logs
            "concept_drift": {k: v for k, v in report["concept_drift"].items() if k != "misclassified"},
            "retrain": report_obj.retrain,
            "report_key": report_key,
        },
    )
    if report_obj.retrain:
        _start_retrain(clients, settings, outcome)
        if report_obj.decision.follow_up and outcome.retrain_started:
            _mark_recovery(clients, settings.data_bucket or batch.bucket, serving_model, batch_id, outcome)
    if report.get("alert") and not outcome.duplicate_delivery:
        region = getattr(getattr(clients.s3, "meta", None), "region_name", None)
        outcome.notified = _send(clients, settings, drift_message(batch, report, outcome, links, region))
    return outcome


def _replay(
    clients: Any,
    settings: DetectSettings,
    batch: ObjectRef,
    batch_id: str,
    report_key: str,
    stored: dict[str, Any],
) -> Outcome:
    """A revision that has its report: the report stands; only its retrain is started if still undone.

    The first delivery may have stopped between writing the report and starting the retrain; the
    execution name is deterministic, so starting it again is a no-op when it did start. Nobody is
    notified twice: a notice goes out only when this delivery is the one that started the retrain.
    """
    invalid = stored.get("status") == "invalid"
    logger.info(
        "Report already written for this revision: duplicate delivery",
        extra={"key": batch.key, "batch_id": batch_id, "report_key": report_key},
    )
    outcome = Outcome(
        status=Status.INVALID if invalid else Status.CHECKED,
        message=f"duplicate delivery: s3://{batch.bucket}/{report_key} already records this revision",
        batch=batch,
        batch_id=batch_id,
        report_key=report_key,
        report=stored,
        duplicate_report=True,
        quarantine=QuarantineRecord(batch.bucket, *quarantine_keys(batch.key), document={})
        if invalid
        else None,
    )
    if not invalid and stored.get("retrain"):
        _start_retrain(clients, settings, outcome)
    if outcome.retrain_started:
        links = _publish_page(clients, batch.bucket, report_key, stored)
        region = getattr(getattr(clients.s3, "meta", None), "region_name", None)
        outcome.notified = _send(clients, settings, drift_message(batch, stored, outcome, links, region))
    return outcome


def _start_retrain(clients: Any, settings: DetectSettings, outcome: Outcome) -> None:
    """Start the execution named after the revision (a repeated event finds it started)."""
    batch, batch_id = outcome.batch, outcome.batch_id
    if not settings.state_machine_arn:
        logger.error("The policy fired but STATE_MACHINE_ARN is not set: no retrain started")
        return
    outcome.execution = start_execution(
        clients.stepfunctions,
        settings.state_machine_arn,
        naming.execution_name_for(batch.bucket, batch.key, batch.version_id, batch.etag),
        retrain_input(batch, batch_id, outcome.report_key, outcome.report),
    )
    logger.info(
        "Retraining execution",
        extra={
            "execution_name": outcome.execution.name,
            "execution_arn": outcome.execution.execution_arn,
            "duplicate_delivery": outcome.execution.duplicate,
        },
    )
