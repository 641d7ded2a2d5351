"""The built-in algorithms of a candidate: names, hyperparameters under each algorithm's own names, and the
transform output format evaluation reads."""

from __future__ import annotations

import pytest

from drift_retrain.engine.schema import ColumnSpec, Schema
from drift_retrain.workflow.shared.algorithms import (
    AlgorithmSettings,
    algorithm_fields,
    parse_algorithms,
    transform_format,
)
from drift_retrain.workflow.shared.exceptions import WorkflowInputError

IMAGES = {"xgboost": "x/sagemaker-xgboost:1.7-1", "linear-learner": "x/linear-learner:1"}
SETTINGS = AlgorithmSettings(("xgboost", "linear-learner"), IMAGES)


def _schema(task: str, classes: tuple[str, ...] = ()) -> Schema:
    columns = (ColumnSpec("a", "numeric"), ColumnSpec("b", "numeric"), ColumnSpec("c", "categorical"))
    return Schema(label="y", task=task, columns=columns, classes=classes)


def test_parse_keeps_order_and_rejects_unknown_names():
    assert parse_algorithms("linear-learner, xgboost") == ("linear-learner", "xgboost")
    assert parse_algorithms(None) == ("xgboost",)
    with pytest.raises(WorkflowInputError, match=r"unknown algorithm.*'lightgbm'"):
        parse_algorithms("xgboost,lightgbm")


@pytest.mark.parametrize(
    ("task", "classes", "expected"),
    [
        ("binary", ("0", "1"), {"predictor_type": "binary_classifier", "feature_dim": "3"}),
        ("multiclass", ("a", "b", "c"), {"predictor_type": "multiclass_classifier", "num_classes": "3"}),
        ("regression", (), {"predictor_type": "regressor", "normalize_label": "true"}),
    ],
)
def test_linear_learner_hyperparameters_follow_the_task(task, classes, expected):
    overrides = AlgorithmSettings(
        SETTINGS.algorithms, IMAGES, {"epochs": "30", "predictor_type": "regressor"}
    )
    fields = algorithm_fields("linear-learner", _schema(task, classes), overrides, {})
    assert fields["hyperparameters"].items() >= expected.items()
    assert fields["hyperparameters"]["epochs"] == "30"  # an override of a default
    assert fields["training_image"] == IMAGES["linear-learner"]
    assert "wd" not in fields["static_hyperparameters"]  # tuned, so left out of the static ones
    assert fields["tuning_objective"] == {"type": "Minimize", "metric_name": "validation:objective_loss"}
    assert fields["transform"] == transform_format("linear-learner")


def test_xgboost_keeps_its_objective_and_tuning_ranges():
    fields = algorithm_fields("xgboost", _schema("binary", ("0", "1")), SETTINGS, {"num_round": "50"})
    assert fields["hyperparameters"]["objective"] == "binary:logistic"
    assert fields["hyperparameters"]["num_round"] == "50"
    names = {r["Name"] for rs in fields["tuning_ranges"].values() for r in rs}
    assert names == {"eta", "subsample", "min_child_weight", "max_depth"}
    assert fields["transform"]["data_processing"]["OutputFilter"] == "$[0,-1]"


def test_a_missing_image_is_a_configuration_error():
    with pytest.raises(WorkflowInputError, match="LINEAR_LEARNER_IMAGE"):
        algorithm_fields("linear-learner", _schema("binary", ("0", "1")), AlgorithmSettings(), {})


def test_settings_from_the_lambda_environment():
    settings = AlgorithmSettings.from_env(
        {
            "ALGORITHMS": "xgboost,linear-learner",
            "XGBOOST_IMAGE": "x",
            "LINEAR_LEARNER_IMAGE": "l",
            "LINEAR_LEARNER_HYPERPARAMETERS": '{"epochs": 5}',
        }
    )
    assert settings.algorithms == ("xgboost", "linear-learner")
    assert settings.images == {"xgboost": "x", "linear-learner": "l"}
    assert settings.linear_learner == {"epochs": "5"}
    with pytest.raises(WorkflowInputError, match="LINEAR_LEARNER_HYPERPARAMETERS is not a JSON object"):
        AlgorithmSettings.from_env({"LINEAR_LEARNER_HYPERPARAMETERS": "[1]"})
