"""Drift-check configuration: statistical defaults and the retrain policy, from code, CLI or environment.

Every default is documented in the README's configuration table; the reasons are in ARCHITECTURE.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from drift_retrain.exceptions import ConfigError

__all__ = [
    "ENV_NAMES",
    "RETRAIN_ON",
    "DriftConfig",
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
        if not 0.0 < self.alpha < 1.0:
            raise ConfigError(f"alpha must be between 0 and 1 (exclusive), got {self.alpha}")
        if self.correction not in ("holm", "bonferroni"):
            raise ConfigError(f"correction must be 'holm' or 'bonferroni', got {self.correction!r}")
        if self.retrain_on not in RETRAIN_ON:
            raise ConfigError(f"retrain_on must be one of {', '.join(RETRAIN_ON)}, got {self.retrain_on!r}")
        if not 0.0 <= self.feature_drift_share <= 1.0:
            raise ConfigError(f"feature_drift_share must be within [0, 1], got {self.feature_drift_share}")
        for name in (
            "psi_floor",
            "ks_effect_floor",
            "category_effect_floor",
            "concept_margin",
            "concept_loss_margin",
        ):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("max_rows", "max_prediction_rows"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("min_effect_rows", "min_concept_rows", "min_labelled_rows", "max_recovery_retrains"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0, got {getattr(self, name)}")

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> DriftConfig:
        """Build from field names (``alpha``, ...), converting strings; unknown names are an error."""
        known = {f.name: f for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ConfigError(f"unknown configuration keys: {', '.join(unknown)}")
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
        raise ConfigError(f"{name}: cannot read {raw!r} as {kind}") from exc
