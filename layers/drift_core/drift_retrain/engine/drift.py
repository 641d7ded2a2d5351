"""Per-column data drift of a batch against a baseline profile, with family-wise error control.

Numeric columns: KS against the profile's CDF, on the batch's counts over the profile's points
(``summary.bins``: exact for an exact profile, within a derived bound of a sketch), with the KS distance D
itself as the effect size (it sees what the test sees, inside a decile bin too; PSI on the baseline's
deciles is kept in the details for the picture), an exact test of the rows beyond the baseline's range,
and a missing-rate test. Every test runs on counts (``*_from_counts``, ``numeric_from_bins``), so a batch
read in one piece and the merged summaries of its parts are tested alike.
Categorical columns: a chi-square test of homogeneity on every level (rare ones pooled by combined
counts), a test of the share of never-seen levels and a test of concentration (levels repeating more
often), each with a bias-corrected Cohen's w (see ``categorical_drift``). Column roles (``roles``)
decide which tests a column gets. A column drifts when one of its tests is significant after Holm (or
Bonferroni) correction across all tests of the batch, the label's included (``batch_drift``), AND that
test's effect reaches its floor (``EFFECT_FLOORS``: ``ks_effect_floor`` for D, ``psi_floor`` for a
missing rate's PSI, ``category_effect_floor`` for w); with fewer than ``min_effect_rows`` rows PSI and w
are "insufficient data" and the corrected test decides alone. A test that cannot be computed is
reported with its reason and left out of the correction. See docs/statistics.md.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.categorical_drift import (
    categorical_drift,
    categorical_from_counts,
    timestamp_from_counts,
)
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.drift_types import (
    INSUFFICIENT,
    NOT_TESTED,
    FeatureDrift,
    TestResult,
    finite_or_none,
    missing_test,
    rate,
)
from drift_retrain.engine.profile import EXACT_MAX_VALUES, NumericProfile, time_ordered
from drift_retrain.engine.roles import IGNORE, TIMESTAMP
from drift_retrain.engine.stats import adjust_pvalues, beyond_range_test, effective_size, ks_pvalue, psi
from drift_retrain.engine.summary.bins import DISTINCT_MAX, NumericBins, bin_numeric, binned_ks
from drift_retrain.engine.summary.columns import ColumnSummary, count_levels, summarize_column

__all__ = [
    "INSUFFICIENT",
    "MIN_EFFECTIVE_ROWS",
    "NOT_TESTED",
    "FeatureDrift",
    "TestResult",
    "batch_drift",
    "categorical_drift",
    "column_drift",
    "decide_together",
    "feature_drift",
    "feature_tests",
    "feature_tests_from",
    "ignored",
    "label_from_counts",
    "label_test",
    "labelled_rows",
    "numeric_drift",
    "numeric_from_bins",
    "summarize_columns",
    "summarize_label",
]


#: With autocorrelated rows, a KS test on fewer effective rows than this is not trusted (not computed).
MIN_EFFECTIVE_ROWS = 10


def batch_drift(
    profile, frame: pd.DataFrame, config: DriftConfig
) -> tuple[list[FeatureDrift], FeatureDrift | None]:
    """Features and label of one batch, decided as one family: Holm across every test of both.

    One family makes the batch's alert (any feature or the label drifted) a single claim whose false-alarm
    rate is ``alpha``; a label tested at its own ``alpha`` would add up to ``alpha`` more on top.
    The label is ``None`` when the batch has no labelled row.
    """
    features = feature_tests(profile, frame, config)
    name = profile.schema.label
    label = label_test(profile, frame[name], config) if name in frame.columns else None
    decide_together([*features, *([label] if label is not None else [])], config)
    return features, label


def feature_drift(profile, frame: pd.DataFrame, config: DriftConfig) -> list[FeatureDrift]:
    """Test every feature of ``profile.schema`` on ``frame`` and decide which drifted (features alone)."""
    return decide_together(feature_tests(profile, frame, config), config)


def decide_together(results: list[FeatureDrift], config: DriftConfig) -> list[FeatureDrift]:
    """Correct every computed test of ``results`` as one family (``config.correction``) and decide each."""
    tests = [t for r in results for t in r.tests]
    adjusted = adjust_pvalues([t.p_value for t in tests], config.correction)
    for test, p_adj in zip(tests, adjusted, strict=True):
        test.decide(float(p_adj), config)
    return results


def feature_tests(profile, frame: pd.DataFrame, config: DriftConfig) -> list[FeatureDrift]:
    """Every feature of ``profile.schema`` tested on ``frame``, not yet decided (see ``decide_together``)."""
    return feature_tests_from(profile, summarize_columns(profile, frame), config)


def summarize_columns(profile, frame: pd.DataFrame) -> dict[str, ColumnSummary]:
    """Every feature of ``frame`` counted against its profile, in time order when rows are autocorrelated."""
    schema = profile.schema
    dependent = schema.dependence == "autocorrelated"
    frame = time_ordered(frame, schema)
    return {
        spec.name: summarize_column(spec, profile.columns[spec.name], frame[spec.name], dependent=dependent)
        for spec in schema.columns
    }


def feature_tests_from(profile, columns: dict[str, ColumnSummary], config: DriftConfig) -> list[FeatureDrift]:
    """``feature_tests`` on counted columns (one batch, or the merged parts of one)."""
    schema = profile.schema
    dependent = schema.dependence == "autocorrelated"
    results = []
    for spec in schema.columns:
        column, counted = profile.columns[spec.name], columns[spec.name]
        if spec.role == IGNORE:
            result = ignored(spec.name, spec.kind, spec.role_reason)
        elif spec.role == TIMESTAMP:
            result = timestamp_from_counts(column, counted.times, config)
        elif isinstance(column, NumericProfile):
            result = numeric_from_bins(column, counted.bins, config, dependent=dependent)
        else:
            result = categorical_from_counts(column, counted.levels, config, role=spec.role)
        result.kind, result.role, result.role_reason = spec.kind, spec.role, spec.role_reason
        results.append(result)
    return results


def ignored(name: str, kind: str, reason: str) -> FeatureDrift:
    """A column with the ``ignore`` role: listed, never tested."""
    untested = TestResult.untested("none", f"role ignore ({reason})", 0)
    return FeatureDrift(name=name, kind=kind, distribution=untested, role=IGNORE, role_reason=reason)


def numeric_drift(
    column: NumericProfile, values: pd.Series | np.ndarray, config: DriftConfig, *, dependent: bool = False
) -> FeatureDrift:
    """KS and PSI on the values, a missing-rate test; with ``dependent``, effective sizes from lag-1 autocorrelation."""
    return numeric_from_bins(
        column, bin_numeric(column, values, dependent=dependent), config, dependent=dependent
    )


def numeric_from_bins(
    column: NumericProfile, bins: NumericBins, config: DriftConfig, *, dependent: bool = False
) -> FeatureDrift:
    """``numeric_drift`` on a column already binned (``bin_numeric``; one batch, or merged parts).

    KS runs on the fine cells (``binned_ks``): the statistic can fall short of the exact one by at most
    ``details.ks_binning_bound``, and the p-value uses the real row counts.
    """
    present = bins.count
    total = bins.rows
    batch_missing = total - present
    shares = None
    if present == 0:
        distribution = TestResult.untested("ks", "no values", 0)
    else:
        statistic, bound = binned_ks(bins, column)
        p_value = ks_pvalue(statistic, present, column.count)
        details: dict[str, Any] = {}
        reason = None
        if dependent:
            n_eff = effective_size(present, bins.lag1)
            m_eff = effective_size(column.count, column.lag1)
            p_value = ks_pvalue(statistic, n_eff, m_eff)
            details = {"effective_rows": n_eff, "baseline_effective_rows": m_eff}
            if n_eff < MIN_EFFECTIVE_ROWS:
                reason = f"too few effective rows: {n_eff:.1f} of {present:,} autocorrelated rows"
        shares = bins.deciles / present
        details["psi"] = psi(column.decile_shares, shares)
        details["ks_binning_bound"] = bound
        distribution = TestResult(
            test="ks",
            statistic=statistic,
            p_value=None if reason else p_value,
            effect_size=statistic,
            effect=NOT_TESTED if reason else "measured",
            rows=present,
            effect_metric="ks_d",
            reason=reason,
            details=details,
        )
    base_rows = column.missing + column.count
    if dependent and total:  # the 2 x 2 counts scaled to effective sizes (the baseline's inflation, under H0)
        batch_scale = base_scale = 1.0 / column.missing_inflation
        missing = missing_test(
            round(column.missing * base_scale),
            max(1, round(base_rows * base_scale)),
            round(batch_missing * batch_scale),
            max(1, round(total * batch_scale)),
            config,
        )
    else:
        missing = missing_test(column.missing, base_rows, batch_missing, total, config)
    below, above = _beyond(bins, column)
    return FeatureDrift(
        name=column.name,
        kind="numeric",
        distribution=distribution,
        missing=missing,
        beyond_range=_range_test(below + above, column, present, bins.lag1, config, dependent),
        baseline={
            "mean": column.mean,
            "std": column.std,
            "min": column.minimum,
            "max": column.maximum,
            "missing_rate": rate(column.missing, base_rows),
            **_baseline_distinct(column),
        },
        batch={
            "mean": finite_or_none(bins.mean) if present else None,
            "std": finite_or_none(bins.std),
            "min": bins.minimum,
            "max": bins.maximum,
            "below_min": below,
            "above_max": above,
            "missing_rate": rate(batch_missing, total),
            **_batch_distinct(bins),
        },
        bin_shares=shares,
    )


def _baseline_distinct(column: NumericProfile) -> dict[str, int | None]:
    """Distinct values of the baseline: exact when the profile kept every value, else only a bound."""
    if column.exact:
        return {"distinct": len(column.values)}
    return {"distinct": None, "distinct_over": EXACT_MAX_VALUES}


def _batch_distinct(bins: NumericBins) -> dict[str, int | None]:
    """Distinct values of the batch: exact up to ``DISTINCT_MAX``, else only a bound."""
    if bins.distinct is None:
        return {"distinct": None, "distinct_over": DISTINCT_MAX}
    return {"distinct": len(bins.distinct)}


def _beyond(bins: NumericBins, column: NumericProfile) -> tuple[int, int]:
    """Rows strictly below the baseline's minimum and strictly above its maximum (both are profile points)."""
    if column.minimum is None or column.maximum is None or bins.count == 0:
        return 0, 0
    points = column.points
    low = int(np.searchsorted(points, column.minimum, side="left"))
    high = int(np.searchsorted(points, column.maximum, side="right"))
    return int(bins.cells[: 2 * low].sum()), int(bins.cells[2 * high :].sum())


