"""Summary figures per policy, the cost model and the targets.

Why two means: the batches before the first change are served by the same first model under every
policy, so a mean over all batches pulls every ratio towards 1.00x. The targets use the mean over the
batches after the first change (``mean_after_change``); the mean over all batches (``mean_all``) is
reported beside it. Both leave out nothing else, except that the post-change mean skips every change's
first batch (no policy can foresee a change, so that batch only adds the same noise to every policy).
Recovery counts batches until the serving error is back within RECOVERY_RATIO of the oracle's on the
same batch; cost is what the retraining adds (the always-on endpoint and DetectDrift cost the same
under every policy).

Cost model: SageMaker bills training and batch-transform instances per second of the job's billable
time times the instance count. We assume a MIN_BILLED_SECONDS minimum per job (as EC2's per-second
billing has), so the billed figure of a job is ``max(60, seconds) x instances``; local jobs take a few
seconds, so this minimum dominates and AWS's own start-up overhead (not billed for training, billed for
transform) is not modelled. Dollars use on-demand us-east-1 prices per instance-hour (PRICES); the
table reports billed instance-seconds and dollars, the JSON keeps the local seconds too.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = [
    "BASELINES",
    "MIN_BILLED_SECONDS",
    "POLICIES",
    "PRICES",
    "RECOVERY_RATIO",
    "after_change",
    "best_baseline",
    "billed",
    "mean_over",
    "recovery",
    "summarise",
    "targets",
]

RECOVERY_RATIO = 1.2
#: Target: the service's post-change mean within this of the oracle's, on every drifting scenario.
ORACLE_RATIO = 1.2
#: Target on the quiet scenarios: at most one challenger per this many batches.
CHALLENGER_EVERY = 8
#: Target on abrupt and recurring: post-change mean within this of the reference run's (reference.json).
REFERENCE_SLACK = 0.005
#: Target: the service's training jobs at most this share of retrain-every-batch's, summed.
JOB_SHARE = 1 / 3
MIN_BILLED_SECONDS = 60
#: USD per instance-hour, SageMaker on-demand (training and batch transform), us-east-1.
PRICES = {"ml.m5.large": 0.115, "ml.m5.xlarge": 0.23}
DEFAULT_PRICE_TYPE = "ml.m5.large"
#: Every baseline policy (stream_bench/baselines.py scores them).
POLICIES = ("never", "every_batch", "newest_batch", "periodic", "linear_newest", "oracle")
#: The policies a deployment could run (all but the oracle): "best baseline" is the best of these.
BASELINES = tuple(p for p in POLICIES if p != "oracle")
ABRUPT_SCENARIOS = ("abrupt", "recurring")


def price(instance_type: str | None) -> float:
    return PRICES.get(instance_type or "", PRICES[DEFAULT_PRICE_TYPE])


def billed(jobs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Local seconds, billed instance-seconds and dollars of ``jobs`` (kind, seconds, instance_*)."""
    local = sum(int(j["seconds"]) * int(j["instance_count"]) for j in jobs)
    seconds = sum(max(MIN_BILLED_SECONDS, int(j["seconds"])) * int(j["instance_count"]) for j in jobs)
    dollars = sum(
        max(MIN_BILLED_SECONDS, int(j["seconds"]))
        * int(j["instance_count"])
        * price(j["instance_type"])
        / 3600
        for j in jobs
    )
    return {
        "jobs": len(jobs),
        "training_jobs": sum(j["kind"] == "training" for j in jobs),
        "transform_jobs": sum(j["kind"] == "transform" for j in jobs),
        "local_instance_seconds": local,
        "billed_instance_seconds": seconds,
        "dollars": round(dollars, 5),
    }


def after_change(n: int, changes: Sequence[int], first_change: int | None) -> list[int]:
    """The batches the post-change mean runs over: after ``first_change`` (all batches when the stream
    never changes), change batches left out."""
    start = -1 if first_change is None else first_change
    return [b for b in range(n) if b > start and b not in set(changes)]


def mean_over(errors: Sequence[float], batches: Sequence[int]) -> float | None:
    return sum(errors[b] for b in batches) / len(batches) if batches else None


def recovery(errors: Sequence[float], oracle: Sequence[float], changes: Sequence[int]) -> list[int | None]:
    """Per change c: the smallest k >= 1 with errors[c+k] <= RECOVERY_RATIO x oracle[c+k], looked for
    before the next change; None when it never happens."""
    out: list[int | None] = []
    for n, c in enumerate(changes):
        end = changes[n + 1] if n + 1 < len(changes) else len(errors)
        found = None
        for b in range(c + 1, end):
            if errors[b] <= RECOVERY_RATIO * oracle[b]:
                found = b - c
                break
        out.append(found)
    return out


def summarise(
    errors: Sequence[float],
    oracle: Sequence[float],
    changes: Sequence[int],
    first_change: int | None,
    retrain_after: Sequence[int],
    jobs: Sequence[Mapping[str, Any]],
    promotions: int | None = None,
    challengers: int | None = None,
) -> dict[str, Any]:
    """A policy's figures on one scenario. ``challengers`` None: the service reports no such field."""
    return {
        "errors": [round(e, 5) for e in errors],
        "mean_after_change": mean_over(errors, after_change(len(errors), changes, first_change)),
        "mean_all": mean_over(errors, range(len(errors))),
        "recovery": recovery(errors, oracle, changes),
        "retrains": len(retrain_after),
        "retrain_after": list(retrain_after),
        "promotions": promotions,
        "challengers": challengers,
        "cost": billed(jobs),
    }


