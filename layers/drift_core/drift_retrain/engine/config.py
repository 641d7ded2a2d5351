"""Drift-check configuration: statistical defaults and the retrain policy, from code, CLI or environment.

Every default is documented in docs/configuration.md (generated); the reasons are in ARCHITECTURE.md.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from drift_retrain.exceptions import ConfigError

__all__ = [
    "CHOICES",
    "ENV_NAMES",
    "LIMITS",
    "RETRAIN_ON",
    "DriftConfig",
    "SettingRange",
]


#: Environment variable for each field (the Lambda's template sets these).
ENV_NAMES: dict[str, str] = {
    "alpha": "ALPHA",
    "correction": "CORRECTION",
    "psi_floor": "PSI_FLOOR",
    "ks_effect_floor": "KS_EFFECT_FLOOR",
    "category_effect_floor": "CATEGORY_EFFECT_FLOOR",
    "min_effect_rows": "MIN_EFFECT_ROWS",
    "concept_margin": "CONCEPT_MARGIN",
    "concept_loss_margin": "CONCEPT_LOSS_MARGIN",
    "min_concept_rows": "MIN_CONCEPT_ROWS",
    "min_labelled_rows": "MIN_LABELLED_ROWS",
    "feature_drift_share": "FEATURE_DRIFT_SHARE",
    "important_features": "IMPORTANT_FEATURES",
    "retrain_on": "RETRAIN_ON",
    "max_recovery_retrains": "MAX_RECOVERY_RETRAINS",
    "max_rows": "MAX_ROWS",
    "max_prediction_rows": "MAX_PREDICTION_ROWS",
    "seed": "SAMPLING_SEED",
}

#: Values of ``DriftConfig.retrain_on``.
RETRAIN_ON = ("performance", "performance_or_features")


@dataclass(frozen=True)
class SettingRange:
    """The values a numeric setting accepts: finite, within ``[low, high]`` (an end is left out when
    ``open_low`` / ``open_high``); ``None`` leaves that side unbounded."""

    low: float | None = None
    high: float | None = None
    open_low: bool = False
    open_high: bool = False

    def describe(self) -> str:
        """``from 0 to 1``, ``> 0 and < 1``, ``>= 1``, or ``a finite number``."""
        low, high = _number(self.low), _number(self.high)
        if self.low is not None and self.high is not None and not (self.open_low or self.open_high):
            return f"from {low} to {high}"
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.open_low else '>='} {low}")
        if self.high is not None:
            parts.append(f"{'<' if self.open_high else '<='} {high}")
        return " and ".join(parts) or "a finite number"

    def check(self, name: str, value: float) -> None:
        """Raise ``ConfigError`` naming ``name`` and the range unless ``value`` is in it."""
        low_ok = self.low is None or (value > self.low if self.open_low else value >= self.low)
        high_ok = self.high is None or (value < self.high if self.open_high else value <= self.high)
        if not (math.isfinite(value) and low_ok and high_ok):
            raise ConfigError(f"{name} must be {self.describe()}, got {value}")


def _number(value: float | None) -> str:
    """``4,294,967,295`` for whole numbers, ``0.05`` otherwise."""
    if value is None:
        return ""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


_SHARE = SettingRange(0.0, 1.0)
_COUNT = SettingRange(0)
_POSITIVE_COUNT = SettingRange(1)
#: The range of every numeric setting (a numeric field without an entry must at least be finite).
LIMITS: dict[str, SettingRange] = {
    "alpha": SettingRange(0.0, 1.0, open_low=True, open_high=True),
    "psi_floor": SettingRange(0.0),
    "ks_effect_floor": SettingRange(0.0, 1.0),
    "category_effect_floor": SettingRange(0.0),
    "min_effect_rows": _COUNT,
    "concept_margin": _SHARE,
    "concept_loss_margin": SettingRange(0.0),
    "min_concept_rows": _COUNT,
    "min_labelled_rows": _COUNT,
    "feature_drift_share": _SHARE,
    "max_recovery_retrains": _COUNT,
    "max_rows": _POSITIVE_COUNT,
    "max_prediction_rows": _POSITIVE_COUNT,
    "seed": SettingRange(0, 2**32 - 1),  # numpy's seeds are unsigned
}
#: The values of every setting that is a choice.
CHOICES: dict[str, tuple[str, ...]] = {"correction": ("holm", "bonferroni"), "retrain_on": RETRAIN_ON}


@dataclass(frozen=True)
class DriftConfig:
    """Knobs of one drift check.

    Attributes
    ----------
    alpha:
        Family-wise error rate across all feature tests of one batch (after correction).
    correction:
        ``"holm"`` (default, uniformly more powerful) or ``"bonferroni"``.
    psi_floor:
        Minimum effect size (PSI of missing vs present) for a significant missing-rate test to count.
        0.005 is about a 0.07-sigma mean shift's PSI; the common "PSI >= 0.1" rule of thumb would ignore
        a 0.1-sigma shift (PSI 0.0096), which we must catch.
    ks_effect_floor:
        Minimum KS distance D (the largest gap between the batch's and the baseline's CDFs, the very
        statistic the test measures) for a significant numeric distribution test to count. 0.025 is
        about a 0.06-sigma mean shift, or 2.5% of the rows moved anywhere; a significant D smaller
        than that is a difference only a huge batch can see. Unlike PSI on deciles, D sees a change
        inside an end bin or between two values that share a bin (docs/statistics.md).
    category_effect_floor:
        Minimum effect size for a significant test on counts (level distribution, never-seen share,
        concentration, a timestamp's rows before the baseline, a number's rows beyond the baseline's
        range) to count: a bias-corrected Cohen's w, whose no-drift median is 0 at every cardinality
        and batch size. w squared is about PSI for small shifts, so 0.07 matches ``psi_floor`` 0.005;
        Cohen calls 0.1 a small effect. For rows beyond a numeric range, w is about the square root of
        their share: 0.07 is 0.5% of the rows.
    min_effect_rows:
        Below this many non-missing rows, PSI and w are too noisy to judge: the effect is reported as
        "insufficient data" and the decision rests on the corrected test alone (KS D is exact at any
        size and is always measured; a significant D on a small batch is far above its floor anyway).
    concept_margin:
        Classification: minimum rise of the champion's error rate over its baseline (absolute).
    concept_loss_margin:
        Regression: minimum relative rise of the mean squared error over its baseline.
    min_concept_rows:
        Fewest labelled rows with predictions for the concept-drift test to run.
    min_labelled_rows:
        Fewest labelled rows in a batch for a retrain to be worth it.
    feature_drift_share:
        Share of feature columns that must drift to trigger a retrain on data drift alone (only with
        ``retrain_on="performance_or_features"``; otherwise it only words the alert).
    important_features:
        Features whose drift alone triggers a retrain (same condition).
    retrain_on:
        ``"performance"`` (default): retrain only on evidence that the serving model got worse (concept
        drift, or a performance gap to the reference); feature drift alone raises an alert. A histogram
        that moves while the error stays put costs a training job and buys nothing.
        ``"performance_or_features"``: the feature-drift triggers above retrain too (opt-in).
    max_recovery_retrains:
        Follow-up retrains allowed per serving model while its error stays above the reference (a
        partial recovery after a change); each follow-up trains on more post-change rows.
    max_rows:
        Rows kept from a batch (uniform sample beyond it), bounding memory for any file size: about
        330 MB peak for 25 columns. KS power at 500k rows is far beyond what the PSI floor lets count.
    max_prediction_rows:
        Labelled rows sent to the champion for the concept-drift test.
    seed:
        Seed of the row sampler, so a re-run gives the same report.
    """

    alpha: float = 0.05
    correction: str = "holm"
    psi_floor: float = 0.005
    ks_effect_floor: float = 0.025
    category_effect_floor: float = 0.07
    min_effect_rows: int = 1000
    concept_margin: float = 0.02
    concept_loss_margin: float = 0.10
    min_concept_rows: int = 30
    min_labelled_rows: int = 500
    feature_drift_share: float = 0.3
    important_features: tuple[str, ...] = ()
    retrain_on: str = "performance"
    max_recovery_retrains: int = 3
    max_rows: int = 500_000
    max_prediction_rows: int = 5000
    seed: int = 0

    def __post_init__(self) -> None:
        for name, allowed in CHOICES.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, int | float) and not isinstance(value, bool):
                LIMITS.get(item.name, SettingRange()).check(item.name, value)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> DriftConfig:
        """Build from field names (``alpha``, ...), converting strings; unknown names are an error."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError("; ".join(_unknown(name, known) for name in unknown))
        converted = {name: _convert(name, known[name].type, raw) for name, raw in values.items()}
        return cls(**converted)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> DriftConfig:
        """Build from environment variables (see ``ENV_NAMES``); unset or empty ones keep the default."""
        values = {name: environ[env] for name, env in ENV_NAMES.items() if environ.get(env, "").strip() != ""}
        return cls.from_mapping(values)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["important_features"] = list(self.important_features)
        return data


def _unknown(name: str, known: Iterable[str]) -> str:
    """``unknown setting 'alpah' (did you mean 'alpha'?)``."""
    close = difflib.get_close_matches(name, list(known), n=1)
    return f"unknown setting {name!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


def _convert(name: str, annotation: Any, raw: Any) -> Any:
    kind = str(annotation)
    try:
        if "tuple" in kind:
            if isinstance(raw, str):
                return tuple(part.strip() for part in raw.split(",") if part.strip())
            return tuple(str(part) for part in raw)
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        return str(raw).strip().lower() if name in ("correction", "retrain_on") else raw
    except (TypeError, ValueError) as exc:
        what = {"int": "a whole number", "float": "a number"}.get(kind, kind)
        allowed = LIMITS.get(name)
        raise ConfigError(
            f"{name} must be {what}" + (f" {allowed.describe()}" if allowed else "") + f", got {raw!r}"
        ) from exc
