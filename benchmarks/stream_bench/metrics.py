"""Summary figures per policy, the cost model and the targets.

Why these figures: the mean prequential error leaves out each change's first batch (no policy can
foresee a change, so that batch only adds the same noise to every row); recovery counts batches until
the serving error is back within RECOVERY_RATIO of the oracle's on the same batch; cost is what the
retraining adds (the always-on endpoint and DetectDrift cost the same under every policy).

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
    "MIN_BILLED_SECONDS",
    "PRICES",
    "RECOVERY_RATIO",
    "billed",
    "mean_error",
    "recovery",
    "summarise",
    "targets",
]

RECOVERY_RATIO = 1.2
ORACLE_RATIO = 1.15
#: Serving error "at its reference": within this of the first model's holdout error (CONCEPT_MARGIN).
REFERENCE_MARGIN = 0.02
MIN_BILLED_SECONDS = 60
#: USD per instance-hour, SageMaker on-demand (training and batch transform), us-east-1.
PRICES = {"ml.m5.large": 0.115, "ml.m5.xlarge": 0.23}
DEFAULT_PRICE_TYPE = "ml.m5.large"
TARGET_SCENARIOS = ("abrupt", "recurring", "gradual")
QUIET_SCENARIOS = ("no_drift", "covariate")
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


def mean_error(errors: Sequence[float], changes: Sequence[int]) -> float:
    kept = [e for i, e in enumerate(errors) if i not in set(changes)]
    return sum(kept) / len(kept)


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
    retrain_after: Sequence[int],
    jobs: Sequence[Mapping[str, Any]],
    promotions: int | None = None,
) -> dict[str, Any]:
    return {
        "errors": [round(e, 5) for e in errors],
        "mean_error": mean_error(errors, changes),
        "recovery": recovery(errors, oracle, changes),
        "retrains": len(retrain_after),
        "retrain_after": list(retrain_after),
        "promotions": promotions,
        "cost": billed(jobs),
    }


# ---------------------------------------------------------------------------------------------- targets
def _check(name: str, ok: bool | None, measured: str) -> dict[str, Any]:
    return {
        "target": name,
        "result": "SKIPPED" if ok is None else ("PASS" if ok else "FAIL"),
        "measured": measured,
    }


def at_reference(scenario: Mapping[str, Any]) -> bool:
    """The serving model's error stayed within REFERENCE_MARGIN of the first model's holdout error."""
    service = scenario["service"]["batches"]
    reference = service[0]["baseline_error"]
    return reference is not None and all(b["error"] <= reference + REFERENCE_MARGIN for b in service)


def targets(scenarios: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """PASS / FAIL / SKIPPED for each target, on the scenarios that ran."""
    out = []
    for name in TARGET_SCENARIOS:
        s = scenarios.get(name)
        if s is None:
            out.append(_check(f"{name}: ours mean error <= {ORACLE_RATIO}x oracle", None, "not run"))
            continue
        ours, oracle = s["policies"]["ours"]["mean_error"], s["policies"]["oracle"]["mean_error"]
        out.append(
            _check(
                f"{name}: ours mean error <= {ORACLE_RATIO}x oracle",
                ours <= ORACLE_RATIO * oracle,
                f"{ours:.4f} vs {oracle:.4f} ({ours / oracle:.2f}x)",
            )
        )

    if scenarios:
        ours_err = sum(s["policies"]["ours"]["mean_error"] for s in scenarios.values()) / len(scenarios)
        every_err = sum(s["policies"]["every_batch"]["mean_error"] for s in scenarios.values()) / len(
            scenarios
        )
        ours_jobs = sum(s["policies"]["ours"]["cost"]["training_jobs"] for s in scenarios.values())
        every_jobs = sum(s["policies"]["every_batch"]["cost"]["training_jobs"] for s in scenarios.values())
        out.append(
            _check(
                "ours no worse than every-batch (mean over scenarios) with <= 1/3 of its training jobs",
                ours_err <= every_err and 3 * ours_jobs <= every_jobs,
                f"error {ours_err:.4f} vs {every_err:.4f}; training jobs {ours_jobs} vs {every_jobs}",
            )
        )
    else:
        out.append(_check("ours no worse than every-batch with <= 1/3 of its training jobs", None, "not run"))

    quiet = {n: scenarios[n] for n in QUIET_SCENARIOS if n in scenarios}
    promotions = {n: s["policies"]["ours"]["promotions"] for n, s in quiet.items()}
    out.append(
        _check(
            "zero promotions on no_drift and covariate",
            None if not quiet else all(p == 0 for p in promotions.values()),
            ", ".join(f"{n}: {p}" for n, p in promotions.items()) or "not run",
        )
    )
    flat = {n: s for n, s in scenarios.items() if at_reference(s)}
    retrains = {n: s["policies"]["ours"]["retrains"] for n, s in flat.items()}
    out.append(
        _check(
            f"no retrain where serving error stays at its reference (+{REFERENCE_MARGIN})",
            None if not flat else all(r == 0 for r in retrains.values()),
            ", ".join(f"{n}: {r} retrains" for n, r in retrains.items()) or "no such scenario",
        )
    )
    abrupt = {n: scenarios[n] for n in ABRUPT_SCENARIOS if n in scenarios}
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
