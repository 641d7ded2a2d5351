"""No drift, no alarm: the per-batch false-alarm rate stays at or below alpha at every batch size.

Baselines and batches are independent samples of one population with the columns real tables have
(``realistic``: skewed, discrete, bimodal, sparse and boolean numbers; categoricals from 5 to 50,000
levels; dates; IDs), so any alarm is false. Rates are over baselines and batches (``runs``); fixed seeds
make the run repeatable; bounds allow 3 standard errors of sampling noise around alpha.
``python tests/statistical/tables.py`` prints the same runs as docs/statistics.md's tables.
"""

from __future__ import annotations

import numpy as np
import pytest
from runs import ALPHA, BATCH_ROWS, binomial_upper, realistic_false_alarms

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.stats import error_rate_test

pytestmark = pytest.mark.statistical


@pytest.mark.parametrize("batch_rows", BATCH_ROWS)
def test_false_alarm_rate_at_or_below_alpha_on_every_column_kind(batch_rows):
    run = realistic_false_alarms(batch_rows)
    print(f"batch_rows={batch_rows} trials={run.trials} any={run.rate:.3f} per column={run.per_column}")
    bound = binomial_upper(ALPHA, run.trials)
    assert run.rate <= bound, f"{run.any_alarm}/{run.trials} no-drift batches raised an alarm"
    assert all(count / run.trials <= bound for count in run.per_column.values()), run.per_column


def test_stricter_alpha_is_honoured():
    run = realistic_false_alarms(1_000, DriftConfig(alpha=0.01), trials=100)
    assert run.rate <= binomial_upper(0.01, run.trials)


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
