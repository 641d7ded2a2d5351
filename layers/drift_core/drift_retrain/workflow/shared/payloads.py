"""The payloads between the state machine and the workflow Lambdas, as types.

Each Lambda builds its result through one of these dataclasses (``to_dict``), so a field cannot be
added, renamed or dropped on one side only: ``tests/static/test_payloads.py`` checks that every
``$.data.…``, ``$.candidate.…`` and ``$.evaluation.…`` path the definition reads is a field here.
Values stay plain JSON (dicts, lists, strings, numbers): Step Functions passes them on as they are.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = [
    "CandidateItem",
    "CandidateNames",
    "EvaluationResult",
    "ExecutionNames",
    "PreparedData",
    "PromotionResult",
    "Winner",
    "field_names",
]


class _Payload:
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]


def field_names(payload: type) -> set[str]:
    return {f.name for f in fields(payload)}


@dataclass(frozen=True)
class ExecutionNames(_Payload):
    """SageMaker names the whole execution shares (``$.data.names``)."""

    base: str
    endpoint_config: str
    champion_transform_job: str
    ab_endpoint_config: str
    restore_endpoint_config: str


@dataclass(frozen=True)
class CandidateNames(_Payload):
    """SageMaker names of one candidate (``$.candidate.names``)."""

    training_job: str
    tuning_job: str
    model: str
    transform_job: str


@dataclass(frozen=True)
class CandidateItem(_Payload):
    """One candidate as the Map state receives it (``$.candidate``)."""

    id: str
    strategy: str
    train: bool
    names: dict[str, str]
    model_output_uri: str
    checkpoint_uri: str
    transform_output: str
    window_ended: str | None
    model_data_url: str | None
    source_model: str | None
    source_training_job: str | None
    train_uri: str | None
    validation_uri: str | None
    test_uri: str
    candidate_profile: dict[str, str]
    raw_training_data: dict[str, str] | None
    rows: dict[str, int]
    batches: list[str]
    previous_rows: int
    algorithm: str
    training_image: str
    hyperparameters: dict[str, str]
    static_hyperparameters: dict[str, str]
    tuning_objective: dict[str, str]
    tuning_ranges: dict[str, list[dict[str, str]]]
    transform: dict[str, Any]


@dataclass(frozen=True)
class PreparedData(_Payload):
    """PrepareTrainingData's result (``$.data``)."""

    task: str
    label: str
    classes: list[str]
    names: dict[str, str]
    candidates: list[dict[str, Any]]
    test: dict[str, Any]
    transform_output: dict[str, str]
    hyperparameters: dict[str, str]
    static_hyperparameters: dict[str, str]
    tuning_objective: dict[str, str]
    manifest: dict[str, str]
    rows: dict[str, int]
    batches: int
    window_strategy: str
    window_ended: str | None
    skipped_batches: int
    champion_profile_found: bool
    algorithms: list[str]
    champion_transform: dict[str, Any]


@dataclass(frozen=True)
class Winner(_Payload):
    """The candidate EvaluateCandidate picked (``$.evaluation.winner``), whatever the decision."""

    id: str
    strategy: str | None
    model_name: str | None
    training_job: str | None
    model_artifacts: str | None
    candidate_profile: dict[str, str] | None
    raw_training_data: dict[str, str] | None
    source_model: str | None
    window_ended: str | None
    batches: list[str]
    rows: dict[str, int] | None
    algorithm: str | None
    training_image: str | None


@dataclass(frozen=True)
class EvaluationResult(_Payload):
    """EvaluateCandidate's result (``$.evaluation``)."""

    promote: bool
    decision: str
    reasons: list[str]
    primary_metric: str
    relative_improvement: float | None
    candidate: dict[str, Any]
    champion: dict[str, Any] | None
    candidates: list[dict[str, Any]]
    failed_candidates: list[dict[str, Any]]
    winner: dict[str, Any]
    paired_test: dict[str, Any] | None
    candidate_holdout: dict[str, Any]
    rows: int
    report: dict[str, str]
    #: The winner's holdout errors per segment (``engine.segments.HoldoutSegments``), None when not counted.
    candidate_holdout_segments: dict[str, Any] | None = None


@dataclass(frozen=True)
class PromotionResult(_Payload):
    """PromoteModel's result (``$.promotion_result.promotion``)."""

    profile: str
    baseline_profile: str
    training_data: str | None
    holdout: dict[str, Any]
    recovery: dict[str, Any]
    model_package_arn: str | None
    registry_error: str | None
    cleanup: dict[str, Any] | None
    lineage: str
