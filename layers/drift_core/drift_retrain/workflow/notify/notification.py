"""Run summaries for the team: what drifted, how the candidate did, what was decided, where the reports are.

Pure formatting of the state machine's state (``$``) into an SNS subject and a plain-text body. Fields may
be absent (a failure can happen before training), so every lookup is tolerant.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from drift_retrain.engine.challenger import PROBE
from drift_retrain.engine.policy import CHALLENGER
from drift_retrain.reports.formatting import (
    fmt_count,
    fmt_counted,
    fmt_metric,
    fmt_p,
    metric_label,
)
from drift_retrain.reports.links import ReportLinks, execution_url, html_key, s3_console_url
from drift_retrain.reports.subjects import FAILED, PROMOTED, PROMOTED_INCOMPLETE, REJECTED, SKIPPED, subject
from drift_retrain.reports.wording import STRATEGY_WORDS, TEST_WORDS, humanize, reason_for_page
from drift_retrain.workflow.notify.ab_notice import ab_lines

__all__ = [
    "OUTCOMES",
    "Message",
    "execution_url",
    "format_message",
    "s3_console_url",
    "what_serves_after_failure",
]

#: Builds the links of one report object (bucket, key); the default gives the console page only.
LinkMaker = Callable[[str | None, str | None], ReportLinks]
_DECISIONS = {
    "promote": "promote the best candidate",
    "reject": "keep the champion",
    "first_deployment": "first deployment (no champion yet)",
}

OUTCOMES = ("promoted", "promoted_incomplete", "rejected", "failed", "skipped")
_ERROR_SUMMARY = {
    "DeploymentRolledBackError": "deployment rolled back",
    "EndpointDeploymentFailedError": "endpoint deployment failed",
    "EndpointWaitTimeoutError": "endpoint did not settle in time",
    "LockWaitTimeoutError": "another retrain held the endpoint lock too long",
    "ChampionEndpointNotInServiceError": "champion endpoint is busy",
    "EmptyTrainingWindowError": "no labelled data to train on",
    "NoCandidateScoredError": "no candidate could be trained and scored",
    "NotEnoughTrainingDataError": "not enough labelled data",
    "BaselineNotFoundError": "no baseline profile",
    "ChampionVariantMismatchError": "the rollback alarms watch another variant",
    "ChampionRoleError": "the champion's role cannot score the held-out rows",
    "TriggerNotVerifiedError": "unverified trigger",
}


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    outcome: str


def _get(data: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(part)
    return data


def _fmt(value: Any, metric: str | None = None) -> str:
    """A metric's value for people (``fmt_metric``); a value that is no number as it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "-" if value is None else str(value)
    return fmt_metric(value, metric)


def _cause(cause: Any, limit: int = 1500) -> str:
    text = str(cause or "")
    try:  # Lambda errors carry a JSON cause: show the message, not the envelope
        parsed = json.loads(text)
        if isinstance(parsed, Mapping) and parsed.get("errorMessage"):
            text = str(parsed["errorMessage"])
    except (ValueError, TypeError):
        pass
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _batches(count: Any) -> str:
    """``1 batch``, ``3 batches`` (``? batches`` when not recorded)."""
    return fmt_counted(count, "batch", "batches")


def _window_lines(data: Mapping[str, Any]) -> list[str]:
    """Which rows the candidate learned from, and why the window stopped where it did."""
    strategy = data.get("window_strategy")
    if not strategy:
        return []
    described = {
        "since_change": "the rows since the change (only batches the serving model got wrong)",
    }.get(strategy, STRATEGY_WORDS.get(strategy, strategy))
    line = f"Training window: {described}, {_batches(data.get('batches'))}"
    ended = f"; it ends because {humanize(str(data['window_ended']))}" if data.get("window_ended") else ""
    return [line + ended]


