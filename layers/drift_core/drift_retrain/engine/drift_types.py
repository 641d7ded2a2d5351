"""What the report says about a column: each test's result and the column's verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.roles import FEATURE
from drift_retrain.engine.stats import missing_rate_test, psi

__all__ = [
    "EFFECT_FLOORS",
    "INSUFFICIENT",
    "NOT_TESTED",
    "REASONS",
    "TEST_SLOTS",
    "FeatureDrift",
    "TestResult",
    "finite_or_none",
    "missing_test",
    "rate",
]


INSUFFICIENT = "insufficient_data"
NOT_TESTED = "not_tested"
#: The ``DriftConfig`` floor of each effect-size metric: KS distance D, PSI, bias-corrected Cohen's w.
EFFECT_FLOORS = {"ks_d": "ks_effect_floor", "psi": "psi_floor", "cohen_w": "category_effect_floor"}


@dataclass
class TestResult:
    """One hypothesis test of one column, before and after correction (or why it was not computed)."""

    test: str
    statistic: float | None
    p_value: float | None
    effect_size: float | None
    effect: str  # "measured", INSUFFICIENT or NOT_TESTED
    rows: int
    effect_metric: str = "psi"  # a key of EFFECT_FLOORS
    reason: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    p_value_adjusted: float | None = None
    drifted: bool = False

    @property
    def tested(self) -> bool:
        return self.reason is None and self.p_value is not None

    @classmethod
    def untested(
        cls, test: str, reason: str, rows: int, metric: str = "psi", details: dict[str, Any] | None = None
    ) -> TestResult:
        return cls(test, None, None, None, NOT_TESTED, rows, metric, reason, dict(details or {}))

    def decide(self, adjusted: float, config: DriftConfig) -> None:
        self.p_value_adjusted = adjusted
        floor = getattr(config, EFFECT_FLOORS[self.effect_metric])
        significant = adjusted <= config.alpha
        large_enough = self.effect == INSUFFICIENT or (
            self.effect_size is not None and self.effect_size >= floor
        )
        self.drifted = bool(significant and large_enough)

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "tested": self.tested,
            "reason": self.reason,
            "statistic": finite_or_none(self.statistic),
            "p_value": self.p_value,
            "p_value_adjusted": self.p_value_adjusted,
            "effect_size": None if self.effect != "measured" else finite_or_none(self.effect_size),
            "effect_size_metric": self.effect_metric,
            "effect": self.effect,
            "rows": self.rows,
            "drifted": self.drifted,
            "details": self.details,
        }


#: The tests a column may have, in report order; the first present is its headline test.
TEST_SLOTS = ("distribution", "missing_rate", "unseen", "concentration", "beyond_range")
#: ``drift_reasons`` entry of a drifted test (by test name; the slot name otherwise).
REASONS = {"time_range": "before_range"}


@dataclass
class FeatureDrift:
    """Everything the report says about one column; its headline test is the first of ``TEST_SLOTS`` it has."""

    name: str
    kind: str
    distribution: TestResult | None
    missing: TestResult | None = None
    unseen: TestResult | None = None
    concentration: TestResult | None = None
    beyond_range: TestResult | None = None
    role: str = FEATURE
    role_reason: str = "default"
    baseline: dict[str, Any] = field(default_factory=dict)
    batch: dict[str, Any] = field(default_factory=dict)
    unseen_categories: list[dict[str, Any]] = field(default_factory=list)
    #: Numeric: the batch's shares on the baseline's decile bins, counted with the KS test's cells (for
    #: ``distributions``; not part of the column's JSON, which has them under ``distributions``).
    bin_shares: np.ndarray | None = field(default=None, repr=False, compare=False)

    def slots(self) -> dict[str, TestResult]:
        tests = (self.distribution, self.missing, self.unseen, self.concentration, self.beyond_range)
        return {name: test for name, test in zip(TEST_SLOTS, tests, strict=True) if test is not None}

    @property
    def headline(self) -> TestResult:
        return next(iter(self.slots().values()))

    @property
    def drifted(self) -> bool:
        return any(t.drifted for t in self.slots().values())

    @property
    def tests(self) -> list[TestResult]:
        """The computed tests (those that enter the family-wise correction)."""
        return [t for t in self.slots().values() if t.tested]

    def to_dict(self) -> dict[str, Any]:
        slots = self.slots()
        out = {
            "name": self.name,
            "kind": self.kind,
            "role": self.role,
            "role_reason": self.role_reason,
            **self.headline.to_dict(),
            "drifted": self.drifted,
            "drift_reasons": [REASONS.get(t.test, name) for name, t in slots.items() if t.drifted],
        }
        for name, key in (
            ("missing_rate", "missing"),
            ("unseen", "unseen"),
            ("concentration", "concentration"),
            ("beyond_range", "beyond_range"),
        ):
            out[key] = slots[name].to_dict() if name in slots else None
        out["baseline"] = self.baseline
        out["batch"] = self.batch
        if self.kind == "categorical" or self.role == "id":
            out["unseen_categories"] = self.unseen_categories
        return out


def missing_test(
    base_missing: int, base_rows: int, batch_missing: int, batch_rows: int, config: DriftConfig
) -> TestResult | None:
    """Missing-rate test of a column; ``None`` when neither sample has a missing value."""
    if base_missing == 0 and batch_missing == 0:
        return None
    if batch_rows == 0:
        return TestResult.untested("missing_rate", "no rows", 0)
    difference, p_value = missing_rate_test(base_missing, base_rows, batch_missing, batch_rows)
    base_rate, batch_rate = rate(base_missing, base_rows), rate(batch_missing, batch_rows)
    return TestResult(
        test="missing_rate",
        statistic=difference,
        p_value=p_value,
        effect_size=psi([base_rate, 1 - base_rate], [batch_rate, 1 - batch_rate]),
        effect="measured" if batch_rows >= config.min_effect_rows else INSUFFICIENT,
        rows=batch_rows,
    )


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def finite_or_none(value: float | None) -> float | None:
    """The value as a float, or ``None`` when it is missing, NaN or infinite (strict JSON has neither)."""
    return None if value is None or not np.isfinite(value) else float(value)
