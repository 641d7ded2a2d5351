"""Where things live in the data bucket: one place for every S3 key layout the service shares.

DetectDrift writes what PrepareTrainingData and PromoteModel later read (drift reports, recovery markers,
the baseline profile), so the keys are a contract between Lambdas, and they are defined once, here.
"""

from __future__ import annotations

__all__ = [
    "AB_RECORD_KEY",
    "CAPTURE_PREFIX",
    "DEFAULT_PROFILE_KEY",
    "DRIFT_REPORTS_PREFIX",
    "EVALUATION_PREFIX",
    "GROUND_TRUTH_PREFIX",
    "INCOMING_PREFIX",
    "LINEAGE_PREFIX",
    "MONITOR_PREFIX",
    "PREDICTION_REFERENCE_KEY",
    "QUARANTINE_PREFIX",
    "RECOVERY_PREFIX",
    "drift_report_key",
    "recovery_marker_key",
    "recovery_prefix",
]

INCOMING_PREFIX = "incoming/"
DEFAULT_PROFILE_KEY = "baseline/current/profile.json"
DRIFT_REPORTS_PREFIX = "reports/drift/"
QUARANTINE_PREFIX = "quarantine/"
EVALUATION_PREFIX = "reports/evaluation/"
LINEAGE_PREFIX = "reports/lineage/"
#: One marker per follow-up retrain started for a serving model (counted against MAX_RECOVERY_RETRAINS).
RECOVERY_PREFIX = "reports/recovery/"
#: The running A/B test (written by the AbTest step, evidence added by DetectDrift, deleted at the end).
AB_RECORD_KEY = "ab/current.json"
#: SageMaker Data Capture's destination: ``capture/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl``.
CAPTURE_PREFIX = "capture/"
#: Ground-truth labels as Model Monitor reads them: ``ground-truth/yyyy/mm/dd/hh/<file>.jsonl``.
GROUND_TRUTH_PREFIX = "ground-truth/"
#: Monitoring windows of captured rows and their reports (statistics.json, constraint_violations.json).
MONITOR_PREFIX = "monitor/"
#: The champion's holdout predictions and score calibration, written by PromoteModel next to the profile.
PREDICTION_REFERENCE_KEY = "baseline/current/prediction_reference.json"


def drift_report_key(batch_id: str, prefix: str = DRIFT_REPORTS_PREFIX) -> str:
    """``reports/drift/<batch-id>.json``: the report DetectDrift wrote for one batch revision."""
    return f"{prefix}{batch_id}.json"


def recovery_prefix(model: str) -> str:
    """Markers of the follow-up retrains started while ``model`` served."""
    return f"{RECOVERY_PREFIX}{model}/"


def recovery_marker_key(model: str, batch_id: str) -> str:
    return f"{recovery_prefix(model)}{batch_id}.json"
