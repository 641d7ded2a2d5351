"""What DetectDrift does with one "Object Created" event, given its AWS clients.

The Lambda handler (``functions/detect_drift/app.py``) only parses the event and calls
:func:`process_object`; everything else lives here so it can be tested with moto or fakes:

1. ignore objects outside ``incoming/`` (and folder markers);
2. load the baseline profile (missing or unreadable: log, notify "no baseline profile yet", stop; the
   batch is neither quarantined nor retrained on);
3. stream the object into :func:`drift_retrain.engine.check.run_check`, the champion endpoint answering for the
   labelled rows (:class:`~drift_retrain.aws.endpoint.EndpointPredictor`);
4. a bad file (``InvalidBatchError``): copy it to ``quarantine/<key>`` with ``<key>.error.json``, write
   an ``invalid`` report, notify, and return normally (raising would make Lambda retry a file that will
   never get better);
5. otherwise write ``reports/drift/<batch-id>.json``, notify when the report raises an alert, and start
   the retraining state machine when the policy fires, named deterministically so a repeated event is a
   no-op.

Transient AWS failures (S3 throttling, network) are raised so Lambda retries; every step is idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from drift_retrain.aws import naming
from drift_retrain.aws.endpoint import EndpointPredictor
from drift_retrain.aws.exceptions import (
    NotificationError,
    ObjectChangedError,
    ObjectNotFoundError,
)
from drift_retrain.aws.executions import ExecutionStart, start_execution
from drift_retrain.aws.notifications import notify
from drift_retrain.aws.objects import (
    ObjectRef,
    QuarantineRecord,
    count_keys,
    open_object,
    quarantine_object,
    read_bytes,
    write_json,
)
from drift_retrain.engine.check import run_check
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.policy import PERFORMANCE
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.engine.report import DriftReport
from drift_retrain.exceptions import InvalidBatchError, ProfileError
from drift_retrain.layout import (
    DEFAULT_PROFILE_KEY,
    DRIFT_REPORTS_PREFIX,
    recovery_marker_key,
    recovery_prefix,
)

__all__ = [
    "DetectSettings",
    "LazyClients",
    "Outcome",
    "Status",
    "process_object",
    "retrain_input",
]

logger = logging.getLogger(__name__)

REPORTS_PREFIX = DRIFT_REPORTS_PREFIX


class Status:
    """Values of :attr:`Outcome.status`."""

    CHECKED = "checked"
    INVALID = "invalid"
    IGNORED = "ignored"
    NO_PROFILE = "no_profile"
    OBJECT_GONE = "object_gone"
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class DetectSettings:
    """Where things are, read from the Lambda's environment (the template sets every variable)."""

    data_bucket: str | None = None
    profile_key: str = DEFAULT_PROFILE_KEY
    endpoint_name: str | None = None
    state_machine_arn: str | None = None
    topic_arn: str | None = None
    incoming_prefix: str = naming.INCOMING_PREFIX
    reports_prefix: str = REPORTS_PREFIX
    drift: DriftConfig = field(default_factory=DriftConfig)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> DetectSettings:
        """Read ``DATA_BUCKET``, ``PROFILE_KEY``, ``ENDPOINT_NAME``, ``STATE_MACHINE_ARN``, ``TOPIC_ARN``
        and the drift configuration (``ALPHA``, ``PSI_FLOOR``, ... see ``DriftConfig.from_env``)."""

        def value(name: str) -> str | None:
            return (environ.get(name) or "").strip() or None

        return cls(
            data_bucket=value("DATA_BUCKET"),
            profile_key=value("PROFILE_KEY") or DEFAULT_PROFILE_KEY,
            endpoint_name=value("ENDPOINT_NAME"),
            state_machine_arn=value("STATE_MACHINE_ARN"),
            topic_arn=value("TOPIC_ARN"),
            drift=DriftConfig.from_env(environ),
        )


class LazyClients:
    """boto3 clients created on first use (never at import), shared across warm invocations.

    Parameters
    ----------
    factory : callable, optional
        ``factory(service_name)`` returns a client; default ``boto3.client``.
    """

    def __init__(self, factory: Callable[[str], Any] | None = None) -> None:
        self._factory = factory
        self._clients: dict[str, Any] = {}

    def _get(self, service: str) -> Any:
        if service not in self._clients:
            factory = self._factory
            if factory is None:
                import boto3

                factory = boto3.client
            self._clients[service] = factory(service)
        return self._clients[service]

    @property
    def s3(self) -> Any:
        return self._get("s3")

    @property
    def stepfunctions(self) -> Any:
        return self._get("stepfunctions")

    @property
    def sns(self) -> Any:
        return self._get("sns")

    @property
    def sagemaker_runtime(self) -> Any:
        return self._get("sagemaker-runtime")

    @property
    def sagemaker(self) -> Any:
        return self._get("sagemaker")


