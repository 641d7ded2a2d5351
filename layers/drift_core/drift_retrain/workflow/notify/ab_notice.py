"""The A/B test in a run's notification: how it ended, and the online evidence it ended on.

The workflow's state carries the decision DetectDrift sent with the token (``$.ab_decision``: decision,
reason, evidence) or the one a timeout or failure put there, and the evidence the closed record held
(``$.ab_record.evidence``). The wording follows the reason, so a candidate that took over because the
champion variant failed is never announced as having won the test.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drift_retrain.engine.metric_names import read_evidence
from drift_retrain.reports.formatting import (
    fmt_count,
    fmt_counted,
    fmt_metric,
    fmt_num,
    fmt_p,
    fmt_rate,
    metric_label,
)

__all__ = ["ab_lines"]

SEQUENTIAL = "sequential test"


def _headline(decision: Mapping[str, Any], share: Any) -> str:
    winner, reason = decision.get("decision"), str(decision.get("reason") or "")
    at = f" (candidate at {fmt_rate(share)} of the traffic)" if share is not None else ""
    if reason == SEQUENTIAL:
        won = "the candidate did better online" if winner == "candidate" else "the champion did better online"
        return f"A/B test{at}: {won}; " + (
            "traffic moved to it, then the champion variant was removed"
            if winner == "candidate"
            else "traffic went back to it and the candidate variant was removed"
        )
    if winner == "candidate":
        return (
            f"A/B test{at} cut short: {reason}. The candidate (which won offline) took all traffic; "
            "the online comparison is incomplete"
        )
    return f"A/B test{at} ended without an online win: {reason}. The champion serves alone again"


def _evidence_line(evidence: Mapping[str, Any]) -> str:
    if not evidence or not evidence.get("rows"):
        return "Online evidence: no labelled rows were scored on both variants"
    evidence = read_evidence(evidence)
    metric = evidence["metric"]
    return (
        f"Online evidence: {fmt_count(evidence['rows'])} labelled rows in "
        f"{fmt_counted(evidence.get('batches'), 'batch', 'batches')}, "
        f"{metric_label(metric)} champion {fmt_metric(evidence.get('champion_error'), metric)} vs candidate "
        f"{fmt_metric(evidence.get('candidate_error'), metric)}; mSPRT statistic {fmt_num(evidence.get('statistic'))} "
        f"(boundary {fmt_num(evidence.get('boundary'))}), always-valid p {fmt_p(evidence.get('p_value'))}"
    )


def _ran_a_test(state: Mapping[str, Any]) -> bool:
    config, champion = state.get("config") or {}, state.get("champion") or {}
    return config.get("promotion_mode") == "ab" and champion.get("exists") is True


def ab_lines(state: Mapping[str, Any]) -> list[str]:
    """The notification's A/B section (nothing when the run had no A/B test).

    A test runs only in PromotionMode ab with a champion serving (the definition's rule too): an
    ``ab_decision`` anywhere else came with the execution input, not from a test.
    """
    if not isinstance(state, Mapping) or not _ran_a_test(state):
        return []
    decision = state.get("ab_decision")
    if not isinstance(decision, Mapping):
        return []
    evidence = ((state.get("ab_record") or {}).get("evidence")) or decision.get("evidence") or {}
    share = evidence.get("traffic_share")
    return ["", _headline(decision, share), _evidence_line(evidence)]
