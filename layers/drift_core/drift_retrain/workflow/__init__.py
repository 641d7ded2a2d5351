"""The retraining workflow's logic, one module per Lambda step plus its AWS adapters.

- :mod:`~drift_retrain.workflow.window` (pure): training window order and the deterministic split;
- :mod:`~drift_retrain.workflow.preparation`: PrepareTrainingData;
- :mod:`~drift_retrain.workflow.metrics` (pure): metrics and paired tests (McNemar, paired bootstrap);
- :mod:`~drift_retrain.workflow.evaluation`: EvaluateCandidate and the decision rule;
- :mod:`~drift_retrain.workflow.promotion`: PromoteModel (profile, registry, lineage, cleanup);
- :mod:`~drift_retrain.workflow.notification` (pure): run summaries;
- :mod:`~drift_retrain.workflow.registry`: the SageMaker model registry and cleanup adapter (it raises
  ``RegistryError``); S3 goes through :mod:`~drift_retrain.aws.storage`, shared with DetectDrift.

See docs/architecture.md for the whole map.
"""

from drift_retrain.workflow.exceptions import (
    BaselineNotFoundError,
    EmptyTrainingWindowError,
    LabelMismatchError,
    NotEnoughTrainingDataError,
    PredictionCountMismatchError,
    RegistryError,
    TransformOutputFormatError,
    TransformOutputMissingError,
    WorkflowError,
    WorkflowInputError,
)

__all__ = [
    "BaselineNotFoundError",
    "EmptyTrainingWindowError",
    "LabelMismatchError",
    "NotEnoughTrainingDataError",
    "PredictionCountMismatchError",
    "RegistryError",
    "TransformOutputFormatError",
    "TransformOutputMissingError",
    "WorkflowError",
    "WorkflowInputError",
]
