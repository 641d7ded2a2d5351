"""Per-column data drift of a batch against a baseline profile, with family-wise error control.

Numeric columns: KS against the profile's CDF, with the KS distance D itself as the effect size (it sees
what the test sees, inside a decile bin too; PSI on the baseline's deciles is kept in the details for
the picture), an exact test of the rows beyond the baseline's range, and a missing-rate test.
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

from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.categorical_drift import categorical_drift, timestamp_drift
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
from drift_retrain.engine.profile import (
    EXACT_MAX_VALUES,
    NumericProfile,
    bin_shares,
    finite_values,
    time_ordered,
)
from drift_retrain.engine.roles import IGNORE, TIMESTAMP
from drift_retrain.engine.stats import (
    adjust_pvalues,
    beyond_range_test,
    effective_size,
    ks_against_profile,
    ks_pvalue,
    lag1_autocorrelation,
    psi,
)

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
    "ignored",
    "label_test",
    "numeric_drift",
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
    schema = profile.schema
    dependent = schema.dependence == "autocorrelated"
    frame = time_ordered(frame, schema)
    results = []
    for spec in schema.columns:
        column = profile.columns[spec.name]
        values = frame[spec.name]
        if spec.role == IGNORE:
            result = ignored(spec.name, spec.kind, spec.role_reason)
        elif spec.role == TIMESTAMP:
            result = timestamp_drift(column, values, config)
        elif isinstance(column, NumericProfile):
            result = numeric_drift(column, values, config, dependent=dependent)
        else:
            result = categorical_drift(column, values, config, role=spec.role)
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
    in_order = finite_values(values)
    present = np.sort(in_order)
    total = len(values)
    batch_missing = total - len(present)
    shares = None
    if len(present) == 0:
        distribution = TestResult.untested("ks", "no values", 0)
    else:
        statistic, p_value = ks_against_profile(present, column)
        details: dict[str, Any] = {}
        reason = None
        if dependent:
            n_eff = effective_size(len(present), lag1_autocorrelation(in_order))
            m_eff = effective_size(column.count, column.lag1)
            p_value = ks_pvalue(statistic, n_eff, m_eff)
            details = {"effective_rows": n_eff, "baseline_effective_rows": m_eff}
            if n_eff < MIN_EFFECTIVE_ROWS:
                reason = f"too few effective rows: {n_eff:.1f} of {len(present):,} autocorrelated rows"
        shares = bin_shares(present, column.decile_edges, presorted=True)
        details["psi"] = psi(column.decile_shares, shares)
        distribution = TestResult(
            test="ks",
            statistic=statistic,
            p_value=None if reason else p_value,
            effect_size=statistic,
            effect=NOT_TESTED if reason else "measured",
            rows=len(present),
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
    with np.errstate(over="ignore", invalid="ignore"):  # a sum beyond 1.8e308 is reported as None
        batch_mean = finite_or_none(present.mean()) if len(present) else None
        batch_std = finite_or_none(present.std(ddof=1)) if len(present) > 1 else None
    below, above = _beyond(present, column)
    return FeatureDrift(
        name=column.name,
        kind="numeric",
        distribution=distribution,
        missing=missing,
        beyond_range=_range_test(below + above, column, len(present), in_order, config, dependent),
        baseline={
            "mean": column.mean,
            "std": column.std,
            "min": column.minimum,
            "max": column.maximum,
            "missing_rate": rate(column.missing, base_rows),
            **_baseline_distinct(column),
        },
        batch={
            "mean": batch_mean,
            "std": batch_std,
            "min": float(present[0]) if len(present) else None,
            "max": float(present[-1]) if len(present) else None,
            "below_min": below,
            "above_max": above,
            "missing_rate": rate(batch_missing, total),
            "distinct": int(np.count_nonzero(np.diff(present))) + 1 if len(present) else 0,
        },
        bin_shares=shares,
    )


def _baseline_distinct(column: NumericProfile) -> dict[str, int | None]:
    """Distinct values of the baseline: exact when the profile kept every value, else only a bound."""
    if column.exact:
        return {"distinct": len(column.values)}
    return {"distinct": None, "distinct_over": EXACT_MAX_VALUES}


def _beyond(present: np.ndarray, column: NumericProfile) -> tuple[int, int]:
    """Rows of the sorted batch strictly below the baseline's minimum and strictly above its maximum."""
    if column.minimum is None or column.maximum is None or len(present) == 0:
        return 0, 0
    below = int(np.searchsorted(present, column.minimum, side="left"))
    above = len(present) - int(np.searchsorted(present, column.maximum, side="right"))
    return below, above


def _range_test(
    beyond: int, column: NumericProfile, rows: int, in_order: np.ndarray, config: DriftConfig, dependent: bool
) -> TestResult | None:
    """Exact test of the rows beyond the baseline's range; ``None`` when there are none (p would be 1).

    With autocorrelated rows, rows beyond the range come in runs: both samples and the count are scaled
    to effective sizes (the batch's and the baseline's lag-1 autocorrelation), as the KS test's are.
    """
    if beyond == 0 or column.count == 0:
        return None
    n, k, m = rows, beyond, column.count
    if dependent:
        scale = effective_size(rows, lag1_autocorrelation(in_order)) / rows
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
    present = labels.dropna()
    if present.empty:
        return None
    return column_drift(profile.label, present, config)


def column_drift(column, present: pd.Series, config: DriftConfig) -> FeatureDrift:
    """One column's distribution against its profile, tested alone at ``alpha`` (label, predictions)."""
    if isinstance(column, NumericProfile):
        result = numeric_drift(column, present, config)
    else:
        result = categorical_drift(column, present, config)
    result.missing = result.unseen = result.concentration = result.beyond_range = None
    return result