def _tournament_lines(evaluation: Mapping[str, Any]) -> list[str]:
    """Every candidate with its window, rows and error, and the ones that failed: which window won, and why."""
    candidates = evaluation.get("candidates") or []
    failed = evaluation.get("failed_candidates") or []
    if len(candidates) + len(failed) < 2:
        return []
    metric = evaluation.get("primary_metric") or "error"
    winner = (evaluation.get("winner") or {}).get("id")
    lines = ["", f"Candidates (same held-out rows, lowest {metric_label(metric)} wins):"]
    for c in candidates:
        rows = c.get("rows") or {}
        trained = (
            f"{fmt_count(rows.get('train'))} training rows"
            if c.get("strategy") != "registry"
            else "no training"
        )
        mark = "  <- best" if c.get("id") == winner else ""
        source = f" {c['source_model']}" if c.get("source_model") else ""
        lines.append(
            f"  {STRATEGY_WORDS.get(c.get('strategy'), c.get('strategy'))}{source}: {metric_label(metric)} "
            f"{_fmt(c.get(metric), metric)}, {_batches(c.get('batches'))}, {trained}{mark}"
        )
    lines += [
        f"  {STRATEGY_WORDS.get(f.get('strategy'), f.get('strategy'))}: FAILED ({_cause(f.get('cause'), 300)})"
        for f in failed
    ]
    return lines


def _recovery_lines(recovery: Mapping[str, Any]) -> list[str]:
    """After a change: is the new model back at the reference error? Say it in numbers."""
    if recovery.get("reference") is None:
        return []
    metric = recovery.get("metric")
    held = fmt_metric(recovery.get("holdout"), metric, named=True)
    reference = fmt_metric(recovery.get("reference"), metric)
    if recovery.get("recovered"):
        return [f"Recovery: holdout {held} is back at the reference {reference} (the best before the change)"]
    return [
        f"PARTIAL RECOVERY: holdout {held} vs reference {reference} (the best before the change). "
        "The service keeps scoring new labelled batches against the reference and retrains again, "
        "with more post-change rows, while the gap persists (max_recovery_retrains per model)."
    ]


def _subject(
    outcome: str,
    endpoint: str,
    evaluation: Mapping[str, Any],
    error: Mapping[str, Any],
    state: Mapping[str, Any],
) -> str:
    """``[drift-retrain] <event>: <endpoint> (<detail>)``, the format DetectDrift's notices use too."""
    if outcome == "promoted":
        metric = evaluation.get("primary_metric")
        candidate = _fmt(_get(evaluation, "candidate", metric), metric)
        if evaluation.get("decision") == "first_deployment" or not evaluation.get("champion"):
            detail = "first deployment" + (f", {metric_label(metric)} {candidate}" if metric else "")
        else:
            champion = _fmt(_get(evaluation, "champion", metric), metric)
            detail = f"{metric_label(metric)} {champion} -> {candidate}"
            if _get(state, "trigger", "kind") == CHALLENGER:
                detail = f"challenger won, {detail}"
        return subject(PROMOTED, endpoint, detail)
    if outcome == "promoted_incomplete":
        return subject(PROMOTED_INCOMPLETE, endpoint, "run drift-retrain repair")
    if outcome == "rejected":
        challenger = _get(state, "trigger", "kind") == CHALLENGER
        return subject(
            REJECTED,
            endpoint,
            "challenger lost, champion keeps serving" if challenger else "champion keeps serving",
        )
    if outcome == "skipped":
        return subject(SKIPPED, endpoint, "another retrain is running")
    return subject(FAILED, endpoint, f"{what_serves_after_failure(state)}: {_error_summary(error)}")


#: What a failure notice says serves (the subject's first words), one of these or ``endpoint left on <config>``.
CHAMPION_SERVES = "champion keeps serving"
NOTHING_SERVES = "no model serves yet"
UNKNOWN_SERVES = "what serves could not be read"
#: Statuses in which an endpoint answers requests (an update keeps the old fleet serving).
_SERVING_STATUSES = frozenset(
    {"InService", "Updating", "SystemUpdating", "RollingBack", "UpdateRollbackFailed"}
)
_NO_ENDPOINT = "Could not find endpoint"


