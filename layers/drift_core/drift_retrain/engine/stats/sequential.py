"""The A/B test's sequential decision: a mixture SPRT on paired per-row losses, valid at every look.

Why this test. During an A/B test DetectDrift scores every labelled row of every batch on *both*
variants (``InvokeEndpoint`` with ``TargetVariant``), so the evidence is paired: one loss difference
``d = loss(candidate) - loss(champion)`` per row. Batches arrive when they arrive, with as many rows as
they have, and the test is looked at after each one. A fixed-sample test looked at 20 times rejects a
true null far more often than its alpha; a group-sequential design (O'Brien-Fleming spending) needs
the number and sizes of the looks planned ahead. The mixture sequential probability ratio test
(mSPRT; Robbins 1970, Johari, Pekelis and Walsh 2017, "Always valid inference") needs neither: its
likelihood ratio against H0 (mean difference 0), mixed over a normal prior on the effect, is a
martingale under H0, so by Ville's inequality P(it ever reaches 1/alpha) <= alpha whatever the number
of looks or their sizes. The running minimum of 1/ratio is an always-valid p-value.

With the differences' variance ``sigma^2`` (plugged in from the rows so far, as Johari et al. do for
large samples) and a normal mixture ``N(0, tau^2)`` on the mean difference, after ``n`` rows with mean
difference ``m``::

    log ratio = -1/2 log(1 + n tau^2 / sigma^2) + (n tau^2 / (sigma^2 + n tau^2)) * z^2 / 2,
    z^2 = n m^2 / sigma^2.

The mixing variance is ``tau^2 = MIXING_SCALE^2 * sigma^2``: the test is tuned to standardized effects
``m / sigma`` near ``MIXING_SCALE`` (0.1), the size of a 5-point error-rate gain at a 20% discordance
rate, where it decides in a few hundred to a few thousand rows; larger effects decide sooner, smaller
ones later (never falsely more often than alpha). The decision is two-sided: the candidate wins when the
always-valid p is below alpha and its mean loss is lower; the champion wins when it is below alpha and
the candidate's loss is higher. Nothing is decided before ``min_rows`` rows (the plug-in variance needs
rows; measured in ``tests/statistical/test_ab_sequential.py``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = [
    "CANDIDATE",
    "CHAMPION",
    "MIXING_SCALE",
    "PairedLosses",
    "SequentialLook",
    "msprt_look",
    "paired_losses",
]

#: Standardized effect (mean difference / its standard deviation) the normal mixture is tuned to.
MIXING_SCALE = 0.1
CANDIDATE, CHAMPION = "candidate", "champion"
#: Variance floor: rows that all differ by the same amount are decisive, not a division by zero.
_VARIANCE_FLOOR = 1e-12


@dataclass(frozen=True)
class PairedLosses:
    """Sufficient statistics of paired per-row losses (sums, so batches add up)."""

    rows: int = 0
    champion_loss: float = 0.0
    candidate_loss: float = 0.0
    sum_difference: float = 0.0
    sum_squared_difference: float = 0.0

    def plus(self, other: PairedLosses) -> PairedLosses:
        return PairedLosses(*(a + b for a, b in zip(self.as_tuple(), other.as_tuple(), strict=True)))

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.rows,
            self.champion_loss,
            self.candidate_loss,
            self.sum_difference,
            self.sum_squared_difference,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PairedLosses:
        return cls(
            rows=int(data.get("rows", 0)),
            champion_loss=float(data.get("champion_loss", 0.0)),
            candidate_loss=float(data.get("candidate_loss", 0.0)),
            sum_difference=float(data.get("sum_difference", 0.0)),
            sum_squared_difference=float(data.get("sum_squared_difference", 0.0)),
        )

    @property
    def mean_difference(self) -> float:
        return self.sum_difference / self.rows if self.rows else 0.0

    @property
    def variance(self) -> float:
        """Sample variance of the differences (0 with fewer than two rows)."""
        if self.rows < 2:
            return 0.0
        centred = self.sum_squared_difference - self.rows * self.mean_difference**2
        return max(centred / (self.rows - 1), 0.0)


def paired_losses(
    champion: Sequence[float] | np.ndarray, candidate: Sequence[float] | np.ndarray
) -> PairedLosses:
    """Sum one batch's per-row losses of both variants on the same rows (same order)."""
    a = np.asarray(champion, dtype=float)
    b = np.asarray(candidate, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired losses need the same rows: {a.shape} vs {b.shape}")
    difference = b - a
    return PairedLosses(
        rows=int(a.size),
        champion_loss=float(a.sum()),
        candidate_loss=float(b.sum()),
        sum_difference=float(difference.sum()),
        sum_squared_difference=float((difference**2).sum()),
    )


@dataclass(frozen=True)
class SequentialLook:
    """One look: the statistic (log mixture ratio), the boundary log(1/alpha) and the decision."""

    rows: int
    mean_difference: float
    log_ratio: float
    boundary: float
    p_value: float
    decision: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def log_mixture_ratio(totals: PairedLosses, mixing_scale: float = MIXING_SCALE) -> float:
    """log of the mSPRT ratio for H0: mean difference 0 (normal mixture, plug-in variance)."""
    if totals.rows < 2:
        return 0.0
    variance = max(totals.variance, _VARIANCE_FLOOR)
    shrink = totals.rows * mixing_scale**2  # n tau^2 / sigma^2
    z_squared = totals.rows * totals.mean_difference**2 / variance
    return -0.5 * math.log1p(shrink) + (shrink / (1.0 + shrink)) * z_squared / 2.0


def msprt_look(
    totals: PairedLosses,
    *,
    alpha: float,
    min_rows: int,
    previous_p: float = 1.0,
    mixing_scale: float = MIXING_SCALE,
) -> SequentialLook:
    """Look at the evidence so far: the always-valid p (running minimum of 1/ratio) and the decision.

    Parameters
    ----------
    totals : PairedLosses
        Every row so far (differences are candidate minus champion: negative favours the candidate).
    alpha : float
        Error rate of the test over all looks together.
    min_rows : int
        No decision (and no p-value update) before this many rows; the statistic is reported anyway.
    previous_p : float
        The always-valid p after the previous look (1 at the first).
    """
    boundary = math.log(1.0 / alpha)
    log_ratio = log_mixture_ratio(totals, mixing_scale)
    if totals.rows < max(min_rows, 2):  # shown, but neither the p-value nor a decision moves yet
        return SequentialLook(totals.rows, totals.mean_difference, log_ratio, boundary, previous_p, None)
    p_value = min(previous_p, math.exp(-log_ratio) if log_ratio > 0 else 1.0)
    decision = None
    if p_value < alpha and totals.mean_difference != 0:
        decision = CANDIDATE if totals.mean_difference < 0 else CHAMPION
    return SequentialLook(totals.rows, totals.mean_difference, log_ratio, boundary, p_value, decision)
