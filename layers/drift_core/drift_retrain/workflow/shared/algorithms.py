"""The built-in algorithms a candidate can train with: XGBoost and Linear Learner.

One retrain trains every window with every configured algorithm (``ALGORITHMS``, the ``Algorithms``
template parameter), so the candidates are windows x algorithms, all scored on the same held-out rows.
Each Map item carries what its training, tuning, model and transform tasks need (image, hyperparameters
under the algorithm's own names, tuning objective and ranges, transform output format): the definition
reads them from the item, never from a shared value.

Both algorithms read the same channels: headerless CSV, label first, encoded features (one column per
schema feature, so ``feature_dim`` is the feature count). Their transform outputs differ:

* XGBoost answers ``text/csv`` (one value per record); ``DataProcessing`` joins the input so each line is
  ``label,prediction``.
* Linear Learner documents JSON, JSON Lines and RecordIO responses only (the SageMaker "Linear learner
  response formats" page lists no CSV), so its transform asks for ``application/jsonlines`` without a join:
  one ``{"score": ..., "predicted_label": ...}`` record per held-out row, in the input's order
  (``SplitType``/``AssembleWith`` ``Line``); the labels are read from the model's test file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drift_retrain.engine.schema import Schema
from drift_retrain.workflow.shared.exceptions import WorkflowInputError

__all__ = [
    "ALGORITHMS",
    "LINEAR_LEARNER",
    "XGBOOST",
    "AlgorithmSettings",
    "algorithm_fields",
    "objective_for",
    "parse_algorithms",
    "transform_format",
]

XGBOOST = "xgboost"
LINEAR_LEARNER = "linear-learner"
ALGORITHMS = (XGBOOST, LINEAR_LEARNER)

#: XGBoost hyperparameters searched by the optional tuning job (left out of its static hyperparameters).
XGBOOST_TUNED = ("eta", "max_depth", "subsample", "min_child_weight")
#: Linear Learner defaults: the documented ones where they are numbers; ``wd`` and ``l1`` explicit (the
#: algorithm's ``auto`` trains several models in parallel and keeps the best on validation).
LINEAR_LEARNER_DEFAULTS = {
    "mini_batch_size": "1000",
    "epochs": "15",
    "normalize_data": "true",
    "early_stopping_patience": "3",
    "early_stopping_tolerance": "0.001",
    "wd": "0.0001",
    "l1": "0",
}
LINEAR_LEARNER_TUNED = ("wd", "l1", "learning_rate")
_PREDICTOR_TYPES = {"binary": "binary_classifier", "multiclass": "multiclass_classifier"}


def parse_algorithms(raw: str | None) -> tuple[str, ...]:
    """``"xgboost,linear-learner"`` -> ``("xgboost", "linear-learner")``; an unknown name is an error."""
    names = [part.strip().lower() for part in (raw or XGBOOST).split(",") if part.strip()]
    unknown = [name for name in names if name not in ALGORITHMS]
    if unknown or not names:
        raise WorkflowInputError(
            f"ALGORITHMS: unknown algorithm(s) {unknown or [raw]}; choose from {', '.join(ALGORITHMS)}"
        )
    return tuple(dict.fromkeys(names))


def _json_object(environ: Mapping[str, str], name: str) -> dict[str, str]:
    raw = environ.get(name, "").strip()
    if not raw:
        return {}
    try:
        return {str(k): str(v) for k, v in json.loads(raw).items()}
    except (ValueError, AttributeError) as exc:
        raise WorkflowInputError(f"{name} is not a JSON object: {exc}") from exc


@dataclass(frozen=True)
class AlgorithmSettings:
    """Which algorithms train, their images (from the template's Mappings) and hyperparameter overrides."""

    algorithms: tuple[str, ...] = (XGBOOST,)
    images: Mapping[str, str] = field(default_factory=dict)
    linear_learner: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> AlgorithmSettings:
        return cls(
            algorithms=parse_algorithms(environ.get("ALGORITHMS")),
            images={
                XGBOOST: environ.get("XGBOOST_IMAGE", "") or environ.get("TRAINING_IMAGE", ""),
                LINEAR_LEARNER: environ.get("LINEAR_LEARNER_IMAGE", ""),
            },
            linear_learner=_json_object(environ, "LINEAR_LEARNER_HYPERPARAMETERS"),
        )


def objective_for(schema: Schema) -> dict[str, Any]:
    """XGBoost objective, evaluation metric and tuning objective for the schema's task.

    Multiclass uses ``multi:softmax`` (one class index per row) so the transform's ``$[0,-1]`` output
    filter keeps exactly label and prediction.

    Early stopping watches a proper scoring rule (log loss), never AUC or the error rate: on a small
    validation channel AUC saturates after a round or two, and early stopping then keeps a model whose
    probabilities have not left the prior. Measured on the demo's concept change (720 training rows):
    stopped on AUC, best iteration 0 and 0.35 error; on log loss, 0.015.
    """
    if schema.task == "binary":
        return {
            "hyperparameters": {"objective": "binary:logistic", "eval_metric": "logloss"},
            "tuning": {"type": "Minimize", "metric_name": "validation:logloss"},
        }
    if schema.task == "multiclass":
        return {
            "hyperparameters": {
                "objective": "multi:softmax",
                "num_class": str(len(schema.classes)),
                "eval_metric": "mlogloss",
            },
            "tuning": {"type": "Minimize", "metric_name": "validation:mlogloss"},
        }
    return {
        "hyperparameters": {"objective": "reg:squarederror", "eval_metric": "rmse"},
        "tuning": {"type": "Minimize", "metric_name": "validation:rmse"},
    }


def _xgboost(schema: Schema, overrides: Mapping[str, str]) -> dict[str, Any]:
    """XGBoost's objective, evaluation metric and tuning objective for the task (see ``objective_for``)."""
    objective = objective_for(schema)
    hyperparameters = {**{str(k): str(v) for k, v in overrides.items()}, **objective["hyperparameters"]}
    ranges = {
        "ContinuousParameterRanges": [
            {"Name": "eta", "MinValue": "0.05", "MaxValue": "0.5", "ScalingType": "Auto"},
            {"Name": "subsample", "MinValue": "0.5", "MaxValue": "1", "ScalingType": "Auto"},
            {"Name": "min_child_weight", "MinValue": "1", "MaxValue": "10", "ScalingType": "Auto"},
        ],
        "IntegerParameterRanges": [
            {"Name": "max_depth", "MinValue": "3", "MaxValue": "10", "ScalingType": "Auto"}
        ],
    }
    return {
        "hyperparameters": hyperparameters,
        "static_hyperparameters": {k: v for k, v in hyperparameters.items() if k not in XGBOOST_TUNED},
        "tuning_objective": objective["tuning"],
        "tuning_ranges": ranges,
    }


def _linear_learner(schema: Schema, overrides: Mapping[str, str]) -> dict[str, Any]:
    """Linear Learner's hyperparameters under its documented names, for the schema's task."""
    task_parameters = {
        "predictor_type": _PREDICTOR_TYPES.get(schema.task, "regressor"),
        "feature_dim": str(len(schema.columns)),
    }
    if schema.task == "multiclass":
        task_parameters["num_classes"] = str(len(schema.classes))
    if schema.task == "regression":
        task_parameters["normalize_label"] = "true"
    hyperparameters = {**LINEAR_LEARNER_DEFAULTS, **overrides, **task_parameters}
    log = "Logarithmic"
    ranges = {
        "ContinuousParameterRanges": [
            {"Name": "wd", "MinValue": "0.0000001", "MaxValue": "1", "ScalingType": log},
            {"Name": "l1", "MinValue": "0.0000001", "MaxValue": "1", "ScalingType": log},
            {"Name": "learning_rate", "MinValue": "0.00001", "MaxValue": "1", "ScalingType": log},
        ],
        "IntegerParameterRanges": [],
    }
    return {
        "hyperparameters": hyperparameters,
        "static_hyperparameters": {k: v for k, v in hyperparameters.items() if k not in LINEAR_LEARNER_TUNED},
        # The objective loss on the validation channel: log loss / cross-entropy / squared error.
        "tuning_objective": {"type": "Minimize", "metric_name": "validation:objective_loss"},
        "tuning_ranges": ranges,
    }


def transform_format(algorithm: str) -> dict[str, Any]:
    """The transform task's ``Accept`` and ``DataProcessing`` for a model of ``algorithm``."""
    if algorithm == LINEAR_LEARNER:
        return {
            "accept": "application/jsonlines",
            "data_processing": {"InputFilter": "$[1:]", "JoinSource": "None"},
        }
    return {
        "accept": "text/csv",
        "data_processing": {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"},
    }


def algorithm_fields(
    algorithm: str, schema: Schema, settings: AlgorithmSettings, xgboost: Mapping[str, str]
) -> dict[str, Any]:
    """The Map item's algorithm fields: image, hyperparameters, tuning and transform format.

    ``xgboost`` holds the XGBoost hyperparameters (``HYPERPARAMETERS``, PrepareSettings' own).
    """
    image = settings.images.get(algorithm) or ""
    if not image:
        raise WorkflowInputError(
            f"no training image for {algorithm}: set {algorithm.upper().replace('-', '_')}_IMAGE"
        )
    build = _linear_learner if algorithm == LINEAR_LEARNER else _xgboost
    overrides = settings.linear_learner if algorithm == LINEAR_LEARNER else xgboost
    return {
        "algorithm": algorithm,
        "training_image": image,
        **build(schema, overrides),
        "transform": transform_format(algorithm),
    }
