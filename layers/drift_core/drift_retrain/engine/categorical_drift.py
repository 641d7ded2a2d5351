"""Drift of categorical, ID and timestamp columns (numeric ones are in ``drift``).

A categorical feature gets three tests, each valid at any number of levels and batch size: the level
distribution (chi-square with rare levels pooled by combined counts, ``stats.categories``), the share of
never-seen levels (``stats.unseen``) and concentration (pairs of rows sharing a level,
``stats.repeats``). An ID column gets the last two and a missing-rate test: its levels are expected to
change, uniqueness and newness are what can go wrong. A timestamp column is not tested as a category:
new times after the baseline's range are expected, so what is tested is its missing or unparseable rate
and the share of rows *before* the baseline began (an exact test); both ranges are reported.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.echo import clip
from drift_retrain.engine.category_profile import CategoricalProfile
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.drift_types import INSUFFICIENT, FeatureDrift, TestResult, missing_test, rate
from drift_retrain.engine.profile import NumericProfile
from drift_retrain.engine.roles import FEATURE, ID
from drift_retrain.engine.stats import Outcome, category_test, earlier_test, repeat_test, unseen_test
from drift_retrain.engine.summary.columns import (
    LevelCounts,
    TimeCounts,
    baseline_range,
    count_levels,
    count_times,
)

__all__ = [
    "LEGACY_PROFILE",
    "MAX_UNSEEN_LISTED",
    "categorical_drift",
    "categorical_from_counts",
    "timestamp_drift",
    "timestamp_from_counts",
]


#: Unseen categories listed in a report, largest first.
MAX_UNSEEN_LISTED = 20
LEGACY_PROFILE = (
    "the baseline profile (format 1) pooled every level beyond its top 1,000 into one share, which "
    "cannot be tested without bias; rebuild it with `drift-retrain profile` (a promotion rebuilds it too)"
)


def categorical_drift(
    column: CategoricalProfile, values: pd.Series, config: DriftConfig, *, role: str = FEATURE
) -> FeatureDrift:
    """Level distribution (features only), never-seen share and concentration of one column."""
    return categorical_from_counts(column, count_levels(values, role=role), config, role=role)


def categorical_from_counts(
    column: CategoricalProfile, levels_counted: LevelCounts, config: DriftConfig, *, role: str = FEATURE
) -> FeatureDrift:
    """``categorical_drift`` on a column already counted (one batch, or the merged parts of one)."""
    present = levels_counted.present
    missing = levels_counted.missing
    n = int(present.sum())
    total = n + missing
    result = FeatureDrift(name=column.name, kind="categorical", distribution=None, role=role)
    levels = column.levels
    if levels is None:
        result.distribution = TestResult.untested("chi2", LEGACY_PROFILE, total, "cohen_w")
        unseen_rows = None
    else:
        cells = levels.cells(column.categories, column.counts, present, hashed=levels_counted.hashed)
        if role != ID:
            outcome = category_test(
                np.append(cells.baseline, column.missing),
                np.append(cells.batch, missing),
                np.append(cells.tiebreak, np.zeros(1, dtype=cells.tiebreak.dtype)),
            )
            result.distribution = _result("chi2", outcome, total, config)
        pooled = levels.singletons - cells.singleton_hits + cells.unseen_singletons
        outcome = unseen_test(cells.unseen_singletons, pooled, column.count, n)
        result.unseen = _result("unseen_share", outcome, n, config)
        outcome = repeat_test(present.to_numpy(), levels.pair_share, levels.triple_share, column.count)
        result.concentration = _result("repeats", outcome, n, config)
        unseen_rows = cells.unseen.sort_values(ascending=False, kind="stable")
        result.unseen_categories = [
            {"value": clip(levels_counted.name_of(value)), "count": int(count), "share": int(count) / total}
            for value, count in unseen_rows.iloc[:MAX_UNSEEN_LISTED].items()
        ]
    if role == ID:
        result.missing = missing_test(column.missing, column.count + column.missing, missing, total, config)
    base_total = max(1, column.count + column.missing)
    result.baseline = {
        "top": {
            clip(c): int(k) / base_total
            for c, k in zip(column.categories[:5], column.counts[:5], strict=False)
        },
        "missing_rate": column.missing / base_total,
        "levels": None if levels is None else levels.distinct,
        "singleton_share": None if levels is None else levels.singletons / max(1, column.count),
    }
    top = present.iloc[:5]  # value_counts sorts by count
    result.batch = {
        "top": {clip(levels_counted.name_of(c)): int(k) / max(1, total) for c, k in top.items()},
        "missing_rate": missing / max(1, total),
        "levels": len(present),
        "unseen_share": None if unseen_rows is None else int(unseen_rows.sum()) / max(1, n),
    }
    return result


def _result(test: str, outcome: Outcome, rows: int, config: DriftConfig) -> TestResult:
    if not outcome.tested:
        return TestResult.untested(test, outcome.reason or "not computed", rows, "cohen_w", outcome.details)
    return TestResult(
        test=test,
        statistic=outcome.statistic,
        p_value=outcome.p_value,
        effect_size=outcome.effect,
        effect="measured" if rows >= config.min_effect_rows else INSUFFICIENT,
        rows=rows,
        effect_metric="cohen_w",
        details=outcome.details,
    )


def timestamp_drift(column, values: pd.Series, config: DriftConfig) -> FeatureDrift:
    """A timestamp column: rows before the baseline's first time, and the missing or unparseable rate."""
    first, last, _, _ = baseline_range(column)
    return timestamp_from_counts(column, count_times(column, values, first, last), config)


def timestamp_from_counts(column, times: TimeCounts, config: DriftConfig) -> FeatureDrift:
    """``timestamp_drift`` on a column already counted (``count_times`` against the same baseline)."""
    base_first, base_last, base_bad, base_rows = baseline_range(column)
    total, parsed_rows = times.rows, times.parsed
    bad = total - parsed_rows
    if base_first is None:
        headline = TestResult.untested("time_range", "the baseline has no times", parsed_rows)
    else:
        outcome = earlier_test(times.earlier, base_rows - base_bad, parsed_rows)
        headline = _result("time_range", outcome, parsed_rows, config)
    result = FeatureDrift(
        name=column.name,
        kind="numeric" if isinstance(column, NumericProfile) else "categorical",
        distribution=headline,
        missing=missing_test(base_bad, base_rows, bad, total, config),
    )
    result.baseline = {
        "min": _show(base_first),
        "max": _show(base_last),
        "missing_rate": rate(base_bad, base_rows),
    }
    result.batch = {
        "min": times.shown(times.first),
        "max": times.shown(times.last),
        "before_baseline": None if base_first is None else times.earlier,
        "after_baseline": None if base_last is None else times.later,
        "missing_rate": rate(bad, total),
    }
    return result


def _show(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).isoformat()  # UTC
    return float(value)
