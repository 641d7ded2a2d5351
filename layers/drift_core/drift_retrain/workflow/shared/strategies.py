"""Which strategies a retrain runs for its trigger: PrepareTrainingData plans them, DetectDrift counts
their training jobs (the challenger's budget), so the plan is written once, here."""

from __future__ import annotations

from collections.abc import Sequence

from drift_retrain.engine.policy import CHALLENGER, REFRESH

__all__ = ["BOOTSTRAP_WINDOWS", "TRAINED", "plan_strategies", "training_jobs"]

#: Strategies that train a model (``registry`` re-scores stored ones).
TRAINED = ("since_change", "newest", "recent", "recent_plus_previous")
#: A first model's windows over its seed data, and the newest share of its training rows each keeps:
#: a seed file that spans drift trains best on its newest part, a stationary one on all of it.
BOOTSTRAP_WINDOWS = {"bootstrap": 1.0, "bootstrap_newest_half": 0.5, "bootstrap_newest_quarter": 0.25}


def plan_strategies(configured: Sequence[str], *, trigger_kind: str | None, bootstrap: bool) -> list[str]:
    """The strategies this retrain runs, in order of preference.

    A first model trains on the seed data alone: all of it, its newest half and its newest quarter
    (``BOOTSTRAP_WINDOWS``), judged on its newest rows like any retrain. After feature drift alone P(y|x)
    held, so there is no change to train after and older rows stay useful: ``since_change`` gives way to
    ``recent``. A refresh
    asks one question (does the serving model's concept, learnt from every row since the change, serve
    better?), so it trains ``since_change`` alone: one job, and the paired test at the whole alpha. A
    challenger (no loss seen, but the serving error's trend says a fresh model should gain) trains the
    cheapest candidate, ``newest``, alone, whatever is configured.
    """
    if bootstrap:
        return list(BOOTSTRAP_WINDOWS)
    if trigger_kind == CHALLENGER:
        return ["newest"]
    if trigger_kind == REFRESH and "since_change" in configured:
        return ["since_change"]
    planned = ["recent" if s == "since_change" and trigger_kind == "features" else s for s in configured]
    if not any(s in TRAINED for s in planned):
        planned.insert(0, "recent")
    return list(dict.fromkeys(planned))


def training_jobs(configured: Sequence[str], trigger_kind: str | None, algorithms: int) -> int:
    """Training jobs a retrain of ``trigger_kind`` plans: its trained windows times the algorithms (an
    upper bound: ``newest`` is dropped when it is the ``since_change`` window)."""
    planned = plan_strategies(configured, trigger_kind=trigger_kind, bootstrap=False)
    return sum(s in TRAINED for s in planned) * max(algorithms, 1)