@dataclass
class Outcome:
    """What happened to one event: the handler's return value and the source of its metrics."""

    status: str
    message: str
    batch: ObjectRef | None = None
    batch_id: str | None = None
    report_key: str | None = None
    report: dict[str, Any] | None = None
    quarantine: QuarantineRecord | None = None
    execution: ExecutionStart | None = None
    notified: bool = False

    @property
    def retrain_started(self) -> bool:
        return self.execution is not None and not self.execution.duplicate

    @property
    def duplicate_delivery(self) -> bool:
        return self.execution is not None and self.execution.duplicate

    def to_response(self) -> dict[str, Any]:
        """JSON-ready summary (the Lambda's return value)."""
        report = self.report or {}
        return {
            "status": self.status,
            "message": self.message,
            "batch_id": self.batch_id,
            "key": None if self.batch is None else self.batch.key,
            "report_key": self.report_key,
            "drifted_features": report.get("drifted_features", []),
            "concept_drift": bool((report.get("concept_drift") or {}).get("detected")),
            "retrain": bool(report.get("retrain")),
            "quarantine_key": None if self.quarantine is None else self.quarantine.copy_key,
            "execution": None if self.execution is None else self.execution.to_dict(),
        }


def retrain_input(
    batch: ObjectRef, batch_id: str, report_key: str, report: Mapping[str, Any]
) -> dict[str, Any]:
    """The state machine's input (its exact shape is a contract with ``statemachine/``)."""
    return {
        "batch": {
            "bucket": batch.bucket,
            "key": batch.key,
            "version_id": batch.pinned_version,
            "etag": batch.etag,
            "batch_id": batch_id,
        },
        "report": {"bucket": batch.bucket, "key": report_key},
        "reasons": list(report.get("retrain_reasons") or []),
        "drifted_features": list(report.get("drifted_features") or []),
        "concept_drift": bool((report.get("concept_drift") or {}).get("detected")),
        "performance_gap": bool((report.get("concept_drift") or {}).get("gap_detected")),
        # performance: train on the rows since the change; features: P(y|x) held, older rows stay useful.
        "kind": report.get("retrain_trigger") or PERFORMANCE,
        "labelled_rows": int(report.get("labelled_rows") or 0),
    }


def _send(clients: Any, settings: DetectSettings, subject: str, message: str) -> bool:
    """Notify, never failing the invocation: the report is the record, the message only a nudge."""
    if not settings.topic_arn:
        return False
    try:
        notify(clients.sns, settings.topic_arn, subject, message)
    except NotificationError:
        logger.exception("Notification failed", extra={"subject": subject})
        return False
    return True


def _ignore_reason(bucket: str, key: str, settings: DetectSettings) -> str | None:
    if settings.data_bucket and bucket != settings.data_bucket:
        return f"bucket {bucket} is not the data bucket {settings.data_bucket}"
    if not key.startswith(settings.incoming_prefix):
        return f"key {key} is outside {settings.incoming_prefix}"
    if key.endswith("/"):
        return f"key {key} is a folder marker"
    return None


def _load_profile(clients: Any, settings: DetectSettings, bucket: str) -> BaselineProfile | str:
    """The profile, or the reason there is none (as text)."""
    profile_bucket = settings.data_bucket or bucket
    uri = f"s3://{profile_bucket}/{settings.profile_key}"
    try:
        return BaselineProfile.from_json_bytes(read_bytes(clients.s3, profile_bucket, settings.profile_key))
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
    )


