"""DetectDrift's settings and outcome: what ``service.process_object`` works with and returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drift_retrain.aws import naming
from drift_retrain.aws.executions import ExecutionStart
from drift_retrain.aws.objects import ObjectRef, QuarantineRecord
from drift_retrain.engine.challenger import ChallengerSettings
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.policy import CHALLENGER, PERFORMANCE
from drift_retrain.engine.read_limits import ReadLimits
from drift_retrain.layout import DEFAULT_PROFILE_KEY, DRIFT_REPORTS_PREFIX

#: A partition of more bytes than this (or of more than one part) is checked on a Distributed Map.
DEFAULT_SINGLE_CHECK_MAX_BYTES = 512 * 1024 * 1024

__all__ = ["DetectSettings", "Outcome", "Status", "retrain_input", "retrain_record"]


class Status:
    """Values of :attr:`Outcome.status`."""

    CHECKED = "checked"
    INVALID = "invalid"
    IGNORED = "ignored"
    NO_PROFILE = "no_profile"
    OBJECT_GONE = "object_gone"
    SUPERSEDED = "superseded"
    #: A part of a partition: checked with the others when its _SUCCESS or _manifest.json lands.
    WAITING_FOR_PARTITION = "waiting_for_partition"
    #: A partition too big for one Lambda: its check runs on the partition-check state machine.
    PARTITION_CHECK_STARTED = "partition_check_started"


@dataclass(frozen=True)
class DetectSettings:
    """Where things are, read from the Lambda's environment (the template sets every variable)."""

    data_bucket: str | None = None
    profile_key: str = DEFAULT_PROFILE_KEY
    endpoint_name: str | None = None
    state_machine_arn: str | None = None
    topic_arn: str | None = None
    incoming_prefix: str = naming.INCOMING_PREFIX
    reports_prefix: str = DRIFT_REPORTS_PREFIX
    drift: DriftConfig = field(default_factory=DriftConfig)
    limits: ReadLimits = field(default_factory=ReadLimits)
    #: The partition-check state machine; without it every partition is read in one Lambda.
    partition_check_arn: str | None = None
    single_check_max_bytes: int = DEFAULT_SINGLE_CHECK_MAX_BYTES
    challenger: ChallengerSettings = field(default_factory=ChallengerSettings)
    #: What a retrain trains (``CANDIDATE_STRATEGIES``, ``ALGORITHMS``): its cost in training jobs.
    candidate_strategies: tuple[str, ...] = ("since_change", "newest", "registry")
    algorithms: tuple[str, ...] = ("xgboost",)

    @property
    def algorithm_count(self) -> int:
        return len(self.algorithms)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> DetectSettings:
        """Read ``DATA_BUCKET``, ``PROFILE_KEY``, ``ENDPOINT_NAME``, ``STATE_MACHINE_ARN``, ``TOPIC_ARN``,
        ``PARTITION_CHECK_STATE_MACHINE_ARN``, ``SINGLE_CHECK_MAX_BYTES``, the challenger's
        (``CHALLENGER_EVERY_BATCHES``, ``CHALLENGER_MAX_JOBS_PER_DAY``, ``CANDIDATE_STRATEGIES``, ``ALGORITHMS``), the drift configuration (``ALPHA``, ``PSI_FLOOR``, ... see ``DriftConfig.from_env``) and the read
        limits (``MAX_OBJECT_BYTES``, ... see ``ReadLimits.from_env``)."""

        def value(name: str) -> str | None:
            return (environ.get(name) or "").strip() or None

        return cls(
            data_bucket=value("DATA_BUCKET"),
            profile_key=value("PROFILE_KEY") or DEFAULT_PROFILE_KEY,
            endpoint_name=value("ENDPOINT_NAME"),
            state_machine_arn=value("STATE_MACHINE_ARN"),
            topic_arn=value("TOPIC_ARN"),
            drift=DriftConfig.from_env(environ),
            limits=ReadLimits.from_env(environ),
            partition_check_arn=value("PARTITION_CHECK_STATE_MACHINE_ARN"),
            single_check_max_bytes=int(value("SINGLE_CHECK_MAX_BYTES") or DEFAULT_SINGLE_CHECK_MAX_BYTES),
            challenger=ChallengerSettings.from_env(environ),
            candidate_strategies=_names(value("CANDIDATE_STRATEGIES")) or cls.candidate_strategies,
            algorithms=tuple(n.lower() for n in _names(value("ALGORITHMS"))) or cls.algorithms,
        )


def _names(raw: str | None) -> tuple[str, ...]:
    return tuple(dict.fromkeys(part.strip() for part in (raw or "").split(",") if part.strip()))


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
    #: The revision already had its report: this delivery changed nothing it recorded.
    duplicate_report: bool = False
    #: The batch's A/B look (``ab_test.AbLook.to_dict``) while an A/B test runs.
    ab_test: dict[str, Any] | None = None
    #: The partition-check execution that checks this partition on a Distributed Map.
    partition_check: ExecutionStart | None = None

    @property
    def retrain_started(self) -> bool:
        return self.execution is not None and not self.execution.duplicate

    @property
    def duplicate_delivery(self) -> bool:
        """The event was handled before (its report exists, or its retrain had started)."""
        return self.duplicate_report or (self.execution is not None and self.execution.duplicate)

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
            "retrain_trigger": report.get("retrain_trigger"),
            "quarantine_key": None if self.quarantine is None else self.quarantine.copy_key,
            "quarantine_record_key": None if self.quarantine is None else self.quarantine.error_key,
            "execution": None if self.execution is None else self.execution.to_dict(),
            "duplicate": self.duplicate_delivery,
            "ab_test": self.ab_test,
            "partition_check": None if self.partition_check is None else self.partition_check.to_dict(),
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
        # a challenger's signal: the probe's challenger trains the probe's family (``plan_algorithms``)
        "challenger_signal": _challenger_signal(report),
    }


def _challenger_signal(report: Mapping[str, Any]) -> str | None:
    if report.get("retrain_trigger") != CHALLENGER:
        return None
    return ((report.get("challenger") or {}).get("gain") or {}).get("signal")


def retrain_record(batch: ObjectRef, batch_id: str) -> dict[str, Any]:
    """The report's ``retrain_execution``: the execution this revision starts and the revision itself.

    The workflow trusts only this record (read from ``reports/drift/``, which only the stack writes):
    its first state checks that the execution's name is the one derived from the recorded revision and
    builds the trigger from the report, whatever the execution input says.
    """
    return {
        "execution_name": naming.execution_name_for(batch.bucket, batch.key, batch.version_id, batch.etag),
        "batch": {
            "bucket": batch.bucket,
            "key": batch.key,
            "version_id": batch.version_id,
            "etag": batch.etag,
            "batch_id": batch_id,
        },
    }
