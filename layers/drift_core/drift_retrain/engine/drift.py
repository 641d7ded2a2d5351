"""Per-column data drift of a batch against a baseline profile, with family-wise error control.

Numeric columns: KS against the profile's CDF (statistic and p-value), PSI on baseline deciles as the
effect size, and a separate missing-rate test. Categorical columns: chi-square test of homogeneity on
category counts with missing as its own level, PSI on category shares, unseen categories listed.
A column drifts when a test is significant after Holm (or Bonferroni) correction across all tests of
the batch AND its effect size reaches ``psi_floor``; with fewer than ``min_effect_rows`` rows the
effect size is "insufficient data" and the corrected test decides alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.echo import clip
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.profile import (
    MISSING_LEVEL,
    CategoricalProfile,
    NumericProfile,
    bin_shares,
    finite_values,
)
from drift_retrain.engine.stats import (
    adjust_pvalues,
    category_test,
    ks_against_profile,
    missing_rate_test,
    psi,
)

__all__ = [
    "INSUFFICIENT",
    "MAX_UNSEEN_LISTED",
    "OTHER_LEVEL",
    "UNSEEN_LEVEL",
    "FeatureDrift",
    "TestResult",
    "categorical_drift",
    "feature_drift",
    "label_drift",
    "numeric_drift",
]


INSUFFICIENT = "insufficient_data"
UNSEEN_LEVEL = "<unseen>"
OTHER_LEVEL = "<other>"
#: Unseen categories listed in a report, largest first.
MAX_UNSEEN_LISTED = 20


@dataclass
class TestResult:
    """One hypothesis test of one column, before and after correction."""

    test: str
    statistic: float
    p_value: float
    effect_size: float | None
    effect: str  # "measured" or INSUFFICIENT
    rows: int
    p_value_adjusted: float = 1.0
    drifted: bool = False

    def decide(self, adjusted: float, config: DriftConfig) -> None:
        self.p_value_adjusted = adjusted
        significant = adjusted <= config.alpha
        large_enough = self.effect == INSUFFICIENT or (
            self.effect_size is not None and self.effect_size >= config.psi_floor
        )
        self.drifted = bool(significant and large_enough)

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "statistic": _finite_or_none(self.statistic),
            "p_value": self.p_value,
            "p_value_adjusted": self.p_value_adjusted,
            "effect_size": None if self.effect == INSUFFICIENT else _finite_or_none(self.effect_size),
            "effect_size_metric": "psi",
            "effect": self.effect,
            "rows": self.rows,
            "drifted": self.drifted,
        }


@dataclass
class FeatureDrift:
    """Everything the report says about one column."""

    name: str
    kind: str
    distribution: TestResult
    missing: TestResult | None = None
    baseline: dict[str, Any] = field(default_factory=dict)
    batch: dict[str, Any] = field(default_factory=dict)
    unseen_categories: list[dict[str, Any]] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        return self.distribution.drifted or bool(self.missing and self.missing.drifted)

    @property
    def tests(self) -> list[TestResult]:
        return [self.distribution] + ([self.missing] if self.missing is not None else [])

    def to_dict(self) -> dict[str, Any]:
        main = self.distribution.to_dict()
        reasons = [
            name
            for name, t in (("distribution", self.distribution), ("missing_rate", self.missing))
            if t and t.drifted
        ]
        out = {
            "name": self.name,
            "kind": self.kind,
            **main,
            "drifted": self.drifted,
            "drift_reasons": reasons,
        }
        out["missing"] = None if self.missing is None else self.missing.to_dict()
        out["baseline"] = self.baseline
        out["batch"] = self.batch
        if self.kind == "categorical":
            out["unseen_categories"] = self.unseen_categories
        return out


def feature_drift(profile, frame: pd.DataFrame, config: DriftConfig) -> list[FeatureDrift]:
    """Test every feature of ``profile.schema`` on ``frame`` and decide which drifted."""
    results = []
    for spec in profile.schema.columns:
        column = profile.columns[spec.name]
        values = frame[spec.name]
        if isinstance(column, NumericProfile):
            results.append(numeric_drift(column, values, config))
        else:
            results.append(categorical_drift(column, values, config))
    tests = [t for r in results for t in r.tests]
    adjusted = adjust_pvalues([t.p_value for t in tests], config.correction)
    for test, p_adj in zip(tests, adjusted, strict=True):
        test.decide(float(p_adj), config)
    return results


def numeric_drift(
    column: NumericProfile, values: pd.Series | np.ndarray, config: DriftConfig
) -> FeatureDrift:
    present = np.sort(finite_values(values))
    total = len(values)
    statistic, p_value = ks_against_profile(present, column)
    enough = len(present) >= config.min_effect_rows
    effect = (
        psi(column.decile_shares, bin_shares(present, column.decile_edges, presorted=True))
        if len(present)
        else None
    )
    distribution = TestResult(
        test="ks",
        statistic=statistic,
        p_value=p_value,
        effect_size=effect,
        effect="measured" if enough else INSUFFICIENT,
        rows=len(present),
    )
    return FeatureDrift(
        name=column.name,
        kind="numeric",
        distribution=distribution,
        missing=_missing_test(
            column.missing, column.missing + column.count, total - len(present), total, config
        ),
        baseline={
            "mean": column.mean,
            "std": column.std,
            "missing_rate": _rate(column.missing, column.missing + column.count),
        },
        batch={
            "mean": float(present.mean()) if len(present) else None,
            "std": float(present.std(ddof=1)) if len(present) > 1 else None,
            "missing_rate": _rate(total - len(present), total),
        },
    )


def categorical_drift(column: CategoricalProfile, values: pd.Series, config: DriftConfig) -> FeatureDrift:
    counts = pd.Series(values).value_counts(dropna=False)
    is_missing = counts.index.isna()
    missing = int(counts[is_missing].sum())
    counts = counts[~is_missing]
    counts.index = counts.index.astype(str)
    known = counts.reindex(column.categories, fill_value=0).to_numpy(dtype=np.int64)
    outside = counts[~counts.index.isin(column.categories)]
    # Outside the kept categories: "other" when the profile pooled a tail (could be one of those), else unseen.
    levels = [*column.categories, OTHER_LEVEL if column.truncated else UNSEEN_LEVEL, MISSING_LEVEL]
    baseline_counts = np.concatenate((column.counts, [column.other, column.missing]))
    batch_counts = np.concatenate((known, [int(outside.sum()), missing]))
    statistic, p_value, _ = category_test(baseline_counts, batch_counts)
    n = int(batch_counts.sum())
    effect = psi(baseline_counts / max(1, baseline_counts.sum()), batch_counts / max(1, n)) if n else None
    distribution = TestResult(
        test="chi2",
        statistic=statistic,
        p_value=p_value,
        effect_size=effect,
        effect="measured" if n >= config.min_effect_rows else INSUFFICIENT,
        rows=n,
    )
    unseen = (
        []
        if column.truncated
        else [
            {"value": clip(value), "count": int(count), "share": float(count) / n}
            for value, count in outside.iloc[:MAX_UNSEEN_LISTED].items()
        ]
    )
    total_base = max(1, int(baseline_counts.sum()))
    return FeatureDrift(
        name=column.name,
        kind="categorical",
        distribution=distribution,
        baseline={
            "top": _top_shares(levels, baseline_counts, total_base),
            "missing_rate": column.missing / total_base,
        },
        batch={"top": _top_shares(levels, batch_counts, max(1, n)), "missing_rate": missing / max(1, n)},
        unseen_categories=unseen,
    )


def _missing_test(
    base_missing: int, base_rows: int, batch_missing: int, batch_rows: int, config: DriftConfig
):
    """Missing-rate test of a numeric column; ``None`` when neither sample has a missing value."""
    if base_missing == 0 and batch_missing == 0:
        return None
    difference, p_value = missing_rate_test(base_missing, base_rows, batch_missing, batch_rows)
    base_rate, batch_rate = _rate(base_missing, base_rows), _rate(batch_missing, batch_rows)
    return TestResult(
        test="missing_rate",
        statistic=difference,
        p_value=p_value,
        effect_size=psi([base_rate, 1 - base_rate], [batch_rate, 1 - batch_rate]),
        effect="measured" if batch_rows >= config.min_effect_rows else INSUFFICIENT,
        rows=batch_rows,
    )


def _top_shares(levels: list[str], counts: np.ndarray, total: int, top: int = 5) -> dict[str, float]:
    order = np.argsort(-counts, kind="stable")[:top]
    return {levels[i]: float(counts[i]) / total for i in order if counts[i] > 0}


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _finite_or_none(value: float | None) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def label_drift(profile, labels: pd.Series, config: DriftConfig) -> FeatureDrift | None:
    """Prior shift: has the label distribution moved? One test at ``alpha`` (not part of the feature family)."""
    present = labels.dropna()
    if present.empty:
        return None
    column = profile.label
    if isinstance(column, NumericProfile):
        result = numeric_drift(column, present, config)
    else:
        result = categorical_drift(column, present, config)
    result.missing = None
    result.distribution.decide(result.distribution.p_value, config)
    return result
