"""Configuration parsing and the retrain policy."""

from __future__ import annotations

import pytest

from drift_retrain.config import DriftConfig
from drift_retrain.exceptions import ConfigError
from drift_retrain.policy import decide


def test_config_from_environment_converts_and_keeps_defaults():
    config = DriftConfig.from_env(
        {"ALPHA": "0.01", "IMPORTANT_FEATURES": "age, salary", "MAX_ROWS": "5000", "PSI_FLOOR": ""}
    )
    assert config.alpha == 0.01 and config.important_features == ("age", "salary") and config.max_rows == 5000
    assert config.psi_floor == DriftConfig().psi_floor


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"alpha": "1.5"}, "alpha must be between 0 and 1"),
        ({"alpha": "abc"}, "cannot read 'abc'"),
        ({"correction": "sidak"}, "correction must be"),
        ({"max_rows": "0"}, "max_rows must be >= 1"),
        ({"colour": "blue"}, "unknown configuration keys: colour"),
    ],
)
def test_bad_configuration_is_rejected_with_the_key_named(values, message):
    with pytest.raises(ConfigError, match=message):
        DriftConfig.from_mapping(values)


def _decide(**overrides):
    args = {
        "drifted_features": [],
        "feature_count": 10,
        "concept_detected": False,
        "concept_summary": "error rate 0.3 vs 0.1",
        "label_drifted": False,
        "labelled_rows": 1000,
    }
    args.update(overrides)
    config = args.pop("config", DriftConfig(important_features=("age",)))
    return decide(config, **args)


def test_no_drift_no_action():
    decision = _decide()
    assert not decision.retrain and not decision.alert and decision.reasons == []


def test_concept_drift_retrains():
    decision = _decide(concept_detected=True)
    assert decision.retrain and decision.reasons[0].startswith("concept drift")


def test_feature_drift_needs_enough_columns_or_an_important_one():
    assert not _decide(drifted_features=["a", "b"]).retrain  # 20% < 30%
    assert _decide(drifted_features=["a", "b"]).alert
    assert _decide(drifted_features=["a", "b", "c"]).retrain
    assert _decide(drifted_features=["age"]).retrain


def test_unlabelled_batches_alert_but_never_retrain():
    decision = _decide(concept_detected=False, drifted_features=list("abcdefgh"), labelled_rows=0)
    assert not decision.retrain and decision.alert
    assert "0 labelled rows" in decision.blocked_by


def test_label_drift_alone_alerts_without_retraining():
    decision = _decide(label_drifted=True)
    assert decision.alert and not decision.retrain
