"""The settings schema and its validation: what the deploy-time validator, the Lambdas and ``--set`` accept."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.read_limits import ReadLimits
from drift_retrain.exceptions import ConfigError
from drift_retrain.settings.schema import GROUPS, KINDS, SETTINGS, by_key
from drift_retrain.settings.values import (
    convert,
    defaults,
    parse_settings,
    settings_json,
    template_attributes,
    validate_settings,
)
from drift_retrain.workflow.prepare_training_data.window import WindowSettings


def test_keys_attributes_and_variables_are_unique_and_every_default_is_valid():
    keys = [s.key for s in SETTINGS]
    assert len(set(keys)) == len(keys)
    assert len({s.attribute for s in SETTINGS}) == len(keys)
    assert len({s.env_name for s in SETTINGS}) == len(keys)
    for setting in SETTINGS:
        assert setting.kind in KINDS, setting.key
        assert setting.group in GROUPS, setting.key
        assert setting.doc and "\n" not in setting.doc, setting.key
        assert convert(setting, setting.default) == convert(setting, json.loads(json.dumps(setting.default)))
    assert validate_settings({}) == {s.key: convert(s, s.default) for s in SETTINGS}
    assert set(defaults()) == set(by_key()) == set(keys)


def test_drift_and_window_defaults_are_the_codes_own():
    """``check --set`` (no stack) and a deployed stack start from the same defaults."""
    drift = DriftConfig()
    limits = ReadLimits()
    window = WindowSettings()
    values = parse_settings("{}")
    for item in fields(DriftConfig):
        if item.name in values:
            expected = getattr(drift, item.name)
            expected = ",".join(expected) if isinstance(expected, tuple) else expected
            assert values[item.name] == expected, item.name
    for key in ("max_object_bytes", "max_decompressed_bytes", "max_compression_ratio"):
        assert values[key] == getattr(limits, key), key
    assert values["candidate_strategies"] == ",".join(window.candidates)
    assert values["split_seed"] == window.seed and values["test_share"] == window.test_share


def test_an_unknown_key_names_the_nearest_valid_one():
    with pytest.raises(ConfigError, match=r"unknown setting 'alpah' \(did you mean 'alpha'\?\)"):
        validate_settings({"alpah": 0.01})
    with pytest.raises(ConfigError) as far:
        validate_settings({"zzz": 1})
    assert str(far.value) == "unknown setting 'zzz'"


def test_every_bad_key_is_reported_at_once():
    with pytest.raises(ConfigError) as failure:
        validate_settings({"alpha": 2, "max_rows": 0, "psi_flor": 0.1})
    message = str(failure.value)
    assert "unknown setting 'psi_flor' (did you mean 'psi_floor'?)" in message
    assert "alpha must be > 0 and < 1, got 2" in message
    assert "max_rows must be >= 1, got 0" in message


@pytest.mark.parametrize(
    ("key", "raw", "message"),
    [
        ("max_rows", 1.5, "max_rows must be a whole number >= 1, got 1.5"),
        ("max_rows", True, "max_rows must be a whole number"),
        ("alpha", "often", "alpha must be a number > 0 and < 1"),
        ("spot_training", "yes", "spot_training must be true or false, got 'yes'"),
        ("retrain_on", "always", "retrain_on must be one of performance, performance_or_features"),
        ("deployment_strategy", "BLUE", "deployment_strategy must be one of ALL_AT_ONCE, CANARY, LINEAR"),
        (
            "candidate_strategies",
            "newest,latest",
            "candidate_strategies must be comma-separated one or more of",
        ),
        ("candidate_strategies", "", "candidate_strategies must be comma-separated one or more of"),
        ("linear_learner_hyperparameters", '{"epochs": 30}', "must be a JSON object of strings"),
        ("endpoint_max_polls", 721, "endpoint_max_polls must be from 1 to 720, got 721"),
        ("ab_alpha", 0.6, "ab_alpha must be from 0.0001 to 0.5, got 0.6"),
        ("test_share", 1, "test_share must be > 0 and < 1, got 1"),
        ("max_compression_ratio", float("inf"), "max_compression_ratio must be >= 1"),
    ],
)
def test_a_bad_value_names_the_key_and_what_it_accepts(key, raw, message):
    with pytest.raises(ConfigError) as failure:
        validate_settings({key: raw})
    assert message in str(failure.value)


def test_values_convert_from_json_and_from_text_alike():
    from_json = validate_settings(
        {"max_rows": 1000, "alpha": 0.01, "spot_training": True, "important_features": ["a", "b"]}
    )
    from_text = validate_settings(
        {"max_rows": "1000", "alpha": "0.01", "spot_training": "TRUE", "important_features": "a, b"}
    )
    assert from_json == from_text
    assert from_json["max_rows"] == 1000 and from_json["spot_training"] is True
    assert from_json["important_features"] == "a,b"
    assert validate_settings({"max_rows": 2.0})["max_rows"] == 2


def test_rules_between_keys():
    with pytest.raises(ConfigError, match="spot_max_wait_seconds must be >= training_max_runtime_seconds"):
        validate_settings(
            {"spot_training": True, "spot_max_wait_seconds": 600, "training_max_runtime_seconds": 3600}
        )
    validate_settings(
        {"spot_training": False, "spot_max_wait_seconds": 600, "training_max_runtime_seconds": 3600}
    )
    with pytest.raises(ConfigError, match="test_share \\+ validation_share must be < 1"):
        validate_settings({"test_share": 0.6, "validation_share": 0.4})


def test_the_settings_parameter_must_be_a_json_object():
    assert parse_settings("") == parse_settings("{}") == parse_settings(None)
    with pytest.raises(ConfigError, match="Settings is not valid JSON"):
        parse_settings('{"alpha": 0.01')
    with pytest.raises(ConfigError, match="Settings must be a JSON object"):
        parse_settings("[1, 2]")


def test_template_attributes_are_text_for_every_template_setting():
    attributes = template_attributes(validate_settings({"spot_training": True, "ab_alpha": 0.01}))
    assert set(attributes) == {s.attribute for s in SETTINGS if s.template}
    assert attributes["SpotTraining"] == "true" and attributes["TuningEnabled"] == "false"
    assert attributes["AbAlpha"] == "0.01" and attributes["EndpointMaxPolls"] == "180"
    assert attributes["TrainingVolumeSizeGB"] == "30"


def test_settings_json_validates_and_keeps_only_the_given_keys():
    assert json.loads(settings_json({"alpha": 0.01})) == {"alpha": 0.01}
    with pytest.raises(ConfigError, match="did you mean 'alpha'"):
        settings_json({"alpah": 0.01})


def test_the_strategies_a_setting_accepts_are_the_windows_the_code_builds():
    from drift_retrain.workflow.prepare_training_data.window import STRATEGIES

    assert by_key()["candidate_strategies"].choices == STRATEGIES
