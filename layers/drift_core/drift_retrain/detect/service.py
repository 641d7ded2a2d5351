"""What DetectDrift does with one "Object Created" event, given its AWS clients.

The Lambda handler (``functions/detect_drift/app.py``) only parses the event and calls
:func:`process_object`; everything else lives in this package so it can be tested with moto or fakes:

1. ignore objects outside ``incoming/`` (and folder markers); a part of a partition
   (``incoming/<batch>/part-*``) waits for its ``_SUCCESS`` or ``_manifest.json``, whose event checks
   the partition as one batch (:mod:`.partitions`): in this Lambda, or, for more than one part or more
   than ``SINGLE_CHECK_MAX_BYTES``, on the partition-check state machine's Distributed Map
   (:mod:`.scale_out`, whose reduce step decides as step 5 does); a revision that already has its report
   is a duplicate delivery: the report stands (written once, :mod:`drift_retrain.detect.records`) and
   only what it decided and is still undone (starting its retrain) is done; an object whose event size is
   over ``MAX_OBJECT_BYTES`` goes straight to step 4 (``object_too_large``) without a byte being read;
2. load the baseline profile (missing or unreadable: log, notify "no baseline profile yet", stop; the
   batch is neither quarantined nor retrained on);
3. stream the object into :func:`drift_retrain.engine.check.run_check`, the champion endpoint answering for the
   labelled rows (:class:`~drift_retrain.aws.endpoint.EndpointPredictor`);
4. a bad file (``InvalidBatchError``, one of ``engine.read_reasons.READ_REASONS``; the read limits
   included): copy it to ``quarantine/files/<key>`` with its reason in ``quarantine/records/<key>.json``
   (:func:`drift_retrain.layout.quarantine_keys`), write
   an ``invalid`` report, notify, and return normally (raising would make Lambda retry a file that will
   never get better);
5. otherwise write ``reports/drift/<batch-id>.json``, notify when the report raises an alert, and start
   the retraining state machine when the policy fires, named deterministically so a repeated event is a
   no-op;
6. while an A/B test runs (``ab/current.json``), the concept test asks the champion variant only, the
   batch's labelled rows are scored on both variants as online evidence (:mod:`.ab_test`), and no retrain
   starts: the test's own decision is pending, and the execution holding the endpoint lock is waiting
   for it.

Every batch ends in one known place: checked (a report), quarantined (a specific reason, the original
kept), or, when anything else goes wrong, raised. Transient AWS failures (S3 throttling, a 500 after
botocore's retries), an unexpected exception inside a check (a bug) and the Lambda's own death (timeout,
out of memory) all fail the invocation: Lambda retries it, then records the event on the function's
failure queue, from which ``drift-retrain redrive`` processes it again once the cause is fixed. Nothing
is swallowed; only ``InvalidBatchError`` (the file is bad, retrying cannot help) is quarantined.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from drift_retrain.aws import naming
from drift_retrain.aws.exceptions import ObjectChangedError, ObjectNotFoundError
from drift_retrain.aws.objects import ObjectRef, resolve_event_key
from drift_retrain.aws.storage import current_revision, read_object, write_json
from drift_retrain.detect.ab_test import ab_look, resend_decision
from drift_retrain.detect.actions import act_on_report, handle_invalid, replay_report
from drift_retrain.detect.challenger import wants_probe
from drift_retrain.detect.context import DetectSettings, Outcome, Status
from drift_retrain.detect.inputs import ab_state, check_inputs, variant_predictors
from drift_retrain.detect.inputs import predictor as champion_predictor
from drift_retrain.detect.partitions import open_batch, part_event
from drift_retrain.detect.records import stored_report
from drift_retrain.detect.scale_out import may_cut, scale_out
from drift_retrain.engine.check import run_check
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.engine.report import DriftReport
from drift_retrain.exceptions import InvalidBatchError
from drift_retrain.monitor.keys import is_capture_batch

__all__ = ["process_object"]

logger = logging.getLogger(__name__)


def _ignore_reason(bucket: str, key: str, settings: DetectSettings) -> str | None:
    if settings.data_bucket and bucket != settings.data_bucket:
        return f"bucket {bucket} is not the data bucket {settings.data_bucket}"
    if is_capture_batch(key):
        return None
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


def _check_capture_window(
    clients: Any,
    settings: DetectSettings,
    batch: ObjectRef,
    batch_id: str,
    profile: BaselineProfile,
    serving_model: str,
    deferred: bool,
    recovery_used: int,
) -> Outcome:
    """A window batch the capture monitor wrote: checked on its captured predictions (no endpoint call);
    its follow-up retrains count against the serving model's, as a batch's do."""
    from drift_retrain.capture.model_monitor import constraint_violations_json
    from drift_retrain.monitor.check import check_window
    from drift_retrain.monitor.reference import load_reference, reference_key

    try:
        settings.limits.check_object_size(batch.size)
        body = read_object(clients.s3, batch.bucket, batch.key, batch.pinned_version)
        report_obj, statistics = check_window(
            body,
            batch.key,
            profile,
            settings.drift,
            reference=load_reference(
                clients.s3, settings.data_bucket or batch.bucket, reference_key(settings.profile_key)
            ),
            batch_id=batch_id,
            source_name=batch.uri,
            recovery_used=recovery_used,
        )
    except InvalidBatchError as error:
        return handle_invalid(clients, settings, batch, batch_id, error)
    except ObjectNotFoundError as error:
        return Outcome(status=Status.OBJECT_GONE, message=str(error), batch=batch, batch_id=batch_id)
    outcome = _act(clients, settings, batch, batch_id, report_obj, profile, serving_model, deferred)
    if not outcome.duplicate_report:  # Model Monitor's files beside the report, for tools that read them
        folder = outcome.report_key.removesuffix(".json")
        write_json(clients.s3, batch.bucket, f"{folder}/statistics.json", statistics)
        write_json(
            clients.s3,
            batch.bucket,
            f"{folder}/constraint_violations.json",
            constraint_violations_json(outcome.report),
        )
    return outcome


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
    clients : aws.clients.LazyClients or any object with ``s3``, ``stepfunctions``, ``sns``, ``sagemaker_runtime``
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
    part = part_event(clients, settings, batch)  # a partition's part waits for its marker
    if isinstance(part, InvalidBatchError):
        return handle_invalid(clients, settings, batch, batch_id, part)
    if part is not None:
        return part
    ab_now = ab_state(clients, settings, bucket)
    ab, deferred = ab_now.record, ab_now.deferred
    stored = stored_report(clients.s3, batch.bucket, report_key)
    if stored is not None:
        outcome = replay_report(clients, settings, batch, batch_id, report_key, stored, deferred=deferred)
        if ab is not None:
            look = resend_decision(clients, ab, key=batch.key, etag=batch.etag, version_id=batch.version_id)
            outcome.ab_test = look.to_dict()
        return outcome
    try:  # too big for one Lambda and cannot be cut: quarantined from the event alone, before any read
        if not may_cut(settings, batch):
            settings.limits.check_object_size(size)
    except InvalidBatchError as error:
        return handle_invalid(clients, settings, batch, batch_id, error)

    inputs = check_inputs(clients, settings, batch, batch_id)
    if isinstance(inputs, Outcome):
        return inputs
    profile, serving_model, recovery_used = inputs.profile, inputs.serving_model, inputs.recovery_used
    champion_variant = ab_now.champion_variant
    if is_capture_batch(key):
        return _check_capture_window(
            clients, settings, batch, batch_id, profile, serving_model, deferred, recovery_used
        )
    probe = wants_probe(clients, settings, bucket, serving_model, deferred=deferred)
    scaled = scale_out(clients, settings, batch, batch_id, champion_variant, probe=probe)
    if isinstance(scaled, InvalidBatchError):
        return handle_invalid(clients, settings, batch, batch_id, scaled)
    if scaled is not None:
        return scaled
    frames: list[Any] = []
    written = None
    try:
        with open_batch(clients, settings.incoming_prefix, batch, batch_id) as opened:
            settings.limits.check_object_size(opened.size)
            written = opened.last_modified
            report_obj = run_check(
                opened.stream,
                profile,
                settings.drift,
                predictor=champion_predictor(clients, settings, profile, target_variant=champion_variant),
                on_frame=frames.append if ab else None,
                batch_id=batch_id,
                source_name=batch.uri,
                recovery_used=recovery_used,
                limits=settings.limits,
                probe=probe,
            )
    except InvalidBatchError as error:
        return handle_invalid(clients, settings, batch, batch_id, error)
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

    look = None
    if ab is not None and frames and settings.endpoint_name:
        # Before the report: a delivery that dies after it is replayed, and a replay looks no more; the
        # evidence is keyed by the batch's revision, so looking again after a crash counts it once.
        look = ab_look(
            clients,
            settings.data_bucket or bucket,
            ab,
            frame=frames[0],
            profile=profile,
            config=settings.drift,
            predictors=variant_predictors(clients, settings, profile, ab),
            key=batch.key,
            etag=batch.etag,
            version_id=batch.version_id,
            written=written,
        )
    outcome = _act(clients, settings, batch, batch_id, report_obj, profile, serving_model, deferred)
    outcome.ab_test = None if look is None else look.to_dict()
    return outcome


def _act(
    clients: Any,
    settings: DetectSettings,
    batch: ObjectRef,
    batch_id: str,
    report_obj: DriftReport,
    profile: BaselineProfile,
    serving_model: str,
    deferred: bool,
) -> Outcome:
    """``act_on_report`` for the serving model of ``profile`` (its algorithm sets a retrain's cost)."""
    return act_on_report(
        clients,
        settings,
        batch,
        batch_id,
        report_obj,
        serving_model,
        deferred=deferred,
        serving_algorithm=profile.metadata.get("algorithm"),
    )
