"""Where things live in the data bucket: one place for every S3 key layout the service shares.

DetectDrift writes what PrepareTrainingData and PromoteModel later read (drift reports, recovery markers,
the baseline profile), so the keys are a contract between Lambdas, and they are defined once, here.
"""

from __future__ import annotations

import hashlib

from drift_retrain.workflow.shared.naming import s3_safe

__all__ = [
    "AB_RECORD_KEY",
    "CAPTURE_PREFIX",
    "CHALLENGER_STATE_KEY",
    "DEFAULT_PROFILE_KEY",
    "DRIFT_REPORTS_PREFIX",
    "EVALUATION_PREFIX",
    "GROUND_TRUTH_PREFIX",
    "INCOMING_PREFIX",
    "LINEAGE_PREFIX",
    "MAX_KEY_BYTES",
    "MONITOR_PREFIX",
    "OWN_INFERENCE_PREFIX",
    "PARTITION_CHECKS_PREFIX",
    "PREDICTION_REFERENCE_KEY",
    "QUARANTINE_PREFIX",
    "RECOVERY_PREFIX",
    "SEED_PREFIX",
    "STREAM_PREFIX",
    "drift_report_key",
    "evaluation_report_key",
    "partition_check_keys",
    "partition_results_prefix",
    "quarantine_copy_key",
    "quarantine_keys",
    "quarantine_record_key",
    "recovery_marker_key",
    "recovery_prefix",
]

INCOMING_PREFIX = "incoming/"
#: Seed files of a bootstrap run (the first model); never checked by DetectDrift.
SEED_PREFIX = "seed/"
DEFAULT_PROFILE_KEY = "baseline/current/profile.json"
DRIFT_REPORTS_PREFIX = "reports/drift/"
QUARANTINE_PREFIX = "quarantine/"
#: S3's longest key, in UTF-8 bytes: a longer PutObject or CopyObject fails with KeyTooLongError.
MAX_KEY_BYTES = 1024
#: Under QUARANTINE_PREFIX, two areas that no key can reach from the other: the copies of bad batches and
#: their records (the reason). A batch uploaded as ``incoming/x.csv.error.json`` gets its own record.
QUARANTINE_FILES = "files/"
QUARANTINE_RECORDS = "records/"
#: Where a key that would not fit goes: its head and a hash of the whole key (never a key that fits).
_LONG = "long-"
_DIGEST_CHARS = 32
EVALUATION_PREFIX = "reports/evaluation/"
LINEAGE_PREFIX = "reports/lineage/"
#: One marker per follow-up retrain started for a serving model (counted against MAX_RECOVERY_RETRAINS).
RECOVERY_PREFIX = "reports/recovery/"
#: The challenger's counters and the serving model's recent errors (DetectDrift, read-modify-write with If-Match).
CHALLENGER_STATE_KEY = "reports/challenger/state.json"
#: The running A/B test (written by the AbTest step, evidence added by DetectDrift, deleted at the end).
AB_RECORD_KEY = "ab/current.json"
#: SageMaker Data Capture's destination: ``capture/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl``.
CAPTURE_PREFIX = "capture/"
#: Ground-truth labels as Model Monitor reads them: ``ground-truth/yyyy/mm/dd/hh/<file>.jsonl``.
GROUND_TRUTH_PREFIX = "ground-truth/"
#: Small objects of a data stream (Firehose-style): ``incoming-stream/<stream>/.../<file>``. The capture
#: monitor accumulates them into windows, each written once as a batch under ``incoming/stream-<stream>/``.
STREAM_PREFIX = "incoming-stream/"
#: The ``InferenceId`` prefix of the service's own requests to the endpoint (DetectDrift scoring a batch's
#: labelled rows, the A/B look): Data Capture records them like any other, and the monitor leaves them out,
#: or every labelled batch would come back as served traffic.
OWN_INFERENCE_PREFIX = "drift-retrain-check-"
#: Monitoring windows of captured rows and their reports (statistics.json, constraint_violations.json).
MONITOR_PREFIX = "monitor/"
#: A partition checked on a Distributed Map: ``<batch-id>/items.json`` (the parts, the map's ItemReader),
#: ``<batch-id>/partials/<n>.json`` (each part's summary) and ``results/<execution name>/`` (what its
#: ResultWriter writes; ``statemachine/check-partition.asl.json`` builds the same prefix).
PARTITION_CHECKS_PREFIX = "partition-checks/"
#: The champion's holdout predictions and score calibration, written by PromoteModel next to the profile.
PREDICTION_REFERENCE_KEY = "baseline/current/prediction_reference.json"


