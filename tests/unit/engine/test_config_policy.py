"""Configuration parsing and the retrain policy."""

from __future__ import annotations

from dataclasses import fields

import pytest

from drift_retrain.engine.config import LIMITS, DriftConfig
from drift_retrain.engine.policy import decide
from drift_retrain.exceptions import ConfigError


def test_config_from_environment_converts_and_keeps_defaults():
    config = DriftConfig.from_env(
        {"ALPHA": "0.01", "IMPORTANT_FEATURES": "age, salary", "MAX_ROWS": "5000", "PSI_FLOOR": ""}
    )
    assert config.alpha == 0.01 and config.important_features == ("age", "salary") and config.max_rows == 5000
    assert config.psi_floor == DriftConfig().psi_floor


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"alpha": "1.5"}, r"alpha must be > 0 and < 1, got 1.5"),
        ({"alpha": "abc"}, r"alpha must be a number > 0 and < 1, got 'abc'"),
        ({"seed": "-1"}, r"seed must be from 0 to 4,294,967,295, got -1"),
        ({"psi_floor": "inf"}, r"psi_floor must be >= 0, got inf"),
        ({"concept_margin": "nan"}, r"concept_margin must be from 0 to 1, got nan"),
        ({"min_labelled_rows": "2.5"}, r"min_labelled_rows must be a whole number >= 0, got '2.5'"),
        ({"correction": "sidak"}, "correction must be"),
        ({"max_rows": "0"}, "max_rows must be >= 1"),
        ({"retrain_on": "always"}, "retrain_on must be one of performance, performance_or_features"),
        ({"max_recovery_retrains": "-1"}, "max_recovery_retrains must be >= 0"),
        ({"colour": "blue"}, "unknown setting 'colour'$"),
        ({"alpah": "0.1"}, r"unknown setting 'alpah' \(did you mean 'alpha'\?\)"),
        ({"psi-floor": "0.1"}, r"unknown setting 'psi-floor' \(did you mean 'psi_floor'\?\)"),
    ],
)
def test_bad_configuration_is_rejected_with_the_key_named(values, message):
    with pytest.raises(ConfigError, match=message):
        DriftConfig.from_mapping(values)


def test_every_numeric_setting_has_a_declared_range():
    """A new numeric setting gets its range in ``LIMITS``: the CLI and the Lambda then refuse what it
    cannot take, naming the setting and the range, instead of failing deep inside a check."""
    numeric = {f.name for f in fields(DriftConfig) if f.type in ("int", "float")}
    assert numeric == set(LIMITS)


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


OPT_IN = DriftConfig(important_features=("age",), retrain_on="performance_or_features")


def test_feature_drift_alone_alerts_but_never_retrains_by_default():
    """A histogram that moves while the error stays put buys nothing: the default wants lost accuracy."""
    for drifted in (["a", "b", "c"], ["age"], list("abcdefghij")):
        decision = _decide(drifted_features=drifted)
        assert decision.alert and not decision.retrain and decision.trigger is None
        assert "feature drift alone does not retrain" in decision.blocked_by


def test_feature_drift_opt_in_needs_enough_columns_or_an_important_one():
    assert not _decide(drifted_features=["a", "b"], config=OPT_IN).retrain  # 20% < 30%
    assert _decide(drifted_features=["a", "b"], config=OPT_IN).alert
    decision = _decide(drifted_features=["a", "b", "c"], config=OPT_IN)
    assert decision.retrain and decision.trigger == "features"
    assert _decide(drifted_features=["age"], config=OPT_IN).retrain


def test_concept_drift_is_a_performance_trigger_even_with_feature_drift():
    decision = _decide(concept_detected=True, drifted_features=["a", "b", "c"], config=OPT_IN)
    assert decision.retrain and decision.trigger == "performance" and not decision.follow_up


def test_unlabelled_batches_alert_but_never_retrain():
    decision = _decide(
        concept_detected=False, drifted_features=list("abcdefgh"), labelled_rows=0, config=OPT_IN
    )
    assert not decision.retrain and decision.alert
    assert "0 labelled rows" in decision.blocked_by


def test_a_gap_to_the_reference_retrains_until_the_follow_ups_are_spent():
    config = DriftConfig(max_recovery_retrains=2)
    gap = {"gap_detected": True, "gap_summary": "serving error rate 0.2 vs reference 0.05"}
    first = _decide(config=config, recovery_used=0, **gap)
    assert first.retrain and first.follow_up and first.trigger == "performance"
    assert "follow-up retrain 1 of 2" in first.reasons[0]
    assert _decide(config=config, recovery_used=1, **gap).retrain
    spent = _decide(config=config, recovery_used=2, **gap)
    assert not spent.retrain and not spent.follow_up and not spent.alert
    assert spent.blocked_by == "the 2 follow-up retrains for this model are spent"
    assert spent.recovery == {"used": 2, "max": 2}


def test_concept_drift_is_never_bounded_by_the_follow_up_budget():
    config = DriftConfig(max_recovery_retrains=0)
    decision = _decide(config=config, concept_detected=True, gap_detected=True, recovery_used=5)
    assert decision.retrain and not decision.follow_up


def test_label_drift_alone_alerts_without_retraining():
    decision = _decide(label_drifted=True)
    assert decision.alert and not decision.retrain


def test_a_refresh_is_a_bounded_follow_up_that_trains_on_every_row_since_the_change():
    """A model that learnt its change from a small sample is refreshed once far more rows are labelled:
    a follow-up like a gap's (counted, bounded), with its own trigger so the window takes every post-change
    row, not only those the serving model got wrong."""
    config = DriftConfig(max_recovery_retrains=3)
    first = _decide(config=config, refresh_summary="learnt from 400 rows")
    assert first.retrain and first.follow_up and first.trigger == "refresh"
    assert first.reasons == ["refresh: learnt from 400 rows; follow-up retrain 1 of 3 for this model"]
    # once per model: a rejected refresh (a follow-up spent, the model still serving) says more rows did
    # not help, so the next batch costs no training job
    again = _decide(config=config, recovery_used=1, refresh_summary="learnt from 400 rows")
    assert not again.retrain and not again.follow_up and again.reasons == []
    off = _decide(config=DriftConfig(max_recovery_retrains=0), refresh_summary="learnt from 400 rows")
    assert not off.retrain
    # lost accuracy outranks a refresh: the ordinary window of the rows the model got wrong
    assert _decide(concept_detected=True, refresh_summary="x").trigger == "performance"
    assert _decide(gap_detected=True, gap_summary="g", refresh_summary="x").trigger == "performance"
