"""The label's test is one more member of the batch's Holm family, not a second claim at its own alpha.

A batch alerts when any feature or the label drifted. Tested at its own alpha, the label added up to
alpha of false alarms on top of the features' (on 300-row batches under ``min_effect_rows``, where the
corrected test decides alone); in one family the batch's false-alarm rate is alpha. Fixed seeds; baselines cycle as in ``runs``.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from runs import ALPHA, binomial_upper
from simulation import SCHEMA, population

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.drift import batch_drift, decide_together, feature_tests, label_test
from drift_retrain.engine.profile import build_profile

pytestmark = pytest.mark.statistical

TRIALS = 400
BASELINES = 6


@cache
def profiles() -> tuple:
    return tuple(
        build_profile(population(100_000, np.random.default_rng(s)), SCHEMA) for s in range(BASELINES)
    )


@cache  # two tests read the one-family run at 300 rows: seeded, so it is the same run
def stable_alarms(batch_rows: int, *, label_alone: bool) -> tuple[int, int]:
    """(batches with any alarm, batches whose label alarmed) over ``TRIALS`` stable labelled batches."""
    rng = np.random.default_rng(19 + batch_rows)
    config = DriftConfig(alpha=ALPHA)
    any_alarm = label_alarm = 0
    for trial in range(TRIALS):
        profile = profiles()[trial % BASELINES]
        frame = population(batch_rows, rng)
        if label_alone:  # the label decided on its own, at alpha: a second family
            features = decide_together(feature_tests(profile, frame, config), config)
            label = decide_together([label_test(profile, frame["y"], config)], config)[0]
        else:
            features, label = batch_drift(profile, frame, config)
        any_alarm += any(f.drifted for f in features) or label.drifted
        label_alarm += label.drifted
    return any_alarm, label_alarm


@pytest.mark.parametrize("batch_rows", [300, 3_000])
def test_stable_labelled_batches_alert_at_most_alpha_with_the_label_in_the_family(batch_rows):
    any_alarm, label_alarm = stable_alarms(batch_rows, label_alone=False)
    print(f"one family, {batch_rows} rows: any {any_alarm}/{TRIALS}, label {label_alarm}/{TRIALS}")
    assert any_alarm / TRIALS <= binomial_upper(ALPHA, TRIALS)
    assert label_alarm / TRIALS <= ALPHA / 2  # one of about 12 tests: alpha / 12 expected under Holm


def test_a_label_at_its_own_alpha_adds_its_false_alarms_to_the_features():
    """The alternative, for the record: two families alert more often than one."""
    separate, label = stable_alarms(300, label_alone=True)
    together, _ = stable_alarms(300, label_alone=False)
    print(
        f"300 rows: label at its own alpha {separate}/{TRIALS} (label {label}), one family {together}/{TRIALS}"
    )
    assert separate / TRIALS > binomial_upper(ALPHA, TRIALS) >= together / TRIALS