def what_serves_after_failure(state: Mapping[str, Any]) -> str:
    """Exactly what serves after a failure, from the endpoint as read after it ("Check what serves after
    the failure"): the champion's config, another config the run left (``endpoint left on <config>``),
    no model (no endpoint, or a first deployment's endpoint that never came up) or, when the read
    itself failed, that it is unknown.

    A failure before the champion lookup found the endpoint as the run did not touch it: what serves
    is the champion. Without any read (no such state ran) the champion lookup decides.
    """
    now = _get(state, "serving_after_failure") or {}
    config = now.get("config_name")
    champion = _get(state, "champion") or {}
    first_deployment = champion.get("exists") is False
    if not config:
        lookup_error = _get(state, "serving_lookup_error")
        if first_deployment or _NO_ENDPOINT in str(_get(lookup_error, "Cause") or ""):
            return NOTHING_SERVES
        return UNKNOWN_SERVES if lookup_error else CHAMPION_SERVES
    if now.get("status") not in _SERVING_STATUSES:
        return NOTHING_SERVES if first_deployment else f"endpoint left on {config} ({now.get('status')})"
    if first_deployment:  # the run's own endpoint came up, then the run failed
        return f"endpoint left on {config}"
    looked_up = champion.get("endpoint_config_name")
    if looked_up in (None, config):  # no lookup yet: the run never changed the endpoint
        return CHAMPION_SERVES
    return f"endpoint left on {config}"


def _left_serving(state: Mapping[str, Any]) -> bool:
    """The failure left the endpoint on another config than the champion's (an A/B test's two variants,
    a half-finished weight shift)."""
    return what_serves_after_failure(state).startswith("endpoint left on ")


def _serving_now_line(state: Mapping[str, Any]) -> str | None:
    """The endpoint as read after the failure: its config, status and each variant's traffic share."""
    now = _get(state, "serving_after_failure") or {}
    if not now.get("config_name"):
        return None
    variants = [v for v in now.get("variants") or [] if isinstance(v, Mapping)]
    total = sum(float(v.get("CurrentWeight") or 0) for v in variants) or 1.0
    shares = ", ".join(
        f"{v.get('VariantName')} {100 * float(v.get('CurrentWeight') or 0) / total:.0f}%" for v in variants
    )
    return f"Serving now: endpoint config {now['config_name']} ({now.get('status')})" + (
        f", traffic {shares}" if shares else ""
    )


def _error_summary(error: Mapping[str, Any]) -> str:
    """What went wrong, in words (never an exception class or a States.* code)."""
    name = str(error.get("Error") or "")
    if name in _ERROR_SUMMARY:
        return _ERROR_SUMMARY[name]
    if name.startswith("States."):
        return "a workflow step failed"
    if name.startswith(
        "SageMaker."
    ):  # a refused API call (throttled, invalid, missing); failed jobs are States.*
        return "a SageMaker request was refused"
    return "a workflow step failed"


def _trigger_lines(trigger: Mapping[str, Any], batch: Mapping[str, Any]) -> list[str]:
    """Which batch started the run, and why."""
    lines = []
    if batch:
        # before "Verify the trigger" succeeded, the batch is only what the input named
        label = "Batch" if trigger else "Batch named in the input (not verified)"
        lines.append(f"{label}: s3://{batch.get('bucket')}/{batch.get('key')}")
    if trigger.get("bootstrap"):
        return [*lines, "Trigger: bootstrap run (first model)"]
    if trigger.get("kind") == CHALLENGER and trigger.get("challenger_signal") == PROBE:
        lines.append(
            "Trigger: CHALLENGER run: the champion had not lost accuracy against its holdout, but a "
            "linear probe fitted on the batch beat it there; a Linear Learner of the newest batch was "
            "tried against it"
        )
    elif trigger.get("kind") == CHALLENGER:
        lines.append(
            "Trigger: CHALLENGER run: the champion had not lost accuracy against its holdout, but its "
            "serving error rose; one model of the newest batch was tried against it"
        )
    if trigger.get("reasons"):
        lines.append("Why a retrain: " + "; ".join(reason_for_page(str(r)) for r in trigger["reasons"]))
    if trigger.get("drifted_features"):
        lines.append("Drifted features: " + ", ".join(map(str, trigger["drifted_features"])))
    if trigger.get("concept_drift") is not None:
        lines.append(f"Concept drift: {'yes' if trigger.get('concept_drift') else 'no'}")
    if trigger.get("labelled_rows") is not None:
        lines.append(f"Labelled rows in the batch: {fmt_count(trigger.get('labelled_rows'))}")
    return lines


