"""Errors of the retraining workflow's Lambdas.

Step Functions names a Lambda failure after the exception class, so each class below is an error name the
state machine (and a person reading the execution history) can act on. None of them deletes anything: a
failed step leaves its inputs where they were and the champion keeps serving.
"""

from __future__ import annotations

from drift_retrain.exceptions import DriftRetrainError

__all__ = [
    "BaselineNotFoundError",
    "ChampionRoleError",
    "ChampionVariantMismatchError",
    "EmptyTrainingWindowError",
    "LabelMismatchError",
    "NoCandidateScoredError",
    "NotEnoughTrainingDataError",
    "PredictionCountMismatchError",
    "RegistryError",
    "TransformOutputFormatError",
    "TransformOutputMissingError",
    "TriggerNotVerifiedError",
    "WorkflowError",
    "WorkflowInputError",
]


class WorkflowError(DriftRetrainError):
    """Base class of the workflow's errors."""


class WorkflowInputError(WorkflowError):
    """The state machine passed an event the function cannot use (a field is missing or malformed)."""


class TriggerNotVerifiedError(WorkflowError):
    """The execution's trigger is not one of DetectDrift's records (or, for a bootstrap, not a first
    deployment from ``seed/``): the run stops before it takes the lock."""


class BaselineNotFoundError(WorkflowError):
    """A drift-triggered run found no baseline profile: deploy the first model with a bootstrap run."""


class ChampionVariantMismatchError(WorkflowError):
    """The endpoint serves a variant the rollback alarms do not watch: a blue/green update would be unguarded."""


class ChampionRoleError(WorkflowError):
    """The champion model's execution role (which its batch transform runs with) is denied training/ or transforms/."""


class EmptyTrainingWindowError(WorkflowError):
    """No labelled rows were found for the training window."""


class NotEnoughTrainingDataError(WorkflowError):
    """The training window has rows, but too few (or a single class) to train and compare a candidate."""


class NoCandidateScoredError(WorkflowError):
    """Every candidate of the tournament failed to train or to score: there is nothing to compare."""


class TransformOutputMissingError(WorkflowError):
    """A batch transform wrote no ``.out`` file where the workflow expected it."""


class TransformOutputFormatError(WorkflowError):
    """A transform output line is not ``label,prediction`` with numbers."""


class PredictionCountMismatchError(WorkflowError):
    """Candidate and champion outputs (or the held-out rows) do not have the same number of rows."""


class LabelMismatchError(WorkflowError):
    """Candidate and champion outputs disagree on a row's label: they did not score the same rows in order."""


class RegistryError(WorkflowError):
    """The SageMaker model registry rejected the new model package (the endpoint already serves the model)."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code
