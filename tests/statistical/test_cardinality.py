"""One categorical column at 10 to 500,000 levels, uniform or Zipf: calibrated at every batch size.

Each column is tested alone (its level distribution, never-seen share and concentration tests, Holm
within the column) at alpha, against baselines of 100,000 rows: a 50,000-level column is hashed in the
profile, a 500,000-level one is nearly unique. Its effect size (bias-corrected Cohen's w) stays near 0
without drift, below the default floor at every cardinality.
"""

from __future__ import annotations

import numpy as np
import pytest
from cardinality import LEVELS, SHAPES
from runs import ALPHA, BATCH_ROWS, binomial_upper, cardinality_false_alarms

from drift_retrain.engine.config import DriftConfig

pytestmark = pytest.mark.statistical


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("levels", LEVELS)
def test_a_column_of_any_cardinality_keeps_its_false_alarm_rate_at_alpha(levels, shape):
    floor = DriftConfig().category_effect_floor
    for batch_rows in BATCH_ROWS:
        run = cardinality_false_alarms(levels, shape, batch_rows)
        median = float(np.median(run.effects)) if run.effects else 0.0
        print(f"levels={levels} {shape} rows={batch_rows} rate={run.rate:.3f} median_w={median:.3f}")
        assert run.rate <= binomial_upper(ALPHA, run.trials), (batch_rows, run.alarms, run.trials)
        assert median < floor, (batch_rows, median)
