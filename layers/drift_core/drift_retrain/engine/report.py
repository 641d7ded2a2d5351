"""The drift report: a versioned JSON document (see docs/drift-report.md) and its text rendering."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from drift_retrain.engine.champion import ConceptDrift
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.drift import FeatureDrift
from drift_retrain.engine.metric_names import read_report
from drift_retrain.engine.policy import Decision
from drift_retrain.exceptions import InvalidBatchError
from drift_retrain.reports.formatting import fmt_metric, fmt_num, fmt_p

__all__ = [
    "REPORT_VERSION",
    "DriftReport",
    "render_text",
]


#: 2: the concept test's figures are ``error``/``baseline_error``/``reference_error`` beside ``metric``
#: (``error_rate`` or ``mse``); version 1 reports are read through ``metric_names.read_report``.
REPORT_VERSION = 2


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class DriftReport:
    """Outcome of checking one batch; ``to_dict()`` is the documented JSON."""

    status: str
    batch_id: str | None
    source: str | None
    config: DriftConfig
    error: str | None = None
    error_code: str | None = None
    error_line: int | None = None
    error_column: str | None = None
    rows: int = 0
    sampling: dict[str, Any] = field(default_factory=dict)
    labelled_rows: int = 0
    features: list[FeatureDrift] = field(default_factory=list)
    label_drift: FeatureDrift | None = None
    concept: ConceptDrift = field(default_factory=lambda: ConceptDrift(False, "not checked"))
    decision: Decision = field(default_factory=lambda: Decision(retrain=False))
    profile: dict[str, Any] = field(default_factory=dict)
    #: Numeric features' shares on the baseline's deciles, baseline and batch (what the HTML plots).
    distributions: dict[str, Any] = field(default_factory=dict)
    #: What the reader let pass and says (``extra_columns``), rows it set aside by reason, and alerts
    #: about the input itself (``label_classes_changed``): see docs/bad-input.md.
    input_warnings: list[dict[str, Any]] = field(default_factory=list)
    set_aside: dict[str, dict[str, Any]] = field(default_factory=dict)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    checked_at: str = field(default_factory=_now)
    #: Further sections by name (captured traffic adds ``capture``, ``prediction_drift`` and
    #: ``estimated_performance``); a section with ``"alert": true`` raises the report's alert, never a retrain.
    sections: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def drifted_features(self) -> list[str]:
        return [f.name for f in self.features if f.drifted]

    @property
    def retrain(self) -> bool:
        return self.ok and self.decision.retrain

    @classmethod
    def invalid(
        cls, error: InvalidBatchError, config: DriftConfig, *, batch_id: str | None, source: str | None
    ) -> DriftReport:
        return cls(
            status="invalid",
            batch_id=batch_id,
            source=source,
            config=config,
            error=str(error),
            error_code=error.code,
            error_line=error.line,
            error_column=error.column,
            concept=ConceptDrift(False, "the batch is invalid"),
        )

    def to_dict(self) -> dict[str, Any]:
        features = [f.to_dict() for f in self.features]
        return {
            "report_version": REPORT_VERSION,
            "status": self.status,
            "error": self.error,
            "error_code": self.error_code,
            "error_line": self.error_line,
            "error_column": self.error_column,
            "batch_id": self.batch_id,
            "source": self.source,
            "checked_at": self.checked_at,
            "profile": self.profile,
            "rows": self.rows,
            "sampling": self.sampling,
            "labelled_rows": self.labelled_rows,
            "features": features,
            "drifted_features": self.drifted_features,
            "drifted_share": (len(self.drifted_features) / len(features)) if features else 0.0,
            "label_drift": None if self.label_drift is None else self.label_drift.to_dict(),
            "concept_drift": self.concept.to_dict(),
            "segments": self.concept.segments_block(),
            "alert": self.ok and (self.decision.alert or self.section_alert),
            "retrain": self.retrain,
            "retrain_reasons": self.decision.reasons if self.ok else [],
            "retrain_blocked_by": self.decision.blocked_by,
            "retrain_trigger": self.decision.trigger if self.retrain else None,
            "recovery": self.decision.recovery,
            "distributions": self.distributions,
            "input_warnings": self.input_warnings,
            "set_aside": self.set_aside,
            "input_alerts": self.alerts,
            "config": self.config.to_dict(),
            **self.sections,
        }

    @property
    def section_alert(self) -> bool:
        return any(isinstance(s, dict) and s.get("alert") for s in self.sections.values())


def render_text(report: dict[str, Any]) -> str:
    """A person's view of a report dict: verdict first, then the columns that moved, then the rest."""
    report = read_report(report)
    lines = [f"Batch {report.get('batch_id') or report.get('source') or '?'}"]
    if report["status"] != "ok":
        lines.append(f"  INVALID ({report.get('error_code')}): {report['error']}")
        return "\n".join(lines)
    sampling = report.get("sampling") or {}
    sampled = "" if sampling.get("method") != "uniform_sample" else f", sampled to {sampling['rows_used']:,}"
    lines.append(f"  rows: {report['rows']:,}{sampled}; labelled: {report['labelled_rows']:,}")
    for alert in report.get("input_alerts") or []:
        lines.append(f"  ALERT ({alert['code']}): {alert['message']}")
    for warning in report.get("input_warnings") or []:
        lines.append(f"  warning ({warning['code']}): {warning['message']}")
    drifted = report["drifted_features"]
    lines.append(
        f"  feature drift: {len(drifted)} of {len(report['features'])} columns"
        + (f" ({', '.join(drifted)})" if drifted else "")
    )
    concept = report["concept_drift"]
    if concept["tested"]:
        verdict = "DETECTED" if concept["detected"] else "not detected"
        metric = concept["metric"]
        lines.append(
            f"  concept drift: {verdict}: {fmt_metric(concept['error'], metric, named=True)} "
            f"vs baseline {fmt_metric(concept['baseline_error'], metric)} on {concept['rows']:,} rows "
            f"(p {fmt_p(concept['p_value'])})"
        )
        if concept.get("reference_error") not in (None, concept.get("baseline_error")):
            verdict = "DETECTED" if concept.get("gap_detected") else "none"
            lines.append(
                f"  performance gap: {verdict}: {fmt_metric(concept['error'], metric, named=True)} vs reference "
                f"{fmt_metric(concept['reference_error'], metric)} (best before the latest change; "
                f"p {fmt_p(concept['gap_p_value'])})"
            )
    else:
        lines.append(f"  concept drift: not tested ({concept['reason']})")
    label = report.get("label_drift")
    if label is not None:
        tested = (
            f"p {fmt_p(label['p_value'])}"
            if label.get("p_value") is not None
            else f"not tested: {label.get('reason')}"
        )
        lines.append(f"  label drift: {'yes' if label['drifted'] else 'no'} ({tested})")
    if report["retrain"]:
        lines.append("  decision: RETRAIN: " + "; ".join(report["retrain_reasons"]))
    elif report.get("retrain_blocked_by"):
        lines.append(
            "  decision: ALERT, no retrain ("
            + report["retrain_blocked_by"]
            + "): "
            + "; ".join(report["retrain_reasons"])
        )
    else:
        lines.append("  decision: " + ("ALERT, no retrain" if report["alert"] else "no action"))
    lines.append("")
    lines.append(
        f"  {'column':<24} {'kind':<11} {'test':<12} {'statistic':>10} {'p (adj)':>10} {'effect':>12}  drifted"
    )
    short = False
    for feature in sorted(report["features"], key=_display_order):
        short = short or (feature["effect_size"] is None and feature.get("effect_size_metric") == "psi")
        lines.extend(_feature_lines(feature))
    if short:
        minimum = (report.get("config") or {}).get("min_effect_rows")
        lines.append(f"  * too few rows for PSI (it needs {minimum:,}); the corrected test decides alone")
    return "\n".join(lines)