def best_baseline(policies: Mapping[str, Mapping[str, Any]]) -> str:
    """The deployable baseline with the lowest post-change mean."""
    present = [p for p in BASELINES if p in policies]
    return min(present, key=lambda p: policies[p]["mean_after_change"])


def ratio(ours: float, oracle: float) -> float:
    """ours / oracle; an oracle at 0 makes any error above it infinitely worse."""
    if oracle > 0:
        return ours / oracle
    return 1.0 if ours <= 0 else float("inf")


def drifting(scenario: Mapping[str, Any]) -> bool:
    """The labelling function changes (change points or incremental drift), so an oracle can do better."""
    return bool(scenario.get("changes")) or bool(scenario.get("hindsight"))


# ---------------------------------------------------------------------------------------------- targets
def _check(name: str, ok: bool | None, measured: str) -> dict[str, Any]:
    return {
        "target": name,
        "result": "SKIPPED" if ok is None else ("PASS" if ok else "FAIL"),
        "measured": measured,
    }


def targets(
    scenarios: Mapping[str, Mapping[str, Any]], reference: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """PASS / FAIL / SKIPPED for each target, on the scenarios that ran.

    ``reference``: the abrupt and recurring post-change means of a reference run and the seed set and
    size it used (reference.json); that target is SKIPPED when this run's differ."""
    out = []
    for name, s in scenarios.items():
        if not drifting(s):
            continue
        ours = s["policies"]["ours"]["mean_after_change"]
        oracle = s["policies"]["oracle"]["mean_after_change"]
        out.append(
            _check(
                f"{name}: ours post-change mean <= {ORACLE_RATIO}x oracle",
                ratio(ours, oracle) <= ORACLE_RATIO,
                f"{ours:.4f} vs {oracle:.4f} ({ratio(ours, oracle):.2f}x)",
            )
        )

    quiet = {n: s for n, s in scenarios.items() if not drifting(s)}
    measured = []
    ok = True
    for n, s in quiet.items():
        ours = s["policies"]["ours"]
        batches = len(ours["errors"])
        allowed = batches // CHALLENGER_EVERY
        challengers = ours.get("challengers")
        ok = ok and ours["promotions"] == 0 and (challengers or 0) <= allowed
        shown = "no challenger field" if challengers is None else f"{challengers} challengers (<= {allowed})"
        measured.append(f"{n}: {ours['promotions']} promotions, {shown}")
    out.append(
        _check(
            f"quiet scenarios: 0 promotions, at most 1 challenger per {CHALLENGER_EVERY} batches",
            None if not quiet else ok,
            "; ".join(measured) or "not run",
        )
    )

    abrupt = {n: scenarios[n] for n in ABRUPT_SCENARIOS if n in scenarios}
    known = (reference or {}).get("mean_after_change") or {}
    comparable = {n: s for n, s in abrupt.items() if n in known}
    if reference and comparable:
        pairs = {n: (s["policies"]["ours"]["mean_after_change"], known[n]) for n, s in comparable.items()}
        out.append(
            _check(
                f"abrupt, recurring: ours post-change mean within {REFERENCE_SLACK} of the reference run's",
                all(now <= then + REFERENCE_SLACK for now, then in pairs.values()),
                ", ".join(f"{n}: {now:.4f} vs {then:.4f}" for n, (now, then) in pairs.items())
                + f" (reference: {reference.get('service')})",
            )
        )
    else:
        why = "no comparable reference run (other seeds or size)" if abrupt else "not run"
        out.append(
            _check(
                f"abrupt, recurring: ours post-change mean within {REFERENCE_SLACK} of the reference run's",
                None,
                why,
            )
        )

    if scenarios:
        ours_jobs = sum(s["policies"]["ours"]["cost"]["training_jobs"] for s in scenarios.values())
        every_jobs = sum(s["policies"]["every_batch"]["cost"]["training_jobs"] for s in scenarios.values())
        out.append(
            _check(
                "ours' training jobs, all scenarios, <= 1/3 of retrain-every-batch's",
                ours_jobs <= JOB_SHARE * every_jobs,
                f"{ours_jobs} vs {every_jobs} ({ratio(ours_jobs, every_jobs):.2f})",
            )
        )
    else:
        out.append(
            _check("ours' training jobs, all scenarios, <= 1/3 of retrain-every-batch's", None, "not run")
        )

    recoveries = {
        f"{n}@{c}": k
        for n, s in abrupt.items()
        for c, k in zip(s["changes"], s["policies"]["ours"]["recovery"], strict=True)
    }
    out.append(
        _check(
            f"abrupt changes: ours within {RECOVERY_RATIO}x of oracle by the 2nd batch after the change",
            None if not abrupt else all(k is not None and k <= 2 for k in recoveries.values()),
            ", ".join(f"{c}: {'never' if k is None else f'+{k}'}" for c, k in recoveries.items())
            or "not run",
        )
    )
    return out
