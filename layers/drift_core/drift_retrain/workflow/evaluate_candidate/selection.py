"""Which candidate is the best of k: a near tie on the held-out rows goes to the one that learned from more.

The candidate with the lowest error leads. Another candidate is tied with it when the one-sided paired
test "the leader is better" on the same held-out rows is not significant at ``alpha`` (McNemar for
classes, the seeded paired bootstrap for RMSE): the held-out rows cannot tell the two apart, so their
order is one or two rows' luck. Among the tied candidates the one that learned from the most rows
(training plus validation: a registry model counts the rows it was trained on) is the best; equal rows
go to the earlier strategy in ``CandidateStrategies``. With errors indistinguishable, the model fitted on
more rows of the same world has the smaller variance, and the choice no longer flips with one row.

The promotion test is unchanged: whichever candidate is chosen is tested against the champion at
``alpha / k``, and Bonferroni bounds the chance that any of the k candidates passes by luck at ``alpha``
whatever rule picks among them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from drift_retrain.reports.formatting import fmt_num

__all__ = ["Selection", "learned_rows", "select_best"]

#: ``paired(leader, other) -> p``: the one-sided p-value of "the leader is better than the other".
PairedP = Callable[[Any, Any], float]


@dataclass(frozen=True)
class Selection:
    """The best candidate, the leader (lowest error), the candidates tied with it, and why."""

    best: Any
    leader: Any
    tied: list[Any]
    reasons: list[str]


def learned_rows(item: Any) -> int:
    """Rows a candidate learned from: its training and validation rows (its window, or a registry
    model's original training)."""
    rows = item.get("rows") or {}
    return int(rows.get("train") or 0) + int(rows.get("validation") or 0)


def select_best(scored: Sequence[Any], primary: str, alpha: float, paired: PairedP) -> Selection:
    """The best of ``scored`` (in ``CandidateStrategies`` order; each with ``metrics`` and ``item``)."""
    leader = min(scored, key=lambda c: float(c.metrics[primary]))  # first on an exact tie
    tied: list[Any] = []
    p_values: dict[int, float] = {}
    for candidate in scored:
        if candidate is leader:
            tied.append(candidate)
            continue
        p_value = float(paired(leader, candidate))
        if p_value >= alpha:
            tied.append(candidate)
            p_values[id(candidate)] = p_value
    best = max(tied, key=lambda c: learned_rows(c.item))  # first of the most rows: the earlier strategy
    if best is leader:
        return Selection(best, leader, tied, [])
    reason = (
        f"{best.item['id']} ({best.item.get('strategy')}) tied with the lowest {primary}, "
        f"{leader.item['id']} ({leader.item.get('strategy')}): {fmt_num(float(best.metrics[primary]))} vs "
        f"{fmt_num(float(leader.metrics[primary]))} on the same rows, p = {p_values[id(best)]:.3g} "
        f"(alpha {fmt_num(alpha)}); it learned from more rows ({learned_rows(best.item):,} vs "
        f"{learned_rows(leader.item):,})"
    )
    return Selection(best, leader, tied, [reason])