def _drift_message(batch: ObjectRef, report: Mapping[str, Any], report_key: str, outcome: Outcome) -> str:
    concept = report.get("concept_drift") or {}
    lines = [
        f"Batch: {batch.uri} (batch id {report.get('batch_id')})",
        f"Rows: {report.get('rows')}, labelled: {report.get('labelled_rows')}",
        f"Drifted features ({len(report.get('drifted_features') or [])} of {len(report.get('features') or [])}): "
        + (", ".join(report.get("drifted_features") or []) or "none"),
        "Concept drift: "
        + (
            f"{'DETECTED' if concept.get('detected') else 'not detected'} (error rate {concept.get('error_rate')} "
            f"vs baseline {concept.get('baseline_error_rate')}, p={concept.get('p_value')})"
            if concept.get("tested")
            else f"not tested ({concept.get('reason')})"
        ),
    ]
    if report.get("retrain"):
        lines.append("Retrain: " + "; ".join(report.get("retrain_reasons") or []))
        if outcome.execution is not None:
            state = "already running/ran (duplicate event)" if outcome.execution.duplicate else "started"
            lines.append(f"Execution {outcome.execution.name}: {state}")
    elif report.get("retrain_blocked_by"):
        lines.append(f"No retrain: {report['retrain_blocked_by']}")
    else:
        lines.append("No retrain: the policy did not fire")
    lines.append(f"Report: s3://{batch.bucket}/{report_key}")
    return "\n".join(lines)


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
    write_json(clients.s3, batch.bucket, report_key, report)
    notified = _send(
        clients,
        settings,
        f"Batch quarantined: {batch.key}",
        f"{batch.uri} cannot be checked and was quarantined.\n"
        f"Reason ({error.code}): {error}\n"
        f"Copy: s3://{batch.bucket}/{record.copy_key}\nDetails: s3://{batch.bucket}/{record.error_key}\n"
        "The original object was left in place.",
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
        The object, as named by the event (``version_id`` ``None`` or ``"null"`` on unversioned buckets).

    Returns
    -------
    Outcome
        What happened. Bad input never raises.

    Raises
    ------
    drift_retrain.aws.exceptions.StorageError, ExecutionStartError
        Transient or configuration failures of AWS calls; Lambda retries, and every step is idempotent.
    """
    batch = ObjectRef(
        bucket=bucket, key=key, version_id=version_id, etag=(etag or "").strip('"') or None, size=size
    )
    skip = _ignore_reason(bucket, key, settings)
    if skip:
        logger.info("Object ignored", extra={"bucket": bucket, "key": key, "reason": skip})
        return Outcome(status=Status.IGNORED, message=skip, batch=batch)
    batch_id = naming.batch_id_for(key, version_id, batch.etag)

    profile = _load_profile(clients, settings, bucket)
    if isinstance(profile, str):
        logger.error("Batch not checked: %s", profile, extra={"key": key, "batch_id": batch_id})
        notified = _send(
            clients, settings, "No baseline profile yet: batch not checked", f"{batch.uri}: {profile}"
        )
        return Outcome(
            status=Status.NO_PROFILE, message=profile, batch=batch, batch_id=batch_id, notified=notified
        )

    serving_model = _serving_model(profile)
    recovery_used = count_keys(clients.s3, settings.data_bucket or bucket, recovery_prefix(serving_model))
    try:
        with open_object(clients.s3, batch) as opened:
            report_obj = run_check(
                opened.stream,
                profile,
                settings.drift,
                predictor=_predictor(clients, settings, profile),
                batch_id=batch_id,
                source_name=batch.uri,
                recovery_used=recovery_used,
            )
    except InvalidBatchError as error:
        return _handle_invalid(clients, settings, batch, batch_id, error)
    except ObjectNotFoundError as error:
        logger.warning("Object gone before it could be checked", extra={"key": key, "reason": str(error)})
        return Outcome(status=Status.OBJECT_GONE, message=str(error), batch=batch, batch_id=batch_id)
    except ObjectChangedError as error:
        logger.warning("Object overwritten; its new version has its own event", extra={"key": key})
        return Outcome(status=Status.SUPERSEDED, message=str(error), batch=batch, batch_id=batch_id)

    report = report_obj.to_dict()
    report_key = f"{settings.reports_prefix}{batch_id}.json"
    write_json(clients.s3, bucket, report_key, report)
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
            "concept_drift": report.get("concept_drift"),
            "retrain": report_obj.retrain,
            "report_key": report_key,
        },
    )

    if report_obj.retrain:
        if settings.state_machine_arn:
            outcome.execution = start_execution(
                clients.stepfunctions,
                settings.state_machine_arn,
                naming.execution_name_for(bucket, key, version_id, batch.etag),
                retrain_input(batch, batch_id, report_key, report),
            )
            if report_obj.decision.follow_up and not outcome.execution.duplicate:
                _mark_recovery(clients, settings.data_bucket or bucket, serving_model, batch_id, outcome)
            logger.info(
                "Retraining execution",
                extra={
                    "execution_name": outcome.execution.name,
                    "execution_arn": outcome.execution.execution_arn,
                    "duplicate_delivery": outcome.execution.duplicate,
                },
            )
        else:
            logger.error("The policy fired but STATE_MACHINE_ARN is not set: no retrain started")
    if report.get("alert") and not outcome.duplicate_delivery:
        subject = f"{'Retrain' if report_obj.retrain else 'Drift alert'}: {batch_id}"
        outcome.notified = _send(
            clients, settings, subject, _drift_message(batch, report, report_key, outcome)
        )
    return outcome
