"""The failure injector: named switches, patterns, counts, CLI specs."""

from __future__ import annotations

import pytest

from drift_retrain_local.sagemaker.failures import ENDPOINT_UPDATE, TRAINING, TRANSFORM, FailureInjector


def test_switches_match_kind_and_pattern_and_count_down():
    injector = FailureInjector()
    injector.fail_transform("*champion*", times=2)
    assert injector.check(TRAINING, "a-champion") is None
    assert injector.check(TRANSFORM, "a-candidate") is None
    assert injector.check(TRANSFORM, "a-champion") is not None
    assert injector.check(TRANSFORM, "b-champion") is not None
    assert injector.check(TRANSFORM, "c-champion") is None
    assert injector.switches[0].fired == 2


def test_cli_specs_and_clear():
    injector = FailureInjector.from_specs(["training", "endpoint-update:ep-*"])
    assert injector.check(TRAINING, "anything")
    assert injector.check(TRAINING, "anything")  # no count: every job
    assert injector.check(ENDPOINT_UPDATE, "ep-1")
    assert injector.check(ENDPOINT_UPDATE, "other") is None
    injector.clear()
    assert injector.check(TRAINING, "anything") is None


@pytest.mark.parametrize("spec", ["typo", "training:*:zero", "training:*:0"])
def test_bad_specs_are_rejected(spec):
    with pytest.raises(ValueError):
        FailureInjector.from_specs([spec])
