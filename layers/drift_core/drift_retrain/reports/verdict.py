"""The one-sentence verdict of a drift report: no drift, alert or retrain, and why.

The HTML report's banner, the notification's first line and its subject all say the same thing, so it is
written once, here, from the report's JSON (``DriftReport.to_dict()``) alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drift_retrain.engine.policy import CHALLENGER
from drift_retrain.reports.formatting import fmt_count, fmt_metric, fmt_num, metric_label, p_phrase

__all__ = ["ALERT", "INVALID", "NO_DRIFT", "RETRAIN", "Verdict", "concept_phrase", "drift_verdict"]

NO_DRIFT, ALERT, RETRAIN, INVALID = "no drift", "alert", "retrain", "invalid"


@dataclass(frozen=True)
class Verdict:
    """``kind`` is one of :data:`NO_DRIFT`, :data:`ALERT`, :data:`RETRAIN`, :data:`INVALID`."""

    kind: str
    headline: str
    sentence: str


def _value(concept: Mapping[str, Any], key: str) -> str:
    return fmt_metric(concept.get(key), concept.get("metric"))


def concept_phrase(concept: Mapping[str, Any]) -> str:
    """The champion's error on the batch against its holdout, in words and formatted numbers."""
    if not concept.get("tested"):
        return f"concept drift not tested: {concept.get('reason') or 'no reason given'}"
    metric = metric_label(concept.get("metric"))
    phrase = (
        f"the champion's {metric} is {_value(concept, 'error')} on "
        f"{fmt_count(concept.get('rows'))} labelled rows vs {_value(concept, 'baseline_error')} "
        f"on its holdout ({p_phrase(concept.get('p_value'))})"
    )
    reference = concept.get("reference_error")
    if reference is not None and reference != concept.get("baseline_error"):
        phrase += f"; the reference before the latest change is {_value(concept, 'reference_error')}"
    return phrase


def _drifted_phrase(report: Mapping[str, Any], limit: int = 5) -> str:
    drifted = list(report.get("drifted_features") or [])
    total = len(report.get("features") or [])
    if not drifted:
        return f"no feature drifted (of {total})"
    names = ", ".join(drifted[:limit]) + (f" and {len(drifted) - limit} more" if len(drifted) > limit else "")
    return f"{len(drifted)} of {total} features drifted ({names})"


def drift_verdict(report: Mapping[str, Any]) -> Verdict:
    """What happened to the batch, in one sentence a person can act on."""
    if report.get("status") != "ok":
        return Verdict(
            INVALID,
            "Invalid batch: quarantined",
            f"The file could not be checked ({report.get('error_code')}): {report.get('error')}. "
            "It was quarantined and triggers nothing.",
        )
    concept = report.get("concept_drift") or {}
    label = report.get("label_drift") or {}
    if report.get("retrain") and report.get("retrain_trigger") == CHALLENGER:
        why = (report.get("challenger") or {}).get("why") or "a fresh model should gain"
        return Verdict(
            RETRAIN,
            "Challenger",
            f"No loss against the holdout ({concept_phrase(concept)}), but a challenger started: "
            f"{why.removeprefix('challenger started: ')}. A model of this batch alone is tried against the "
            "champion and replaces it only if the paired test says it is better.",
        )
    if report.get("retrain"):
        if concept.get("detected"):
            why = "the serving model lost accuracy: " + concept_phrase(concept)
        elif concept.get("gap_detected"):
            why = (
                f"the serving {metric_label(concept.get('metric'))} {_value(concept, 'error')} is still "
                f"above the reference {_value(concept, 'reference_error')} "
                f"({p_phrase(concept.get('gap_p_value'))}): a follow-up retrain"
            )
        else:
            why = _drifted_phrase(report) + ", and feature drift retrains in this configuration"
        return Verdict(RETRAIN, "Retrain", f"Retrain started because {why}.")
    if report.get("alert"):
        seen = [_drifted_phrase(report)] if report.get("drifted_features") else []
        seen += [alert["message"].rstrip(".") for alert in report.get("input_alerts") or []]
        if label.get("drifted"):
            seen.append(f"the label distribution moved ({p_phrase(label.get('p_value'))})")
        if concept.get("detected"):
            seen.append("concept drift: " + concept_phrase(concept))
        elif concept.get("tested"):
            seen.append(f"the champion's error held ({concept_phrase(concept)})")
        blocked = report.get("retrain_blocked_by")
        tail = f"no retrain: {blocked}" if blocked else "no retrain"
        return Verdict(ALERT, "Drift alert", f"{_capital('; '.join(seen))}; {tail}.")
    config = report.get("config") or {}
    return Verdict(
        NO_DRIFT,
        "No drift",
        f"No feature, label or concept drift at alpha {fmt_num(config.get('alpha'))} "
        f"({_drifted_phrase(report)}; {concept_phrase(concept)}).",
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