def _evaluation_lines(evaluation: Mapping[str, Any]) -> list[str]:
    """The decision, its reasons, both models' metrics, the paired test and every candidate."""
    if not evaluation:
        return []
    decision = evaluation.get("decision")
    lines = ["", f"Decision: {_DECISIONS.get(decision, decision)}"]
    lines += [f"  - {reason_for_page(reason)}" for reason in evaluation.get("reasons") or []]
    candidate = evaluation.get("candidate") or {}
    champion = evaluation.get("champion") or {}
    names = [k for k in ("error_rate", "accuracy", "auc", "log_loss", "rmse", "mae") if k in candidate]
    if names:
        lines.append(f"  {'metric':<11} {'candidate':>10} {'champion':>10}")
        lines += [
            f"  {metric_label(k):<11} {_fmt(candidate.get(k), k):>10} {_fmt(champion.get(k), k):>10}"
            for k in names
        ]
        if evaluation.get("rows"):
            lines.append(
                f"  (both on the same {fmt_count(evaluation['rows'])} held-out rows, the newest labelled data; "
                "the drift report measured the champion on the whole triggering batch, so its figure differs)"
            )
    test = evaluation.get("paired_test") or {}
    if test:
        name = TEST_WORDS.get(test.get("name"), str(test.get("name")).replace("_", " "))
        lines.append(f"  paired test ({name}): p {fmt_p(test.get('p_value'))}")
    return lines + _tournament_lines(evaluation)


def _serving_line(state: Mapping[str, Any], evaluation: Mapping[str, Any]) -> str:
    """The model and endpoint config the swap put in service (the tournament's winner)."""
    names = _get(state, "data", "names") or {}
    model = _get(evaluation, "winner", "model_name") or names.get("model")
    return f"Serving model {model} with endpoint config {names.get('endpoint_config')}"


def _promotion_lines(state: Mapping[str, Any], evaluation: Mapping[str, Any]) -> list[str]:
    """What serves now, whether accuracy came back, the registry entry and the cleanup."""
    lines = ["", _serving_line(state, evaluation)]
    promotion = _get(state, "promotion_result", "promotion") or {}
    lines += _recovery_lines(promotion.get("recovery") or {})
    if promotion.get("model_package_arn"):
        lines.append(f"Registry: {promotion['model_package_arn']}")
    cleanup = promotion.get("cleanup") or {}
    if cleanup.get("deleted_configs") or cleanup.get("deleted_models"):
        lines.append(
            f"Cleaned up {len(cleanup.get('deleted_configs', []))} endpoint configs and "
            f"{len(cleanup.get('deleted_models', []))} models"
        )
    if cleanup.get("errors"):
        lines.append("Cleanup problems: " + "; ".join(cleanup["errors"]))
    return lines


def _incomplete_promotion_lines(
    state: Mapping[str, Any],
    evaluation: Mapping[str, Any],
    error: Mapping[str, Any],
    execution_arn: str | None,
) -> list[str]:
    """The swap happened, PromoteModel did not finish: say what serves, what may be stale, and the fix."""
    return [
        "",
        f"{_serving_line(state, evaluation)} (the update completed).",
        "Not finished: the baseline profile, the model registry entry or the lineage record may still "
        "describe the previous champion, so drift checks may compare new batches with the wrong model.",
        f"What failed in the promotion step: {_cause(error.get('Cause'), 500)}",
        f"Repair: drift-retrain repair --execution-arn {execution_arn or '<execution ARN>'}",
    ]


