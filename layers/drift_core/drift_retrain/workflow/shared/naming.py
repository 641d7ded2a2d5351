"""Names of everything one execution creates, derived once and passed through the state machine.

SageMaker names allow ``[a-zA-Z0-9](-*[a-zA-Z0-9])*``; tuning job names at most 32 characters, the others
63. IAM grants are scoped to ``<prefix>-*`` and SageMaker lower-cases names inside ARNs, so names are
lower-case: ``<prefix>-<yymmddHHMM>-<hash6>`` (at most 28 characters) plus a short suffix.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

__all__ = ["STACK_TAG", "JobNames", "job_names", "s3_safe"]

MAX_PREFIX = 10
#: Tag key of every SageMaker resource the workflow creates; its value is the stack's name. Cleanup deletes
#: only resources with its own stack's value (``drift_retrain.workflow.promote_model.cleanup``).
STACK_TAG = "drift-retrain:stack"
_INVALID = re.compile(r"[^a-z0-9-]+")


@dataclass(frozen=True)
class JobNames:
    """SageMaker resource names of one execution; each candidate's own names derive from ``base``
    (``candidates.candidate_names``: training job, tuning job, model, transform job)."""

    base: str
    endpoint_config: str
    champion_transform_job: str
    #: PromotionMode ab: the two-variant config of the test, and the champion's own config if it stays.
    ab_endpoint_config: str
    restore_endpoint_config: str

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def _clean_prefix(prefix: str) -> str:
    cleaned = _INVALID.sub("-", prefix.lower()).strip("-")
    cleaned = re.sub(r"-{2,}", "-", cleaned)[:MAX_PREFIX].strip("-")
    return cleaned or "model"


def _parse_time(value: str | datetime | None) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            pass
    return datetime.now(UTC)


def job_names(prefix: str, execution_arn: str, started: str | datetime | None = None) -> JobNames:
    """Deterministic names for one execution.

    Parameters
    ----------
    prefix : str
        The stack's ``ModelNamePrefix`` (cleaned to lower-case letters, digits and ``-``, at most 10).
    execution_arn : str
        The execution's ARN; its hash keeps two executions started in the same minute apart.
    started : str or datetime, optional
        The execution's start time (``$$.Execution.StartTime``); the current time when absent.
    """
    stamp = _parse_time(started).strftime("%y%m%d%H%M")
    digest = hashlib.sha256(execution_arn.encode("utf-8")).hexdigest()[:6]
    base = f"{_clean_prefix(prefix)}-{stamp}-{digest}"
    return JobNames(
        base=base,
        endpoint_config=base,
        champion_transform_job=f"{base}-champ",
        ab_endpoint_config=f"{base}-ab",
        restore_endpoint_config=f"{base}-back",
    )


def s3_safe(name: str) -> str:
    """An execution name as an S3 key segment (execution names are already safe; this guards the rest)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "execution"