def _range_test(
    beyond: int, column: NumericProfile, rows: int, lag1: float, config: DriftConfig, dependent: bool
) -> TestResult | None:
    """Exact test of the rows beyond the baseline's range; ``None`` when there are none (p would be 1).

    With autocorrelated rows, rows beyond the range come in runs: both samples and the count are scaled
    to effective sizes (the batch's and the baseline's lag-1 autocorrelation), as the KS test's are.
    """
    if beyond == 0 or column.count == 0:
        return None
    n, k, m = rows, beyond, column.count
    if dependent:
        scale = effective_size(rows, lag1) / rows
        n, k = max(1, round(rows * scale)), max(1, round(beyond * scale))
        m = max(1, round(effective_size(column.count, column.lag1)))
    outcome = beyond_range_test(min(k, n), m, n)
    return TestResult(
        test="beyond_range",
        statistic=outcome.statistic,
        p_value=outcome.p_value,
        effect_size=outcome.effect,
        effect="measured" if rows >= config.min_effect_rows else INSUFFICIENT,
        rows=rows,
        effect_metric="cohen_w",
        details={"rows_beyond": beyond},
    )


def label_test(profile, labels: pd.Series, config: DriftConfig) -> FeatureDrift | None:
    """Prior shift: has the label distribution moved? Its distribution test only, not yet decided
    (``batch_drift`` decides it with the features); ``None`` when no row is labelled."""
    return label_from_counts(profile, summarize_label(profile, labels), config)


