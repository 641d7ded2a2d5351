"""DetectDrift's notifications: what happened to a batch, in words and rounded numbers, with links to the
report a person can open. Subjects follow the one format of ``drift_retrain.reports.subjects``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drift_retrain.aws.objects import ObjectRef
from drift_retrain.detect.context import Outcome
from drift_retrain.engine.challenger import PROBE
from drift_retrain.engine.metric_names import read_report
from drift_retrain.engine.policy import CHALLENGER
from drift_retrain.reports.changes import next_step, what_changed
from drift_retrain.reports.formatting import fmt_count, fmt_metric, metric_label
from drift_retrain.reports.links import ReportLinks, execution_url
from drift_retrain.reports.segments import segment_headline
from drift_retrain.reports.subjects import ALERT, NOT_CHECKED, QUARANTINED, RETRAIN, subject
from drift_retrain.reports.verdict import concept_phrase, drift_verdict

__all__ = ["Notice", "drift_message", "no_profile_message", "quarantine_message"]


@dataclass(frozen=True)
class Notice:
    subject: str
    body: str


def _drifted(report: Mapping[str, Any]) -> str:
    drifted = list(report.get("drifted_features") or [])
    return f"{len(drifted)} of {len(report.get('features') or [])}" + (
        f": {', '.join(drifted)}" if drifted else ""
    )


def drift_message(
    batch: ObjectRef,
    report: Mapping[str, Any],
    outcome: Outcome,
    links: ReportLinks,
    region: str | None = None,
) -> Notice:
    """The alert (or retrain) notice of a checked batch."""
    report = read_report(report)
    verdict = drift_verdict(report)
    concept = report.get("concept_drift") or {}
    batch_id = str(report.get("batch_id") or batch.key)
    lines = [
        verdict.sentence,
        "",
        f"File: {batch.uri}",
        f"Rows: {fmt_count(report.get('rows'))}, labelled: {fmt_count(report.get('labelled_rows'))}",
        f"Drifted features: {_drifted(report)}",
        "Concept drift: "
        + (
            ("yes, " if concept.get("detected") else "no, ") + concept_phrase(concept)
            if concept.get("tested")
            else f"not tested ({concept.get('reason')})"
        ),
    ]
    moved = segment_headline(report.get("segments"))
    if moved:
        lines.append(f"Where the error moved: {moved}")
    changed = what_changed(report)
    if changed:
        lines += ["What changed:", *(f"  - {line}" for line in changed)]
    lines.append(f"Next step: {next_step(report)}")
    if report.get("retrain") and outcome.execution is not None:
        state = "already started by an earlier delivery" if outcome.execution.duplicate else "started"
        url = execution_url(outcome.execution.execution_arn, region)
        lines.append(f"Retraining workflow: {state}" + (f" ({url})" if url else ""))
    lines += ["", *links.lines("Drift report")]
    event = RETRAIN if report.get("retrain") else ALERT
    return Notice(subject(event, batch_id, _subject_detail(report)), "\n".join(lines))


def _subject_detail(report: Mapping[str, Any]) -> str:
    """The one figure that matters: the error before and after, or the drifted count."""
    concept = report.get("concept_drift") or {}
    metric = concept.get("metric")
    if report.get("retrain") and report.get("retrain_trigger") == CHALLENGER:
        gain = (report.get("challenger") or {}).get("gain") or {}
        figure = fmt_metric(gain.get("estimate"), metric)
        if gain.get("signal") == PROBE:
            return f"challenger: no loss vs holdout, a probe of the batch beat the champion by {figure}"
        return f"challenger: no loss vs holdout, serving {metric_label(metric)} rose by {figure}"
    if concept.get("detected"):
        return (
            f"{fmt_metric(concept.get('baseline_error'), metric, named=True)} -> "
            f"{fmt_metric(concept.get('error'), metric)}"
        )
    if concept.get("gap_detected"):
        return (
            f"{fmt_metric(concept.get('error'), metric, named=True)} vs reference "
            f"{fmt_metric(concept.get('reference_error'), metric)}"
        )
    return (
        f"{len(report.get('drifted_features') or [])} of {len(report.get('features') or [])} features drifted"
    )


def quarantine_message(
    batch: ObjectRef, code: str | None, reason: str, copy_uri: str, details_uri: str, links: ReportLinks
) -> Notice:
    """A bad file was set aside: why, where the copy is, and that the original is untouched."""
    lines = [
        f"{batch.uri} cannot be checked and was quarantined; it triggers nothing.",
        f"Reason: {reason}",
        f"Copy: {copy_uri}",
        f"Details: {details_uri}",
        "The original file was left in place.",
        "",
        *links.lines("Report"),
    ]
    return Notice(subject(QUARANTINED, batch.key.rpartition("/")[2], code), "\n".join(lines))


def no_profile_message(batch: ObjectRef, why: str) -> Notice:
    """No usable baseline: the batch waits for a first model."""
    return Notice(
        subject(NOT_CHECKED, batch.key.rpartition("/")[2], "no baseline profile"), f"{batch.uri}: {why}"
    )
