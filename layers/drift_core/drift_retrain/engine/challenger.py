"""The challenger: a cheap ``newest`` candidate tried without loss evidence, when a fresh model should gain.

The concept test only sees the champion getting worse than its own holdout. When the world drifts
steadily (or the training data already spanned a drift), the holdout is as poor as the serving error and
no test fires, though a model of the newest rows would serve far better. So every
``challenger_every_batches`` labelled batches, within ``challenger_max_jobs_per_day`` training jobs a day,
DetectDrift may start a retrain of one ``newest`` candidate; it is promoted only by the usual paired test.

Whether to challenge rests on the expected gain, from the serving errors of the batches the serving model
handled (the newest last, at most :data:`HISTORY`):

- **trend**: the weighted least-squares slope of the error over those batches, times their span: how far
  the champion has decayed since its best-measured days;
- **newest**: the newest batch's error against the pooled error of the batches before it;
- **probe**: when a challenge may start (:func:`probe_due`), a cheap linear model cross-fitted on the
  batch's scored rows (``engine.probe``): its mean per-row gain over the champion. It sees a champion
  whose error is flat but beatable (it learnt an older concept, or a span of drift), which no rise shows.

The margin is the concept margin (``concept_margin``, or ``concept_loss_margin`` times the earlier error
for a loss, times the champion's loss on the probe's rows for the probe): the rise the cost model calls
worth a retrain (docs/retraining-policy.md). Each signal is tested one-sided at ``alpha / 2`` against
half its margin (a rise: binomial variance for an error rate, widened by the batches' own scatter when
larger: around the trend, or around the earlier batches' mean for the newest; for a loss, the scatter
alone, with Student's t; the probe: a paired t-test of the per-row gains). The gain is the largest
significant signal, and a challenge runs only when one reaches its margin. A stationary stream whose
champion fits rarely shows either, so it stays quiet. A probe's win is only a reason to try: the
challenger is promoted by the usual paired test. Pure functions; ``detect.challenger`` stores the state.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scipy import special

from drift_retrain.exceptions import ConfigError

__all__ = [
    "CHALLENGE",
    "HISTORY",
    "MIN_HISTORY",
    "NEWEST",
    "PROBE",
    "TREND",
    "ChallengerSettings",
    "Gain",
    "Point",
    "Probe",
    "advance",
    "expected_gain",
    "off_block",
    "probe_due",
]

#: Serving errors kept per serving model (the newest last), and the fewest the rule judges from.
HISTORY = 8
MIN_HISTORY = 3
#: Batch ids whose decision the state remembers, so a repeated delivery gets the same one.
REMEMBERED = 32

#: ``decision`` values of the report's ``challenger`` block.
OFF, CHALLENGE, NO_CHALLENGE = "off", "challenge", "no challenge"


@dataclass(frozen=True)
class ChallengerSettings:
    """``challenger_every_batches`` (0 = off) and ``challenger_max_jobs_per_day`` (defaults: the settings
    schema's, a unit test keeps them equal)."""

    every_batches: int = 4
    max_jobs_per_day: int = 2

    def __post_init__(self) -> None:
        if self.every_batches < 0 or self.max_jobs_per_day < 0:
            raise ConfigError(
                "challenger_every_batches and challenger_max_jobs_per_day must be >= 0, got "
                f"{self.every_batches} and {self.max_jobs_per_day}"
            )

    @property
    def on(self) -> bool:
        return self.every_batches > 0

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ChallengerSettings:
        def whole(name: str, default: int) -> int:
            raw = (environ.get(name) or "").strip()
            try:
                return int(raw) if raw else default
            except ValueError as error:
                raise ConfigError(f"{name} must be a whole number, got {raw!r}") from error

        return cls(
            every_batches=whole("CHALLENGER_EVERY_BATCHES", cls.every_batches),
            max_jobs_per_day=whole("CHALLENGER_MAX_JOBS_PER_DAY", cls.max_jobs_per_day),
        )


@dataclass(frozen=True)
class Point:
    """The serving model's error on one labelled batch, over ``rows`` rows."""

    error: float
    rows: int


@dataclass(frozen=True)
class Probe:
    """A probe fitted on the batch's scored rows (``engine.probe``): its mean per-row gain over the
    champion (champion loss minus out-of-fold probe loss), the gains' variance, over ``rows`` rows, and
    the champion's mean loss there."""

    rows: int
    gain: float
    variance: float
    champion_loss: float


#: ``signal`` values of a :class:`Gain`: which rise or gain the estimate is.
TREND, NEWEST, PROBE = "trend", "newest", "probe"


@dataclass(frozen=True)
class Gain:
    """The expected gain of a fresh model and the rises and probe gain it rests on (``None``: not judged)."""

    estimate: float
    worth: bool
    min_gain: float
    trend_rise: float | None = None
    trend_p: float | None = None
    newest_rise: float | None = None
    newest_p: float | None = None
    batches: int = 0
    why: str = ""
    #: The signal the estimate is (``TREND``, ``NEWEST``, ``PROBE``; ``None`` when none is significant).
    signal: str | None = None
    probe_gain: float | None = None
    probe_p: float | None = None
    probe_rows: int | None = None
    probe_min_gain: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _p_upper(rise: float, se: float, df: int | None) -> float:
    """One-sided p that ``rise`` (standard error ``se``) is above 0 (normal, or Student's t with ``df``)."""
    if se <= 0:
        return 0.0 if rise > 0 else 1.0
    z = rise / se
    # What scipy.stats' norm.sf and t.sf evaluate, read from scipy.special: importing scipy.stats costs about
    # half a second of every cold start of the Lambdas that only use this module's types (Notify).
    return float(special.ndtr(-z) if df is None else special.stdtr(df, -z))


def _rises(points: Sequence[Point], regression: bool, min_gain: float) -> tuple[float, float, float, float]:
    """The trend's and the newest batch's rises and their one-sided p against half ``min_gain``."""
    k = len(points)
    before = points[:-1]
    weight_before = sum(p.rows for p in before)
    mean_before = sum(p.error * p.rows for p in before) / weight_before
    rows = [float(p.rows) for p in points]
    errors = [p.error for p in points]
    total = sum(rows)
    t_mean = sum(w * t for t, w in enumerate(rows)) / total
    e_mean = sum(w * e for e, w in zip(errors, rows, strict=True)) / total
    sxx = sum(w * (t - t_mean) ** 2 for t, w in enumerate(rows))
    slope = (
        sum(w * (t - t_mean) * (e - e_mean) for t, (e, w) in enumerate(zip(errors, rows, strict=True))) / sxx
    )
    fitted = [e_mean + slope * (t - t_mean) for t in range(k)]
    scatter = sum(w * (e - f) ** 2 for e, f, w in zip(errors, fitted, rows, strict=True)) / (k - 2)
    # the newest batch against the ones before: their own scatter around their mean (k - 2 df too)
    scatter_before = sum(p.rows * (p.error - mean_before) ** 2 for p in before) / (k - 2)
    if regression:  # per-row variance from the batches' scatter alone: Student's t
        variance, variance_before, df = scatter, scatter_before, k - 2
    else:  # binomial, widened when the batches scatter more (quasi-binomial)
        binomial = e_mean * (1.0 - e_mean)
        variance, variance_before, df = max(binomial, scatter), max(binomial, scatter_before), None
    floor = min_gain / 2  # the null: the error rose by at most half the margin
    trend_rise = slope * (k - 1)
    trend_se = math.sqrt(variance / sxx) * (k - 1) if variance > 0 else 0.0
    trend_p = _p_upper(trend_rise - floor, trend_se, df)
    newest_rise = errors[-1] - mean_before
    newest_se = math.sqrt(variance_before * (1.0 / rows[-1] + 1.0 / weight_before))
    newest_p = _p_upper(newest_rise - floor, newest_se, df)
    return trend_rise, trend_p, newest_rise, newest_p


def expected_gain(
    history: Sequence[Point],
    *,
    regression: bool,
    concept_margin: float,
    loss_margin: float,
    alpha: float,
    probe: Probe | None = None,
) -> Gain:
    """The gain a model of the newest rows should bring over the champion (see the module docstring)."""
    points = [p for p in history if p.rows > 0][-HISTORY:]
    k = len(points)
    before = points[:-1]
    weight_before = sum(p.rows for p in before)
    mean_before = sum(p.error * p.rows for p in before) / weight_before if weight_before else 0.0
    min_gain = loss_margin * mean_before if regression else concept_margin
    found: dict[str, Any] = {"batches": k}
    # (signal, gain, p, the margin it must reach)
    signals: list[tuple[str, float, float, float]] = []
    if k >= MIN_HISTORY:
        trend_rise, trend_p, newest_rise, newest_p = _rises(points, regression, min_gain)
        found.update(trend_rise=trend_rise, trend_p=trend_p, newest_rise=newest_rise, newest_p=newest_p)
        signals += [(TREND, trend_rise, trend_p, min_gain), (NEWEST, newest_rise, newest_p, min_gain)]
    if probe is not None and probe.rows > 1:
        probe_min = loss_margin * probe.champion_loss if regression else concept_margin
        se = math.sqrt(max(probe.variance, 0.0) / probe.rows)
        probe_p = _p_upper(probe.gain - probe_min / 2, se, probe.rows - 1)
        found.update(probe_gain=probe.gain, probe_p=probe_p, probe_rows=probe.rows, probe_min_gain=probe_min)
        signals.append((PROBE, probe.gain, probe_p, probe_min))
    if not signals:
        return Gain(
            0.0,
            False,
            min_gain,
            batches=k,
            why=f"{k} labelled batch(es) served by this model; the rule needs {MIN_HISTORY}",
        )
    significant = [s for s in signals if s[2] < alpha / 2]
    worthy = [s for s in significant if s[1] > 0 and s[1] >= s[3]]
    best = max(worthy or significant, key=lambda s: s[1], default=None)
    estimate = best[1] if best is not None else 0.0
    worth = bool(worthy)
    if best is None:
        if k >= MIN_HISTORY:
            what = f"no rise of the serving error over {k} batches"
            what += " nor gain of a probe fitted on this batch" if probe is not None else ""
        else:
            what = (
                f"{k} labelled batch(es) served by this model (a rise needs {MIN_HISTORY}), and no gain "
                "of a probe fitted on this batch"
            )
        why = (
            f"{what} significantly above half the concept margin (each tested at alpha {alpha / 2:g}: "
            f"{', '.join(f'{s[0]} above {s[3] / 2:.4g}' for s in signals)})"
        )
    elif not worth:
        why = f"{_said(best, k)}, less than the concept margin {best[3]:.4g}"
    else:
        why = f"{_said(best, k)} (at least the concept margin {best[3]:.4g}): a model of the newest rows should gain about that much"
    return Gain(
        estimate=estimate,
        worth=worth,
        min_gain=min_gain,
        why=why,
        signal=best[0] if best is not None else None,
        **found,
    )


def _said(signal: tuple[str, float, float, float], batches: int) -> str:
    name, gain = signal[0], signal[1]
    if name == PROBE:
        return f"a probe fitted on this batch's rows beat the champion there by {gain:.4g}"
    return f"the serving error rose by {gain:.4g} over {batches} batches"


def probe_due(
    state: Mapping[str, Any], settings: ChallengerSettings, *, model: str, today: str, challenge_jobs: int
) -> bool:
    """Whether the next measured batch of ``model`` could start a challenger (due, within the day's
    budget): only then is a probe worth fitting (``advance`` decides)."""
    if not settings.on:
        return False
    since = int(state.get("since") or 0) if state.get("model") == model else 0
    jobs = int(state.get("jobs_today") or 0) if state.get("day") == today else 0
    return since + 1 >= settings.every_batches and settings.max_jobs_per_day - jobs >= challenge_jobs


def off_block() -> dict[str, Any]:
    """The report's ``challenger`` block when the challenger is off (``challenger_every_batches`` 0)."""
    return {"enabled": False, "decision": OFF, "why": "challenger_every_batches is 0: the challenger is off"}


@dataclass(frozen=True)
class Batch:
    """What the challenger needs from one checked batch's report."""

    batch_id: str
    model: str
    point: Point | None  # None: no error measured (unlabelled, or the concept test did not run)
    labelled_rows: int
    #: A retrain on evidence starts now (not deferred), costing ``retrain_jobs`` training jobs.
    retrains: bool
    deferred: bool = False
    #: A probe's gain on this batch's rows (fitted only when a challenge may start).
    probe: Probe | None = None


def advance(
    state: Mapping[str, Any],
    batch: Batch,
    settings: ChallengerSettings,
    *,
    today: str,
    challenge_jobs: int,
    retrain_jobs: int,
    regression: bool,
    concept_margin: float,
    loss_margin: float,
    alpha: float,
    min_labelled_rows: int,
) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """The state after ``batch``, its report's ``challenger`` block, and whether the state changed.

    The state holds the serving model's recent errors, the labelled batches since the last challenge or
    retrain, and the training jobs spent today (retrains count too: a fresh model was just tried); a
    batch already decided gets its remembered block back.
    """
    decided = dict(state.get("decided") or {})
    if batch.batch_id in decided:
        return dict(state), decided[batch.batch_id], False
    new = dict(state)
    if new.get("day") != today:
        new["day"], new["jobs_today"] = today, 0
    if new.get("model") != batch.model:  # a new serving model: its own history, counted afresh
        new["model"], new["history"], new["since"] = batch.model, [], 0
    jobs = int(new.get("jobs_today") or 0)
    budget = max(settings.max_jobs_per_day - jobs, 0)
    block: dict[str, Any] = {
        "enabled": True,
        "every_batches": settings.every_batches,
        "max_jobs_per_day": settings.max_jobs_per_day,
        "day": today,
    }
    if batch.point is None:
        block.update(
            due=False,
            batches_since=int(new.get("since") or 0),
            budget_left=budget,
            decision=NO_CHALLENGE,
            why="no serving error measured on this batch: it does not count",
        )
        return dict(state), block, False
    history = [*(new.get("history") or []), {"error": batch.point.error, "rows": batch.point.rows}][-HISTORY:]
    new["history"] = history
    since = int(new.get("since") or 0) + 1
    gain = expected_gain(
        [Point(float(h["error"]), int(h["rows"])) for h in history],
        regression=regression,
        concept_margin=concept_margin,
        loss_margin=loss_margin,
        alpha=alpha,
        probe=batch.probe,
    )
    due = since >= settings.every_batches
    block.update(due=due, batches_since=since, budget_left=budget, cost=challenge_jobs, gain=gain.to_dict())
    if batch.deferred:
        why, challenge = "an A/B test is running: no retrain starts", False
    elif batch.retrains:
        why, challenge = "a retrain on loss evidence starts instead", False
        new["jobs_today"], since = jobs + retrain_jobs, 0
    elif not due:
        why, challenge = (
            f"not due: {since} of {settings.every_batches} labelled batches since the last challenge or retrain",
            False,
        )
    elif not gain.worth:
        why, challenge = f"no expected gain: {gain.why}", False
    elif batch.labelled_rows < min_labelled_rows:
        why = f"{batch.labelled_rows} labelled rows; a challenger needs at least {min_labelled_rows}"
        challenge = False
    elif budget < challenge_jobs:
        why = (
            f"the day's budget is spent: {jobs} of {settings.max_jobs_per_day} training jobs used on {today} "
            f"(a challenger costs {challenge_jobs})"
        )
        challenge = False
    else:
        why, challenge = f"challenger started: {gain.why}", True
        new["jobs_today"], since = jobs + challenge_jobs, 0
    new["since"] = since
    block.update(decision=CHALLENGE if challenge else NO_CHALLENGE, why=why)
    decided[batch.batch_id] = block
    new["decided"] = dict(list(decided.items())[-REMEMBERED:])
    return new, block, True