def summarize_label(profile, labels: pd.Series) -> ColumnSummary:
    """The labels counted as the label's profile needs (classes as levels, a regression target binned)."""
    if isinstance(profile.label, NumericProfile):
        return ColumnSummary(bins=bin_numeric(profile.label, labels.dropna()))
    return ColumnSummary(levels=count_levels(labels.dropna()))


def label_from_counts(profile, counted: ColumnSummary, config: DriftConfig) -> FeatureDrift | None:
    """``label_test`` on counted labels; ``None`` when no row is labelled."""
    if labelled_rows(counted) == 0:
        return None
    column = profile.label
    if isinstance(column, NumericProfile):
        result = numeric_from_bins(column, counted.bins, config)
    else:
        result = categorical_from_counts(column, replace(counted.levels, missing=0), config)
    result.missing = result.unseen = result.concentration = result.beyond_range = None
    return result


def labelled_rows(counted: ColumnSummary | None) -> int:
    """Rows with a label, from the label's counts."""
    if counted is None:
        return 0
    if counted.bins is not None:
        return counted.bins.count
    return int(counted.levels.counts.sum()) if counted.levels is not None else 0


def column_drift(column, present: pd.Series, config: DriftConfig) -> FeatureDrift:
    """One column's distribution against its profile, tested alone at ``alpha`` (label, predictions)."""
    if isinstance(column, NumericProfile):
        result = numeric_drift(column, present, config)
    else:
        result = categorical_drift(column, present, config)
    result.missing = result.unseen = result.concentration = result.beyond_range = None
    return result
