"""The Lambdas' view of ``SETTINGS``: the variables their settings readers take, parsed once."""

from __future__ import annotations

import json

import pytest

from drift_retrain.engine.config import DriftConfig
from drift_retrain.exceptions import ConfigError
from drift_retrain.settings.lambda_env import setting_variables, settings_environ
from drift_retrain.settings.schema import SETTINGS
from drift_retrain.workflow.prepare_training_data.window import WindowSettings


def test_every_lambda_setting_becomes_its_variable_at_its_default():
    environ = settings_environ({})
    for setting in SETTINGS:
        assert (setting.env_name in environ) == setting.env, setting.key
    assert environ["MAX_OBJECT_BYTES"] == "2147483648" and environ["MAX_COMPRESSION_RATIO"] == "100"
    assert json.loads(environ["HYPERPARAMETERS"]) == {
        "num_round": "200", "max_depth": "6", "eta": "0.2", "subsample": "0.8", "early_stopping_rounds": "20",
    }  # fmt: skip


def test_an_override_reaches_the_settings_readers():
    environ = settings_environ(
        {"SETTINGS": '{"alpha": 0.01, "candidate_strategies": "newest", "num_round": 50}', "DATA_BUCKET": "b"}
    )
    assert DriftConfig.from_env(environ).alpha == 0.01
    assert WindowSettings.from_env(environ).candidates == ("newest",)
    assert json.loads(environ["HYPERPARAMETERS"])["num_round"] == "50"
    assert environ["DATA_BUCKET"] == "b"


def test_a_variable_set_on_the_function_wins():
    assert settings_environ({"SETTINGS": '{"alpha": 0.01}', "ALPHA": "0.2"})["ALPHA"] == "0.2"


def test_a_bad_settings_variable_fails_with_the_key():
    with pytest.raises(ConfigError, match="did you mean 'max_rows'"):
        settings_environ({"SETTINGS": '{"max_row": 5}'})


def test_the_json_is_parsed_once_per_value():
    setting_variables.cache_clear()
    for _ in range(3):
        settings_environ({"SETTINGS": '{"alpha": 0.02}'})
    assert setting_variables.cache_info().misses == 1