def drift_report_key(batch_id: str, prefix: str = DRIFT_REPORTS_PREFIX) -> str:
    """``reports/drift/<batch-id>.json``: the report DetectDrift wrote for one batch revision."""
    return f"{prefix}{batch_id}.json"


def partition_check_keys(batch_id: str) -> tuple[str, str]:
    """(items key, partials folder) of a partition's check on the Distributed Map."""
    folder = f"{PARTITION_CHECKS_PREFIX}{batch_id}/"
    return f"{folder}items.json", f"{folder}partials/"


def partition_results_prefix(execution_name: str) -> str:
    """Where the partition-check execution's map writes its results (manifest.json, *_<n>.json files)."""
    return f"{PARTITION_CHECKS_PREFIX}results/{execution_name}/"


def evaluation_report_key(execution_name: str) -> str:
    """``reports/evaluation/<execution>.json``: EvaluateCandidate's report, found by the run's name alone
    (the drift page that started the run and the timeline link to it without asking anyone)."""
    return f"{EVALUATION_PREFIX}{s3_safe(execution_name)}.json"


def recovery_prefix(model: str) -> str:
    """Markers of the follow-up retrains started while ``model`` served."""
    return f"{RECOVERY_PREFIX}{model}/"


def recovery_marker_key(model: str, batch_id: str) -> str:
    return f"{recovery_prefix(model)}{batch_id}.json"


def quarantine_copy_key(key: str, prefix: str = QUARANTINE_PREFIX) -> str:
    """``quarantine/files/<key>``: where a bad batch is copied (see :func:`quarantine_keys`)."""
    return _fitting_key(prefix, QUARANTINE_FILES, key, "")


def quarantine_record_key(key: str, prefix: str = QUARANTINE_PREFIX) -> str:
    """``quarantine/records/<key>.json``: why ``key`` was quarantined (see :func:`quarantine_keys`)."""
    return _fitting_key(prefix, QUARANTINE_RECORDS, key, ".json")


def quarantine_keys(key: str, prefix: str = QUARANTINE_PREFIX) -> tuple[str, str]:
    """The copy and the record of bad batch ``key``.

    Copies and records live in separate areas, so no uploaded key can name another batch's record. A key
    near S3's 1,024-byte limit would not fit behind the prefix: it then goes to ``long-files/`` and
    ``long-records/`` as its first bytes, ``~`` and 32 hex of its SHA-256, within the limit. Those areas
    hold only such keys, so a short key cannot be made to name a long key's copy or record.
    """
    return quarantine_copy_key(key, prefix), quarantine_record_key(key, prefix)


def _fitting_key(prefix: str, area: str, key: str, suffix: str) -> str:
    whole = f"{prefix}{area}{key}{suffix}"
    if len(whole.encode("utf-8")) <= MAX_KEY_BYTES:
        return whole
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:_DIGEST_CHARS]
    start, end = f"{prefix}{_LONG}{area}", f"~{digest}{suffix}"
    room = MAX_KEY_BYTES - len(start.encode("utf-8")) - len(end.encode("utf-8"))
    head = key.encode("utf-8")[: max(room, 0)].decode("utf-8", errors="ignore")
    return f"{start}{head}{end}"
