"""What DetectDrift does once a batch's report is decided: record it once, start the retrain, notify.

The same for a partition checked on a Distributed Map (its reduce step): one report, one decision, at
most one retrain, whichever way the batch was read; and a bad batch quarantined the same way
(:func:`handle_invalid`).

Split from :mod:`.service` (which reads and checks the batch). A revision's report is written once
(:mod:`.records`); a later delivery of the same revision replays it (:func:`replay_report`) and only
finishes what the first delivery left undone (a retrain that never started), never notifying twice.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from drift_retrain.aws import naming
from drift_retrain.aws.exceptions import NotificationError, ObjectNotFoundError
from drift_retrain.aws.executions import start_execution
from drift_retrain.aws.notifications import notify
from drift_retrain.aws.objects import ObjectRef, QuarantineRecord, quarantine_keys, quarantine_object
from drift_retrain.aws.storage import write_json
from drift_retrain.detect.challenger import apply_challenger
from drift_retrain.detect.context import DetectSettings, Outcome, Status, retrain_input, retrain_record
from drift_retrain.detect.messages import Notice, drift_message, quarantine_message
from drift_retrain.detect.records import record_report
from drift_retrain.engine.policy import CHALLENGER
from drift_retrain.engine.report import DriftReport
from drift_retrain.exceptions import InvalidBatchError
from drift_retrain.layout import recovery_marker_key
from drift_retrain.reports import render_drift_html
from drift_retrain.reports.links import ReportLinks, link_expiry, report_links
from drift_retrain.reports.publish import publish_html
from drift_retrain.settings.lambda_env import settings_environ

__all__ = ["act_on_report", "handle_invalid", "publish_page", "replay_report", "send_notice"]

logger = logging.getLogger(__name__)


def act_on_report(
    clients: Any,
    settings: DetectSettings,
    batch: ObjectRef,
    batch_id: str,
    report_obj: DriftReport,
    serving_model: str,
    *,
    deferred: bool = False,
    serving_algorithm: str | None = None,
) -> Outcome:
    """Write the report, start the retrain when the policy fired or a challenger is due (not during an
    A/B test: ``deferred``), notify on an alert or a challenger. ``serving_algorithm`` (the serving
    model's, from its profile) counts a retrain's jobs against the challenger's budget."""
    report = report_obj.to_dict()
    if report_obj.ok:  # without loss evidence, a fresh model may still be worth a try
        apply_challenger(
            clients,
            settings,
            batch.bucket,
            batch_id,
            report,
            serving_model,
            deferred=deferred,
            probe=report_obj.concept.probe,
            serving_algorithm=serving_algorithm,
        )
    challenger = report.get("retrain_trigger") == CHALLENGER
    if report["retrain"]:  # what the workflow verifies its trigger against
        report["retrain_execution"] = retrain_record(batch, batch_id)
    if _held_back(report, deferred):  # recorded, so a later duplicate delivery does not start it either
        report["retrain_deferred"] = "an A/B test was running"
    report_key = f"{settings.reports_prefix}{batch_id}.json"
    stored = record_report(clients.s3, batch.bucket, report_key, report)
    if stored is not None:  # a concurrent delivery wrote it first
        return replay_report(clients, settings, batch, batch_id, report_key, stored, deferred=deferred)
    links = publish_page(clients, batch.bucket, report_key, report)
    outcome = Outcome(
        status=Status.CHECKED,
        message=("challenger" if challenger else "retrain")
        if report["retrain"]
        else ("alert" if report.get("alert") else "no drift"),
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
            "retrain": report["retrain"],
            "retrain_trigger": report.get("retrain_trigger"),
            "report_key": report_key,
        },
    )
    if _held_back(report, deferred):
        outcome.message = "retrain deferred: an A/B test is running"
        logger.info("Retrain deferred while an A/B test runs", extra={"batch_id": batch_id})
    elif report["retrain"]:
        _start_retrain(clients, settings, outcome)
        if report_obj.decision.follow_up and outcome.retrain_started:
            _mark_recovery(clients, settings.data_bucket or batch.bucket, serving_model, batch_id, outcome)
    if (report.get("alert") or challenger) and not outcome.duplicate_delivery:
        outcome.notified = _notify_drift(clients, settings, report, outcome, links)
    return outcome


def handle_invalid(
    clients: Any, settings: DetectSettings, batch: ObjectRef, batch_id: str, error: InvalidBatchError
) -> Outcome:
    """Quarantine the batch with its reason, write an ``invalid`` report, notify; never raises for the
    file (retrying cannot make it better)."""
    # The reason quotes cells and raw lines: it goes to the quarantine record and the notice, never to
    # the logs, which carry its code and position only.
    logger.warning(
        "Invalid batch quarantined",
        extra={"key": batch.key, "batch_id": batch_id, "code": error.code, "line": error.line},
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
        return replay_report(clients, settings, batch, batch_id, report_key, stored)
    links = publish_page(clients, batch.bucket, report_key, report)
    copy, details = (f"s3://{batch.bucket}/{k}" for k in (record.copy_key, record.error_key))
    notified = send_notice(
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


def replay_report(
    clients: Any,
    settings: DetectSettings,
    batch: ObjectRef,
    batch_id: str,
    report_key: str,
    stored: dict[str, Any],
    *,
    deferred: bool = False,
) -> Outcome:
    """A revision that has its report: the report stands; only its retrain is started if still undone
    (not while an A/B test runs: ``deferred``).

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
    if not invalid and _held_back(stored, deferred):
        outcome.message += "; retrain deferred: an A/B test is running"
    elif not invalid and stored.get("retrain"):
        _start_retrain(clients, settings, outcome)
    if outcome.retrain_started:
        links = publish_page(clients, batch.bucket, report_key, stored)
        outcome.notified = _notify_drift(clients, settings, stored, outcome, links)
    return outcome


def _held_back(report: dict[str, Any], deferred: bool) -> bool:
    """The policy fired but an A/B test holds the retrain back: running now, or when the report was written."""
    return bool(report.get("retrain")) and (deferred or bool(report.get("retrain_deferred")))


def _notify_drift(
    clients: Any, settings: DetectSettings, report: dict[str, Any], outcome: Outcome, links: ReportLinks
) -> bool:
    region = getattr(getattr(clients.s3, "meta", None), "region_name", None)
    return send_notice(clients, settings, drift_message(outcome.batch, report, outcome, links, region))


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


def _mark_recovery(clients: Any, bucket: str, model: str, batch_id: str, outcome: Outcome) -> None:
    """Record a follow-up retrain of ``model`` (DetectDrift counts these against the bound)."""
    execution = outcome.execution
    write_json(
        clients.s3,
        bucket,
        recovery_marker_key(model, batch_id),
        {"model": model, "batch_id": batch_id, "execution": None if execution is None else execution.name},
    )


def send_notice(clients: Any, settings: DetectSettings, notice: Notice) -> bool:
    """Notify, never failing the invocation: the report is the record, the message only a nudge."""
    if not settings.topic_arn:
        return False
    try:
        notify(clients.sns, settings.topic_arn, notice.subject, notice.body)
    except NotificationError:
        logger.exception("Notification failed", extra={"subject": notice.subject})
        return False
    return True


def publish_page(clients: Any, bucket: str, report_key: str, report: dict[str, Any]) -> ReportLinks:
    """``<report>.html`` next to the JSON; links to the page (to the JSON when the page failed)."""
    key = publish_html(clients.s3, bucket, report_key, render_drift_html, report, write_once=True)
    key = key or report_key
    return report_links(clients.s3, bucket, key, expiry=link_expiry(settings_environ(os.environ)))
