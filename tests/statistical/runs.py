"""The calibration and power runs behind docs/statistics.md's tables: defined once, used by the tests and tables.py.

Every rate is over baselines and batches together: a two-sample test's guarantee is for both samples
drawn afresh, and a single baseline that happens to be unusual makes every batch look different (most
visibly when the batch is as large as the baseline). So each run cycles through ``BASELINES`` baseline
profiles of ``BASELINE_ROWS`` rows, each built from its own seed. Seeds are fixed: a run is repeatable.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from functools import cache

import cardinality
import numpy as np
import realistic

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.drift import feature_drift

__all__ = [
    "ALPHA",
    "BATCH_ROWS",
    "CARDINALITY_TRIALS",
    "POWER_TRIALS",
    "TRIALS",
    "ColumnRun",
    "FrameRun",
    "binomial_upper",
    "cardinality_false_alarms",
    "power",
    "realistic_false_alarms",
]


ALPHA = 0.05
BASELINE_ROWS = 100_000
BASELINES = 8
COLUMN_BASELINES = 6
BATCH_ROWS = (30, 100, 1_000, 10_000, 100_000)
#: No-drift batches per batch size: the whole realistic frame, and one column of the matrix.
TRIALS = {30: 200, 100: 200, 1_000: 200, 10_000: 60, 100_000: 16}
CARDINALITY_TRIALS = {30: 200, 100: 200, 1_000: 200, 10_000: 80, 100_000: 24}
POWER_TRIALS = 50


def binomial_upper(rate: float, trials: int, sigmas: float = 3.0) -> float:
    """Largest observed false-alarm share consistent with a true ``rate`` (normal approximation)."""
    return rate + sigmas * np.sqrt(rate * (1 - rate) / trials)


@dataclass
class FrameRun:
    """No-drift batches of the realistic frame: how often any column, and each column, raised an alarm."""

    batch_rows: int
    trials: int
    any_alarm: int = 0
    per_column: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.any_alarm / self.trials


@dataclass
class ColumnRun:
    """No-drift batches of one column tested alone at ``ALPHA``, and its no-drift effect sizes (w)."""

    batch_rows: int
    trials: int
    alarms: int = 0
    effects: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.alarms / self.trials


@cache
def realistic_profiles() -> tuple:
    return tuple(realistic.profile_of(realistic.baseline(BASELINE_ROWS, seed)) for seed in range(BASELINES))


def realistic_false_alarms(
    batch_rows: int, config: DriftConfig | None = None, trials: int | None = None
) -> FrameRun:
    profiles = realistic_profiles()
    run = FrameRun(batch_rows, trials or TRIALS[batch_rows])
    rng = np.random.default_rng(1_000 + batch_rows)
    for trial in range(run.trials):
        flagged = realistic.drifted(profiles[trial % len(profiles)], realistic.batch(batch_rows, rng), config)
        run.any_alarm += bool(flagged)
        for name in flagged:
            run.per_column[name] = run.per_column.get(name, 0) + 1
    return run


@cache
def _column_profiles(levels: int, shape: str) -> tuple:
    return tuple(
        cardinality.column_profile(levels, shape, BASELINE_ROWS, seed) for seed in range(COLUMN_BASELINES)
    )


def cardinality_false_alarms(levels: int, shape: str, batch_rows: int) -> ColumnRun:
    profiles = _column_profiles(levels, shape)
    run = ColumnRun(batch_rows, CARDINALITY_TRIALS[batch_rows])
    rng = np.random.default_rng(levels + batch_rows + (7 if shape == "zipf" else 0))
    config = DriftConfig(alpha=ALPHA)
    for trial in range(run.trials):
        frame = cardinality.draw(levels, shape, batch_rows, rng)
        (result,) = feature_drift(profiles[trial % len(profiles)], frame, config)
        run.alarms += result.drifted
        if result.distribution.effect == "measured":
            run.effects.append(float(result.distribution.effect_size))
    return run


def power(
    column: str, change: str, share: float, batch_rows: int, trials: int = POWER_TRIALS
) -> tuple[int, int]:
    """Batches (of the realistic frame, all columns tested) in which ``column`` was flagged, and trials."""
    profiles = realistic_profiles()
    rng = np.random.default_rng(zlib.crc32(f"{column}/{change}/{batch_rows}".encode()))
    hits = 0
    for trial in range(trials):
        frame = realistic.batch(batch_rows, rng, column=column, **{change: share})
        hits += column in realistic.drifted(profiles[trial % len(profiles)], frame)
    return hits, trials
