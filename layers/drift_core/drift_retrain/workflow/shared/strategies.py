"""Which strategies a retrain runs for its trigger: PrepareTrainingData plans them, DetectDrift counts
their training jobs (the challenger's budget), so the plan is written once, here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drift_retrain.engine.challenger import PROBE
from drift_retrain.engine.policy import CHALLENGER, REFRESH
from drift_retrain.workflow.shared.algorithms import LINEAR_LEARNER

__all__ = [
    "BOOTSTRAP_WINDOWS",
    "TRAINED",
    "AlgorithmPlan",
    "plan_algorithms",
    "plan_strategies",
    "training_jobs",
]

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


@dataclass(frozen=True)
class AlgorithmPlan:
    """Which algorithms train the first trained window and which train the others."""

    first: tuple[str, ...]
    rest: tuple[str, ...]


def plan_algorithms(
    configured: Sequence[str],
    *,
    trigger_kind: str | None,
    signal: str | None = None,
    serving: str | None = None,
    bootstrap: bool = False,
) -> AlgorithmPlan:
    """The algorithms this retrain trains each window with.

    Every window trains with every configured algorithm. Two cases add evidence the configuration
    cannot have:

    * a challenger started by the probe (``signal`` ``probe``): the probe is a linear model fitted on
      the batch's rows that beat the champion there, so the challenger is that model at full size, a
      Linear Learner on the newest rows (one job, as any challenger);
    * a serving model of an algorithm outside the configured ones (a probe's challenger that won): its
      own algorithm also trains the first window, so the family that serves is refreshed beside the
      configured ones and the paired test picks between them (one more job).
    """
    configured = tuple(dict.fromkeys(configured))
    if bootstrap:
        return AlgorithmPlan(configured, configured)
    if trigger_kind == CHALLENGER and signal == PROBE:
        return AlgorithmPlan((LINEAR_LEARNER,), ())
    first = configured if not serving or serving in configured else (*configured, serving)
    return AlgorithmPlan(first, configured)


def training_jobs(
    configured: Sequence[str], trigger_kind: str | None, algorithms: int, *, serving_outside: bool = False
) -> int:
    """Training jobs a retrain of ``trigger_kind`` plans: its trained windows times the algorithms, plus
    one when the serving model's algorithm is not configured (``plan_algorithms``). An upper bound:
    ``newest`` is dropped when it is the ``since_change`` window, and a probe's challenger trains one."""
    planned = plan_strategies(configured, trigger_kind=trigger_kind, bootstrap=False)
    trained = sum(s in TRAINED for s in planned)
    return trained * max(algorithms, 1) + (1 if serving_outside and trained else 0)
