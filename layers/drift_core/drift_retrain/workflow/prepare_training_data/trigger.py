"""The retrain's trigger, verified before the lock: only DetectDrift's own record may name what a run trains on.

Whoever may call ``StartExecution`` chooses the execution's name and input, so neither is trusted:

* a drift retrain names the drift report (``reports/drift/<batch-id>.json``, written only by the stack's
  roles). The report must have decided this retrain (``retrain``, not deferred) and record it in
  ``retrain_execution``: the batch revision (bucket, key, version id, ETag) and the execution name
  derived from it. The run's own name must be that name, and the batch id and report key must be the
  ones derived from the revision. The trigger is then built from the report, never from the input;
* a bootstrap (the first model) names a seed file under ``seed/`` and is allowed only while the stack
  has no baseline profile (``baseline/`` is written only by the stack's roles). The seed's revision is
  read here and pinned in the trigger, so training reads exactly what was verified.

Anything else raises :class:`TriggerNotVerifiedError`, which fails the run before it takes the lock.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drift_retrain.aws import storage
from drift_retrain.aws.naming import batch_id_for, execution_name_for, sanitize
from drift_retrain.aws.objects import ObjectRef
from drift_retrain.detect.context import retrain_input
from drift_retrain.layout import (
    DEFAULT_PROFILE_KEY,
    DRIFT_REPORTS_PREFIX,
    INCOMING_PREFIX,
    SEED_PREFIX,
    drift_report_key,
)
from drift_retrain.monitor.keys import LABELLED_PREFIX
from drift_retrain.workflow.shared.exceptions import TriggerNotVerifiedError, WorkflowInputError

__all__ = ["VERIFY_TRIGGER", "TriggerSettings", "verify_trigger"]

#: The ``action`` of the state machine's "Verify the trigger" call to PrepareTrainingData.
VERIFY_TRIGGER = "verify_trigger"
BOOTSTRAP_REASON = "bootstrap: first model trained from the seed data"


@dataclass(frozen=True)
class TriggerSettings:
    """Where the stack's records are (PrepareTrainingData's environment)."""

    bucket: str
    profile_key: str = DEFAULT_PROFILE_KEY
    incoming_prefix: str = INCOMING_PREFIX

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> TriggerSettings:
        bucket = environ.get("DATA_BUCKET", "").strip()
        if not bucket:
            raise WorkflowInputError("DATA_BUCKET is not set")
        return cls(
            bucket=bucket,
            profile_key=environ.get("PROFILE_KEY", "") or DEFAULT_PROFILE_KEY,
            incoming_prefix=environ.get("INCOMING_PREFIX", "") or INCOMING_PREFIX,
        )


def verify_trigger(s3: Any, settings: TriggerSettings, event: Mapping[str, Any]) -> dict[str, Any]:
    """The trigger of execution ``event["execution_name"]``, from the stack's own records.

    ``event["execution_input"]`` is the execution's input as started (an object, or its JSON text).
    Returns the trigger the workflow uses (``$.trigger``); raises :class:`TriggerNotVerifiedError`.
    """
    name = event.get("execution_name")
    given = event.get("execution_input")
    if isinstance(given, str):
        try:
            given = json.loads(given)
        except ValueError:
            given = None
    if not isinstance(name, str) or not name or not isinstance(given, Mapping):
        raise TriggerNotVerifiedError("the execution has no name or its input is not a JSON object")
    bootstrap = given.get("bootstrap", False)
    if bootstrap is True:
        return _bootstrap_trigger(s3, settings, given.get("batch"))
    if bootstrap is not False:
        raise TriggerNotVerifiedError('"bootstrap" must be true or false')
    return _drift_trigger(s3, settings, name, given.get("report"))


def _refuse(why: str) -> TriggerNotVerifiedError:
    return TriggerNotVerifiedError(
        f"{why}: only DetectDrift's drift reports (or a first bootstrap) start a retrain"
    )


def _drift_trigger(s3: Any, settings: TriggerSettings, name: str, named: Any) -> dict[str, Any]:
    ref = named if isinstance(named, Mapping) else {}
    key = ref.get("key")
    if not isinstance(key, str) or not key.startswith(DRIFT_REPORTS_PREFIX) or not key.endswith(".json"):
        raise _refuse(f"the input names no drift report under {DRIFT_REPORTS_PREFIX}")
    if ref.get("bucket") not in (None, settings.bucket):
        raise _refuse(f"the drift report must be in the stack's bucket {settings.bucket}")
    report = _read_report(s3, settings.bucket, key)
    record = report.get("retrain_execution")
    if report.get("status") != "ok" or report.get("retrain") is not True or not isinstance(record, Mapping):
        raise _refuse(f"s3://{settings.bucket}/{key} did not start a retrain")
    if report.get("retrain_deferred"):
        raise _refuse(f"s3://{settings.bucket}/{key} deferred its retrain")
    batch = record.get("batch") if isinstance(record.get("batch"), Mapping) else {}
    ref_batch = ObjectRef(
        str(batch.get("bucket")), str(batch.get("key")), batch.get("version_id"), batch.get("etag")
    )
    if ref_batch.bucket != settings.bucket or not ref_batch.key.startswith(
        (settings.incoming_prefix, LABELLED_PREFIX)
    ):
        raise _refuse(
            f"s3://{settings.bucket}/{key} records a batch outside {settings.incoming_prefix} and {LABELLED_PREFIX}"
        )
    batch_id = batch_id_for(ref_batch.key, ref_batch.version_id, ref_batch.etag)
    if batch.get("batch_id") != batch_id or drift_report_key(batch_id) != key:
        raise _refuse(f"s3://{settings.bucket}/{key} is not the report of the batch it records")
    expected = execution_name_for(ref_batch.bucket, ref_batch.key, ref_batch.version_id, ref_batch.etag)
    if name != expected or record.get("execution_name") != expected:
        raise _refuse(f"execution {name} is not the one {key} started ({expected})")
    return {"bootstrap": False, **retrain_input(ref_batch, batch_id, key, report)}


def _read_report(s3: Any, bucket: str, key: str) -> dict[str, Any]:
    body = storage.read_optional(s3, bucket, key)
    if body is None:
        raise _refuse(f"no drift report at s3://{bucket}/{key}")
    try:
        report = json.loads(body)
    except ValueError as error:
        raise _refuse(f"s3://{bucket}/{key} is not a drift report ({error})") from error
    if not isinstance(report, dict):
        raise _refuse(f"s3://{bucket}/{key} is not a drift report")
    return report


def _bootstrap_trigger(s3: Any, settings: TriggerSettings, named: Any) -> dict[str, Any]:
    batch = named if isinstance(named, Mapping) else {}
    key = batch.get("key")
    if not isinstance(key, str) or not key.startswith(SEED_PREFIX):
        raise _refuse(f"a bootstrap trains on a seed file under {SEED_PREFIX}")
    if batch.get("bucket") not in (None, settings.bucket):
        raise _refuse(f"the seed file must be in the stack's bucket {settings.bucket}")
    if storage.exists(s3, settings.bucket, settings.profile_key):
        raise _refuse(
            f"a bootstrap deploys the first model, and this stack has one (s3://{settings.bucket}/"
            f"{settings.profile_key}); later models come from DetectDrift's retrains"
        )
    revision = storage.current_revision(s3, settings.bucket, key)
    if revision is None:
        raise _refuse(f"no seed file at s3://{settings.bucket}/{key}")
    version_id, etag = revision
    seed = ObjectRef(settings.bucket, key, version_id, etag)
    return {
        "bootstrap": True,
        "batch": {
            "bucket": seed.bucket,
            "key": seed.key,
            "version_id": seed.pinned_version,
            "etag": etag,
            "batch_id": sanitize(str(batch.get("batch_id") or "bootstrap"), max_length=100),
        },
        "report": None,
        "reasons": [BOOTSTRAP_REASON],
        "drifted_features": [],
        "concept_drift": False,
        "labelled_rows": 0,
        "performance_gap": False,
        "kind": "bootstrap",
        "challenger_signal": None,
    }
