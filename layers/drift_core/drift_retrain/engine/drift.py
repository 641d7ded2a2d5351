"""Per-column data drift of a batch against a baseline profile, with family-wise error control.

Numeric columns: KS against the profile's CDF (statistic and p-value), PSI on baseline deciles as the
effect size, and a separate missing-rate test. Categorical columns: a chi-square test of homogeneity on
every level (rare ones pooled by combined counts), a test of the share of never-seen levels and a test
of concentration (levels repeating more often), each with a bias-corrected Cohen's w (see
``categorical_drift``). Column roles (``roles``) decide which tests a column gets. A column drifts when
one of its tests is significant after Holm (or Bonferroni) correction across all tests of the batch
AND that test's effect reaches its floor (``psi_floor`` for PSI, ``category_effect_floor`` for w); with
fewer than ``min_effect_rows`` rows the effect is "insufficient data" and the corrected test decides
alone. A test that cannot be computed is reported with its reason and left out of the correction.
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
    missing_test,
    rate,
)
from drift_retrain.engine.profile import NumericProfile, bin_shares, finite_values, time_ordered
from drift_retrain.engine.roles import IGNORE, TIMESTAMP
from drift_retrain.engine.stats import (
    adjust_pvalues,
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
    "categorical_drift",
    "column_drift",
    "feature_drift",
    "ignored",
    "label_drift",
    "numeric_drift",
]


#: With autocorrelated rows, a KS test on fewer effective rows than this is not trusted (not computed).
MIN_EFFECTIVE_ROWS = 10


def feature_drift(profile, frame: pd.DataFrame, config: DriftConfig) -> list[FeatureDrift]:
    """Test every feature of ``profile.schema`` on ``frame`` and decide which drifted."""
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
    tests = [t for r in results for t in r.tests]
    adjusted = adjust_pvalues([t.p_value for t in tests], config.correction)
    for test, p_adj in zip(tests, adjusted, strict=True):
        test.decide(float(p_adj), config)
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
    enough = len(present) >= config.min_effect_rows
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
        distribution = TestResult(
            test="ks",
            statistic=statistic,
            p_value=None if reason else p_value,
            effect_size=psi(column.decile_shares, bin_shares(present, column.decile_edges, presorted=True)),
            effect=NOT_TESTED if reason else "measured" if enough else INSUFFICIENT,
            rows=len(present),
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
    return FeatureDrift(
        name=column.name,
        kind="numeric",
        distribution=distribution,
        missing=missing,
        baseline={"mean": column.mean, "std": column.std, "missing_rate": rate(column.missing, base_rows)},
        batch={
            "mean": float(present.mean()) if len(present) else None,
            "std": float(present.std(ddof=1)) if len(present) > 1 else None,
            "missing_rate": rate(batch_missing, total),
        },
    )


def label_drift(profile, labels: pd.Series, config: DriftConfig) -> FeatureDrift | None:
    """Prior shift: has the label distribution moved? One test at ``alpha`` (not part of the feature family)."""
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
    result.missing = result.unseen = result.concentration = None
    if result.distribution.tested:
        result.distribution.decide(float(result.distribution.p_value), config)
    return result
