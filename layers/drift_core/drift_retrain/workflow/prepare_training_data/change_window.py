"""The ``since_change`` training window: the rows that came after the change, not before it.

A model fitted on a mix of rows from the old and the new concept learns neither (ARCHITECTURE section 6:
on Agrawal 0 -> 2, 5,000 post-change rows give 0.03 error; adding 5,000 pre-change rows gives 0.26;
25,000 give 0.51, no better than the stale model). DetectDrift already wrote, for every labelled batch,
whether the serving model's error on it was significantly above its holdout (concept drift) or above the
reference (a performance gap). So the window is the newest run of batches the serving model got wrong,
the trigger first:

- walking back from the trigger, a batch the serving model got wrong joins the window;
- a batch it handled fine ends the walk: the change came after it;
- unlabelled, invalid or unchecked batches hold no evidence (and no training rows): they are skipped;
- a batch served by an earlier model ends the walk when the current model had fully recovered (its
  holdout back at the reference): that batch belongs to an older change. After a partial recovery the
  walk goes on, so a follow-up retrain learns from all the post-change rows seen so far;
- but never past the serving model's own training window when that model was trained after a change:
  its tournament already found the older rows no help. During a gradual change this keeps the early,
  mostly old-concept batches out once a model of the new concept serves (measured on the stream
  benchmark's gradual scenario: mean error 1.19x the oracle's without this rule). A capture window's
  revisions are one batch here (``w4-r4`` holds the rows ``w4-r1`` had, and more).

A **refresh** (``policy.REFRESH``: the serving model learnt its change from a small sample, and it now
serves well) has no rows the serving model got wrong to start from. Its window is every batch since the
serving model's change: the walk takes each batch, whatever its verdict, down to and through the serving
model's own training window, and ends at the first batch older than it, or at one an earlier model
handled fine (the old concept).

Pure functions; ``read_verdicts`` is the only part that touches S3.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from drift_retrain.aws import storage
from drift_retrain.aws.naming import batch_id_for
from drift_retrain.engine.metric_names import read_report
from drift_retrain.layout import drift_report_key
from drift_retrain.monitor.keys import LABELLED_PREFIX, parse_labelled_key
from drift_retrain.reports.formatting import fmt_metric
from drift_retrain.workflow.prepare_training_data.window import ListedBatch

__all__ = ["BatchVerdict", "read_verdicts", "since_change", "verdict_from_report"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class BatchVerdict:
    """What a batch's drift report says about the model that served it.

    ``wrong`` is True when the serving model's error was significantly high (concept drift or a gap to
    the reference), False when it was not, and None when the report holds no such evidence.
    """

    key: str
    wrong: bool | None
    model: str | None = None
    why: str = ""


def verdict_from_report(key: str, report: Mapping[str, Any] | None) -> BatchVerdict:
    if report is None:
        return BatchVerdict(key, None, why="no drift report")
    if report.get("status") != "ok":
        return BatchVerdict(key, None, why=f"invalid batch ({report.get('error_code')})")
    concept = report.get("concept_drift") or {}
    model = (report.get("profile") or {}).get("model_name")
    if not concept.get("tested"):
        return BatchVerdict(key, None, model, why=f"no error measured ({concept.get('reason')})")
    wrong = bool(concept.get("detected") or concept.get("gap_detected"))
    shown = fmt_metric(concept.get("error"), concept.get("metric"), named=True)
    return BatchVerdict(key, wrong, model, why=f"serving {shown}")


def since_change(
    ordered: Sequence[ListedBatch],
    verdicts: Mapping[str, BatchVerdict],
    *,
    serving_model: str | None,
    serving_recovered: bool,
    max_batches: int,
    serving_window: Sequence[str] = (),
    refresh: bool = False,
) -> tuple[list[ListedBatch], list[dict[str, str]], str]:
    """Batches of the window (newest first, trigger excluded), the skipped ones, and why the walk ended.

    ``ordered`` is every other batch not newer than the trigger, newest first (``order_window``);
    ``serving_window`` the batches the serving model trained on, when it was trained after a change;
    ``refresh`` walks every batch since that window (see the module docstring).
    """
    if refresh and serving_window:
        return _since_serving_change(ordered, verdicts, serving_model, max_batches, serving_window)
    chosen: list[ListedBatch] = []
    skipped: list[dict[str, str]] = []
    inside = {_slot(key) for key in serving_window}
    entered = False
    for batch in ordered:
        if len(chosen) >= max_batches - 1:
            return chosen, skipped, f"the window holds SINCE_CHANGE_MAX_BATCHES={max_batches} batches"
        verdict = verdicts.get(batch.key) or BatchVerdict(batch.key, None, why="no drift report")
        if verdict.wrong is None:
            skipped.append(
                {"key": batch.key, "reason": f"no evidence about the serving model: {verdict.why}"}
            )
            continue
        if not verdict.wrong:
            return (
                chosen,
                skipped,
                f"the serving model handled {batch.key} ({verdict.why}): the change came after it",
            )
        if serving_recovered and verdict.model and serving_model and verdict.model != serving_model:
            return (
                chosen,
                skipped,
                f"{batch.key} was served by {verdict.model}, before {serving_model} recovered: an older change",
            )
        if entered and _slot(batch.key) not in inside:
            return chosen, skipped, f"{batch.key} is older than the serving model's own training window"
        entered = entered or _slot(batch.key) in inside
        chosen.append(batch)
    return chosen, skipped, "no older batch"


def _since_serving_change(
    ordered: Sequence[ListedBatch],
    verdicts: Mapping[str, BatchVerdict],
    serving_model: str | None,
    max_batches: int,
    serving_window: Sequence[str],
) -> tuple[list[ListedBatch], list[dict[str, str]], str]:
    """A refresh's window: every batch down to and through the serving model's training window."""
    chosen: list[ListedBatch] = []
    inside = {_slot(key) for key in serving_window}
    entered = False
    for batch in ordered:
        if len(chosen) >= max_batches - 1:
            return chosen, [], f"the window holds SINCE_CHANGE_MAX_BATCHES={max_batches} batches"
        within = _slot(batch.key) in inside
        if entered and not within:
            return chosen, [], f"{batch.key} is older than the serving model's own training window"
        verdict = verdicts.get(batch.key) or BatchVerdict(batch.key, None, why="no drift report")
        if not within and verdict.wrong is False and verdict.model and verdict.model != serving_model:
            return chosen, [], f"{verdict.model} handled {batch.key} ({verdict.why}): the old concept"
        entered = entered or within
        chosen.append(batch)
    return chosen, [], "no older batch"


def _slot(key: str) -> str:
    """What a batch is for the walk: a capture window's revisions are one (its newest stands for it)."""
    parsed = parse_labelled_key(key)
    if parsed is None:
        return key
    return f"{LABELLED_PREFIX}{parsed.stream.endpoint}/{parsed.stream.variant}/{parsed.window}"


def read_verdicts(
    s3: Any, bucket: str, batches: Sequence[ListedBatch], limit: int
) -> dict[str, BatchVerdict]:
    """The verdict of each batch's current revision (its report is keyed by the revision's batch id).

    Reads at most ``limit`` reports: the walk never looks further back than the window's size, plus the
    batches it skips, so the caller passes a bound.
    """
    verdicts: dict[str, BatchVerdict] = {}
    for batch in batches[:limit]:
        revision = storage.current_revision(s3, bucket, batch.key)
        if revision is None:
            verdicts[batch.key] = BatchVerdict(batch.key, None, why="the object is gone")
            continue
        version_id, etag = revision
        raw = storage.read_optional(s3, bucket, drift_report_key(batch_id_for(batch.key, version_id, etag)))
        try:
            report = None if raw is None else read_report(json.loads(raw))
        except ValueError:
            report = None
        verdicts[batch.key] = verdict_from_report(batch.key, report)
    return verdicts
