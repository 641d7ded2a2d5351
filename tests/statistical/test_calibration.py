"""No drift, no alarm: the per-batch false-alarm rate stays at or below alpha at every batch size.

Baseline and batches are independent samples of one population (a normal column with missing values,
a zero-inflated column, a discrete count column, a categorical column with a 0.5% level, and a
long-tailed categorical with 300 levels), so any alarm is false. Fixed seeds make the run repeatable;
bounds allow 3 standard errors of sampling noise around alpha.
"""

from __future__ import annotations

import numpy as np
import pytest
from simulation import baseline_profile, binomial_upper, drifted_columns, population

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.stats import error_rate_test

pytestmark = pytest.mark.statistical

ALPHA = 0.05


@pytest.fixture(scope="module")
def profile():
    return baseline_profile(300_000, seed=1)


@pytest.mark.parametrize(
    ("batch_rows", "trials"),
    [(20, 400), (100, 400), (1_000, 300), (10_000, 150), (200_000, 40)],
)
def test_false_alarm_rate_at_or_below_alpha(profile, batch_rows, trials):
    rng = np.random.default_rng(1000 + batch_rows)
    alarms = sum(bool(drifted_columns(profile, population(batch_rows, rng))) for _ in range(trials))
    rate = alarms / trials
    print(f"batch_rows={batch_rows} trials={trials} false_alarm_rate={rate:.3f}")
    assert rate <= binomial_upper(ALPHA, trials), f"{alarms}/{trials} no-drift batches raised an alarm"


def test_stricter_alpha_is_honoured(profile):
    rng = np.random.default_rng(77)
    config = DriftConfig(alpha=0.01)
    trials = 300
    alarms = sum(bool(drifted_columns(profile, population(1_000, rng), config)) for _ in range(trials))
    assert alarms / trials <= binomial_upper(0.01, trials)


@pytest.mark.parametrize("batch_rows", [50, 500, 5_000])
def test_concept_test_false_alarm_rate_at_or_below_alpha(batch_rows):
    """Same error rate on holdout and batch: the one-sided test fires at most alpha of the time."""
    rng = np.random.default_rng(batch_rows)
    trials, error_rate, holdout_rows = 2000, 0.12, 2000
    alarms = 0
    for _ in range(trials):
        holdout_errors = rng.binomial(holdout_rows, error_rate)
        batch_errors = rng.binomial(batch_rows, error_rate)
        result = error_rate_test(
            batch_errors, batch_rows, holdout_errors, holdout_rows, alpha=ALPHA, margin=0.0
        )
        alarms += result.p_value <= ALPHA
    print(f"concept batch_rows={batch_rows} false_alarm_rate={alarms / trials:.3f}")
    assert alarms / trials <= binomial_upper(ALPHA, trials)