def _display_order(feature: dict[str, Any]) -> tuple[bool, float]:
    """Drifted columns first, then by adjusted p-value (untested columns last)."""
    adjusted = feature.get("p_value_adjusted")
    return (not feature["drifted"], 2.0 if adjusted is None else adjusted)


def _feature_lines(feature: dict[str, Any]) -> list[str]:
    """One column's row of the text table, with its role and why a test was not computed."""
    metric = {"cohen_w": "w", "ks_d": "D"}.get(feature.get("effect_size_metric"), "PSI")
    if feature["effect_size"] is not None:
        effect = f"{metric} {fmt_num(feature['effect_size'])}"
    else:
        effect = "too few*" if metric == "PSI" else "n/a"
    statistic = "n/a" if feature["statistic"] is None else fmt_num(feature["statistic"])
    adjusted = feature.get("p_value_adjusted")
    shown = "untested" if adjusted is None else fmt_p(adjusted)
    mark = "YES" if feature["drifted"] else ""
    reasons = [r for r in feature.get("drift_reasons", []) if r != "distribution"]
    if feature["drifted"] and reasons:
        mark += f" ({', '.join(r.replace('_', ' ') for r in reasons)})"
    lines = [
        f"  {feature['name'][:24]:<24} {feature['kind']:<11} {feature['test']:<12} {statistic:>10} "
        f"{shown:>10} {effect:>12}  {mark}"
    ]
    if feature.get("role", "feature") != "feature":
        lines.append(f"  {'':<24} role {feature['role']} ({feature.get('role_reason')})")
    if feature.get("reason"):
        lines.append(f"  {'':<24} {feature['test']} not tested: {feature['reason']}")
    if feature.get("unseen_categories"):
        listed = ", ".join(f"{u['value']!r} {u['share']:.1%}" for u in feature["unseen_categories"][:5])
        lines.append(f"  {'':<24} unseen categories: {listed}")
    return lines