def _failure_lines(state: Mapping[str, Any], error: Mapping[str, Any]) -> list[str]:
    lines = ["", f"What failed: {_error_summary(error)}", f"Cause: {_cause(error.get('Cause'))}"]
    serving = _serving_now_line(state)
    if serving:
        lines.append(serving)
        champion = _get(state, "champion", "endpoint_config_name")
        if _left_serving(state) and champion:
            lines.append(
                f"The champion's config {champion} no longer serves alone: shift the traffic back "
                "(UpdateEndpointWeightsAndCapacities) or update the endpoint to it."
            )
    elif _get(state, "endpoint", "status"):
        lines.append(
            f"Endpoint status: {_get(state, 'endpoint', 'status')} on {_get(state, 'endpoint', 'config_name')}"
        )
    elif _get(state, "serving_lookup_error"):
        what = what_serves_after_failure(state)
        lines.append(
            "Serving now: no model (the endpoint does not exist)"
            if what == NOTHING_SERVES
            else f"Serving now: unknown, DescribeEndpoint failed: "
            f"{_cause(_get(state, 'serving_lookup_error', 'Cause'), 300)}"
        )
    return lines


def _links(
    state: Mapping[str, Any],
    evaluation: Mapping[str, Any],
    execution_arn: str | None,
    region: str | None,
    make_links: LinkMaker,
) -> list[str]:
    """The workflow run, the reports people open (their HTML pages), the manifest and the lineage."""
    links = []
    url = execution_url(execution_arn, region)
    if url:
        links.append(f"Workflow run: {url}")
    for label, ref in (
        ("Drift report", _get(state, "trigger", "report") or {}),
        ("Evaluation report", evaluation.get("report") or {}),
    ):
        if ref.get("key"):
            links += make_links(ref.get("bucket"), html_key(str(ref["key"]))).lines(label)
    manifest = _get(state, "data", "manifest") or {}
    link = s3_console_url(manifest.get("bucket"), manifest.get("key"), region)
    if link:
        links.append(f"Training manifest: {link}")
    lineage = _get(state, "promotion_result", "promotion", "lineage")
    if lineage:
        links.append(f"Lineage: {lineage}")
    return ["", *links] if links else []


def format_message(
    outcome: str,
    state: Mapping[str, Any],
    *,
    execution_arn: str | None,
    region: str | None,
    make_links: LinkMaker | None = None,
) -> Message:
    """Subject and body for one outcome (``promoted``, ``rejected``, ``failed``, ``skipped``).

    ``make_links`` gives a report's links (``reports.links.report_links`` with a client adds a
    pre-signed URL); by default, the S3 console page only.
    """
    if make_links is None:
        make_links = lambda bucket, key: ReportLinks(s3_console_url(bucket, key, region))  # noqa: E731
    if outcome not in OUTCOMES:
        outcome = "failed"
    endpoint = _get(state, "config", "endpoint_name") or "endpoint"
    trigger = _get(state, "trigger") or {}
    batch = trigger.get("batch") or _get(state, "batch") or {}
    evaluation = _get(state, "evaluation") or {}
    error = _get(state, "failure", "error") or _get(state, "error") or {}

    lines = [f"Outcome: {outcome.upper()}", f"Endpoint: {endpoint}", *_trigger_lines(trigger, batch)]
    rows = _get(state, "data", "rows")
    if rows:
        lines.append(
            f"Training rows: {fmt_count(rows.get('train'))} train, {fmt_count(rows.get('validation'))} "
            f"validation, {fmt_count(rows.get('test'))} held out"
        )
    lines += _window_lines(_get(state, "data") or {})
    lines += _evaluation_lines(evaluation)
    lines += ab_lines(state)
    if outcome == "promoted":
        lines += _promotion_lines(state, evaluation)
    elif outcome == "promoted_incomplete":
        lines += _incomplete_promotion_lines(state, evaluation, error, execution_arn)
    elif outcome == "failed":
        lines += _failure_lines(state, error)
    elif outcome == "rejected" and trigger.get("kind") == CHALLENGER:
        lines += [
            "",
            "The challenger was not better by the paired test: the champion keeps serving. Nothing was "
            "wrong with it; the next challenger may start after challenger_every_batches more labelled batches.",
        ]
    elif outcome == "skipped":
        holder = _get(state, "lock_holder", "Item", "ExecutionArn", "S")
        if holder:
            lines.append(
                f"The endpoint is busy with another retrain: {execution_url(holder, region) or holder}"
            )
    lines += _links(state, evaluation, execution_arn, region, make_links)
    return Message(
        subject=_subject(outcome, endpoint, evaluation, error, state),
        body="\n".join(lines) + "\n",
        outcome=outcome,
    )
