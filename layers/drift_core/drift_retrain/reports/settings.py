"""The settings a report was judged under, in words, in a collapsed footer (raw keys only for unknown ones)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drift_retrain.reports.formatting import fmt_count, fmt_num, fmt_rate
from drift_retrain.reports.page import esc

__all__ = ["SETTING_WORDS", "settings_footer"]

#: setting key -> (words, how its value reads).
SETTING_WORDS: dict[str, tuple[str, str]] = {
    "alpha": ("significance level", "num"),
    "correction": ("multiple-testing correction", "text"),
    "psi_floor": ("PSI floor (missing rate)", "num"),
    "ks_effect_floor": ("KS D floor (numeric columns)", "num"),
    "category_effect_floor": ("Cohen's w floor (categorical columns)", "num"),
    "min_effect_rows": ("rows needed for an effect size", "count"),
    "concept_margin": ("minimum error-rate rise for concept drift", "rate"),
    "concept_loss_margin": ("minimum loss rise for concept drift", "num"),
    "min_concept_rows": ("labelled rows needed for the concept test", "count"),
    "min_labelled_rows": ("labelled rows needed to retrain", "count"),
    "feature_drift_share": ("share of drifted features that alerts", "rate"),
    "max_rows": ("most rows checked", "count"),
    "max_prediction_rows": ("most rows scored", "count"),
    "max_recovery_retrains": ("most follow-up retrains", "count"),
    "retrain_on": ("what starts a retrain", "text"),
    "important_features": ("important features", "text"),
    "seed": ("random seed", "text"),
}
_FORMATS = {"num": fmt_num, "count": fmt_count, "rate": fmt_rate}


def _value(value: Any, kind: str) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items()) or "none"
    return _FORMATS.get(kind, str)(value)


def settings_footer(report: Mapping[str, Any]) -> str:
    """A footer with the report version and a collapsed table of its settings, known ones in words."""
    config = report.get("config") or {}
    rows = []
    for key, value in config.items():
        words, kind = SETTING_WORDS.get(key, (key, "text"))
        rows.append(f'<tr><td title="{esc(key)}">{esc(words)}</td><td>{esc(_value(value, kind))}</td></tr>')
    table = (
        f'<details id="settings"><summary>Settings this report was judged under</summary>'
        f"<table><tbody>{''.join(rows)}</tbody></table></details>"
        if rows
        else ""
    )
    return f"<footer>drift-retrain report version {esc(report.get('report_version'))}.{table}</footer>"
