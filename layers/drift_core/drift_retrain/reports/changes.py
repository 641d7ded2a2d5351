"""From alert to action: what changed in a batch, feature by feature, and the next step, in words.

The drift notice and the drift page's banner say the same, written once here from the report's JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drift_retrain.engine.policy import CHALLENGER
from drift_retrain.reports.formatting import fmt_count, fmt_num, fmt_rate

__all__ = ["next_step", "what_changed"]

#: Features and new levels named in a notice (the report lists every one).
MAX_FEATURES, MAX_LEVELS = 5, 3
_EFFECTS = {"psi": "PSI", "cohen_w": "Cohen's w", "ks_d": "KS D"}


def what_changed(report: Mapping[str, Any], limit: int = MAX_FEATURES) -> list[str]:
    """One line per drifted feature (then the label): which test moved and by how much."""
    features = {f.get("name"): f for f in report.get("features") or []}
    drifted = list(report.get("drifted_features") or [])
    lines = [_feature_change(features.get(name) or {"name": name}) for name in drifted[:limit]]
    if len(drifted) > limit:
        lines.append(f"and {len(drifted) - limit} more drifted features (see the report)")
    label = report.get("label_drift") or {}
    if label.get("drifted"):
        lines.append(_label_change(label))
    return lines


def _feature_change(feature: Mapping[str, Any]) -> str:
    parts = []
    base, batch = feature.get("baseline") or {}, feature.get("batch") or {}
    for reason in feature.get("drift_reasons") or []:
        if reason == "distribution":
            effect = feature.get("effect_size")
            metric = _EFFECTS.get(str(feature.get("effect_size_metric")), "effect")
            moved = "distribution moved" + (f" ({metric} {fmt_num(effect)})" if effect is not None else "")
            if isinstance(base.get("mean"), (int, float)) and isinstance(batch.get("mean"), (int, float)):
                moved += f", mean {fmt_num(base['mean'])} → {fmt_num(batch['mean'])}"
            parts.append(moved)
        elif reason == "missing_rate":
            parts.append(
                f"missing rate {fmt_rate(base.get('missing_rate'))} → {fmt_rate(batch.get('missing_rate'))}"
            )
        elif reason == "beyond_range":
            rows = (batch.get("below_min") or 0) + (batch.get("above_max") or 0)
            parts.append(f"{fmt_count(rows)} rows beyond the baseline's range")
        elif reason == "unseen":
            parts.append(f"never-seen values on {fmt_rate(batch.get('unseen_share'))} of rows")
        elif reason == "concentration":
            parts.append("rows concentrate on fewer values")
        elif reason == "before_range":
            parts.append("times before the baseline began")
        else:
            parts.append(reason.replace("_", " "))
    new = feature.get("unseen_categories") or []
    if new:
        listed = ", ".join(
            f"{u.get('value')!r} ({fmt_rate(u.get('share'))} of rows)" for u in new[:MAX_LEVELS]
        )
        more = f" and {len(new) - MAX_LEVELS} more" if len(new) > MAX_LEVELS else ""
        parts.append(f"new {'level' if len(new) == 1 else 'levels'} {listed}{more}")
    return f"{feature.get('name')}: {'; '.join(parts) or 'drifted'}"


def _label_change(label: Mapping[str, Any]) -> str:
    base = (label.get("baseline") or {}).get("top") or {}
    batch = (label.get("batch") or {}).get("top") or {}
    shares = ", ".join(
        f"{level}: {fmt_rate(base.get(level, 0.0))} → {fmt_rate(batch.get(level, 0.0))}"
        for level in list(dict.fromkeys([*base, *batch]))[: MAX_LEVELS + 2]
    )
    return f"label {label.get('name')}: class shares moved ({shares})"


def next_step(report: Mapping[str, Any]) -> str:
    """What a person does next, given the verdict (one sentence)."""
    if report.get("status") != "ok":
        return "fix the file and upload it again under a new key (the report gives the reason and the line)"
    concept = report.get("concept_drift") or {}
    if report.get("retrain") and report.get("retrain_trigger") == CHALLENGER:
        return "nothing yet: the retraining workflow trains the challenger and notifies with its decision"
    if report.get("retrain"):
        return "nothing yet: the retraining workflow trains candidates and notifies with its decision"
    if any(a.get("code") == "label_classes_changed" for a in report.get("input_alerts") or []):
        return "a model for the new class set starts with a bootstrap run on a seed file that holds them"
    if not report.get("alert"):
        return "none"
    if not report.get("labelled_rows"):
        return (
            "send labels for this batch (a labelled copy of the file) to test the model: "
            "drift alone does not show whether it still predicts well"
        )
    blocked = str(report.get("retrain_blocked_by") or "")
    if "labelled rows" in blocked:
        return f"send more labelled rows to retrain ({blocked})"
    if "follow-up retrains" in blocked:
        return f"review the serving model: {blocked}; a new change starts a fresh retrain"
    if not concept.get("tested"):
        return f"make the concept test possible: {concept.get('reason')}"
    if not concept.get("detected"):
        return "none needed now: the champion's error held on the labelled rows; watch whether the drift persists"
    return "review the drift report"
