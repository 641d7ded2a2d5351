"""The A/B record: which variants are tested, since when, and the online evidence so far (pure, no I/O).

The workflow's AbTest step writes a new record (``ab/current.json``) with the execution's task token
while the endpoint serves champion and candidate side by side; DetectDrift adds one entry per labelled
batch and looks at the sequential test (:mod:`drift_retrain.engine.stats.sequential`) after each one.
Evidence is keyed by the batch revision (``key@etag``): a duplicate S3 event finds its batch already
counted and adds nothing. Once decided, a record takes no more evidence.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from drift_retrain.engine.metric_names import ERROR_RATE, metric_name
from drift_retrain.engine.stats.sequential import (
    CANDIDATE,
    CHAMPION,
    MIXING_SCALE,
    PairedLosses,
    SequentialLook,
    msprt_look,
)

__all__ = [
    "CANDIDATE",
    "CHAMPION",
    "FORMAT_VERSION",
    "add_batch",
    "batch_ref",
    "decision_of",
    "evidence_summary",
    "is_running",
    "new_record",
    "set_decision",
    "written_before_start",
]

FORMAT_VERSION = 1
#: Why a test ended (the ``reason`` of a decision).
SEQUENTIAL, MAX_DURATION = "sequential test", "maximum duration reached"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def batch_ref(key: str, etag: str | None, version_id: str | None = None) -> str:
    """The identity of one batch revision: the same object delivered twice counts once."""
    return f"{key}@{etag or version_id or 'unknown'}"


def new_record(
    *,
    task_token: str,
    execution_arn: str,
    endpoint_name: str,
    champion: Mapping[str, Any],
    candidate: Mapping[str, Any],
    traffic_share: float,
    alpha: float,
    min_rows: int,
    max_duration_seconds: int,
    now: datetime,
) -> dict[str, Any]:
    """A fresh record (``champion``/``candidate``: ``variant_name`` and ``model_name``)."""
    return {
        "format_version": FORMAT_VERSION,
        "execution_arn": execution_arn,
        "task_token": task_token,
        "endpoint_name": endpoint_name,
        "started_at": _iso(now),
        "deadline": _iso(now + timedelta(seconds=max_duration_seconds)),
        "traffic_share": traffic_share,
        "test": {"name": "msprt", "alpha": alpha, "min_rows": min_rows, "mixing_scale": MIXING_SCALE},
        "variants": {
            CHAMPION: {k: champion.get(k) for k in ("variant_name", "model_name")},
            CANDIDATE: {k: candidate.get(k) for k in ("variant_name", "model_name")},
        },
        "evidence": {"batches": [], "totals": PairedLosses().to_dict(), "look": None},
        "decision": None,
    }


def decision_of(record: Mapping[str, Any]) -> dict[str, Any] | None:
    return record.get("decision")


def is_running(record: Mapping[str, Any], now: datetime) -> bool:
    """Undecided and within its maximum duration: retrains wait for it. A decided record is only waiting
    for the workflow to close it (or was left by an aborted execution), and holds nothing back."""
    return not record.get("decision") and not _past_deadline(record, now)


def set_decision(
    record: Mapping[str, Any], winner: str, reason: str, now: datetime
) -> tuple[dict[str, Any], bool]:
    """The record decided for ``winner`` (unchanged, and ``False``, when it already was decided)."""
    if record.get("decision"):
        return dict(record), False
    return {**record, "decision": {"winner": winner, "reason": reason, "decided_at": _iso(now)}}, True


def _look(record: Mapping[str, Any], totals: PairedLosses) -> SequentialLook:
    test = record["test"]
    previous = (record["evidence"].get("look") or {}).get("p_value", 1.0)
    return msprt_look(
        totals,
        alpha=float(test["alpha"]),
        min_rows=int(test["min_rows"]),
        previous_p=float(previous),
        mixing_scale=float(test.get("mixing_scale", MIXING_SCALE)),
    )


def written_before_start(record: Mapping[str, Any], written: datetime | None) -> bool:
    """Whether a batch was written before the test started: its rows may be in the candidate's training
    window (a batch redriven from DetectDrift's failure queue, or delivered late), so they are no fair
    online evidence. S3 keeps whole seconds, as ``started_at`` does; an unknown time counts."""
    started = record.get("started_at")
    if written is None or not started:
        return False
    return written.astimezone(UTC).replace(microsecond=0) < datetime.fromisoformat(started)


def _past_deadline(record: Mapping[str, Any], now: datetime) -> bool:
    return now >= datetime.fromisoformat(record["deadline"])


def add_batch(
    record: Mapping[str, Any], ref: str, losses: PairedLosses, *, metric: str, now: datetime
) -> tuple[dict[str, Any], bool]:
    """The record with one more batch of paired losses, looked at; and whether anything was added.

    Nothing is added when the batch is already counted (a duplicate event) or the test has decided. A look
    that decides (or a batch after the deadline) writes ``decision``: the winner, why, and when.
    """
    updated = copy.deepcopy(dict(record))
    evidence = updated["evidence"]
    if updated.get("decision") or any(entry["batch"] == ref for entry in evidence["batches"]):
        return updated, False
    totals = PairedLosses.from_dict(evidence["totals"]).plus(losses)
    look = _look(updated, totals)
    evidence["batches"].append({"batch": ref, "at": _iso(now), **losses.to_dict(), "look": look.to_dict()})
    evidence["totals"] = totals.to_dict()
    evidence["look"] = look.to_dict()
    evidence["metric"] = metric
    if look.decision:
        updated, _ = set_decision(updated, look.decision, SEQUENTIAL, now)
    elif _past_deadline(updated, now):
        updated, _ = set_decision(updated, CHAMPION, MAX_DURATION, now)
    return updated, True


def evidence_summary(record: Mapping[str, Any]) -> dict[str, Any]:
    """What the notification and reports show: rows, losses per variant, the statistic and the boundary."""
    evidence = record.get("evidence") or {}
    totals = PairedLosses.from_dict(evidence.get("totals") or {})
    look = evidence.get("look") or {}
    rows = totals.rows
    return {
        "batches": len(evidence.get("batches") or []),
        "rows": rows,
        "metric": metric_name(evidence.get("metric")) or ERROR_RATE,
        "champion_loss": totals.champion_loss,
        "candidate_loss": totals.candidate_loss,
        "champion_error": totals.champion_loss / rows if rows else None,
        "candidate_error": totals.candidate_loss / rows if rows else None,
        "statistic": look.get("log_ratio", 0.0),
        "boundary": look.get("boundary"),
        "p_value": look.get("p_value", 1.0),
        "test": record.get("test"),
        "traffic_share": record.get("traffic_share"),
        "started_at": record.get("started_at"),
        "decision": record.get("decision"),
    }
