"""Choosing among candidates on a small held-out set: a near tie goes to the candidate that learned from
more rows, so the choice does not flip with one row; a candidate that is really better still wins.

The rows are simulated as the demo's held-out rows are: label noise both models get wrong, plus each
model's own errors. ``small`` learned from 400 rows (``since_change`` after the change), ``large`` from
3,200 (the registry's first model, trained on the world that came back)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from runs import binomial_upper

from drift_retrain.workflow.evaluate_candidate.metrics import mcnemar_test
from drift_retrain.workflow.evaluate_candidate.selection import select_best

pytestmark = pytest.mark.statistical

ALPHA = 0.05
NOISE = 0.03  # labels flipped: every model gets these rows wrong


@dataclass(frozen=True)
class Candidate:
    item: dict[str, Any]
    metrics: dict[str, float]
    correct: np.ndarray


def _candidate(index: int, strategy: str, learned: int, correct: np.ndarray) -> Candidate:
    item = {"id": f"candidate-{index}", "strategy": strategy, "rows": {"train": learned, "validation": 0}}
    return Candidate(item, {"error_rate": float(1.0 - correct.mean())}, correct)


def _paired(leader: Candidate, other: Candidate) -> float:
    return mcnemar_test(leader.correct, other.correct).p_value


def _draw(rng: np.random.Generator, rows: int, small_own: float, large_own: float) -> list[Candidate]:
    noisy = rng.random(rows) < NOISE
    small = ~noisy & (rng.random(rows) >= small_own)
    large = ~noisy & (rng.random(rows) >= large_own)
    return [_candidate(1, "since_change", 400, small), _candidate(3, "registry", 3_200, large)]


def _choices(seed: int, rows: int, small_own: float, large_own: float, trials: int) -> tuple[float, float]:
    """Share of draws in which the large candidate is chosen: by the lowest error, and by the rule."""
    rng = np.random.default_rng(seed)
    lowest = chosen = 0
    for _ in range(trials):
        scored = _draw(rng, rows, small_own, large_own)
        lowest += min(scored, key=lambda c: c.metrics["error_rate"]).item["strategy"] == "registry"
        chosen += select_best(scored, "error_rate", ALPHA, _paired).best.item["strategy"] == "registry"
    return lowest / trials, chosen / trials


@pytest.mark.parametrize("rows", [100, 200, 400])
def test_equally_good_candidates_go_to_the_one_that_learned_from_more_rows(rows):
    """Equal true error (6%): the lowest held-out error picks either about half the time; the rule picks
    the larger model unless the paired test finds the smaller significantly better (at most alpha)."""
    trials = 2_000
    lowest, chosen = _choices(rows, rows, 0.03, 0.03, trials)
    print(f"rows={rows} lowest error picks the large model {lowest:.3f}, the rule {chosen:.3f}")
    assert lowest < 0.6
    assert 1.0 - chosen <= binomial_upper(ALPHA, trials)


@pytest.mark.parametrize(("rows", "small_own", "large_own"), [(100, 0.0, 0.12), (200, 0.01, 0.08)])
def test_a_really_better_candidate_still_wins_with_fewer_rows(rows, small_own, large_own):
    """After an abrupt change the rows since the change beat a model of the old world by far: the small
    candidate keeps winning (power of the one-sided McNemar test at alpha)."""
    trials = 2_000
    _, chosen = _choices(rows * 3 + 1, rows, small_own, large_own, trials)
    print(
        f"rows={rows} own errors {small_own} vs {large_own}: the rule picks the small model {1 - chosen:.3f}"
    )
    assert 1.0 - chosen >= 0.9


def test_one_row_does_not_flip_the_choice():
    """The demo's loaded run: 6 vs 7 wrong of 100 picked the 400-row model; one row the other way picked
    the registry. The rule picks the registry both ways, and the 400-row model when it is far better."""
    rows = 100

    def pair(small_wrong: int, large_wrong: int) -> list[Candidate]:
        small = np.arange(rows) >= small_wrong
        large = np.arange(rows) < rows - large_wrong
        return [_candidate(1, "since_change", 400, small), _candidate(3, "registry", 3_200, large)]

    for small_wrong, large_wrong in [(6, 7), (7, 6), (6, 6)]:
        selection = select_best(pair(small_wrong, large_wrong), "error_rate", ALPHA, _paired)
        assert selection.best.item["strategy"] == "registry", (small_wrong, large_wrong)
        assert len(selection.tied) == 2
    far = select_best(pair(3, 15), "error_rate", ALPHA, _paired)
    assert far.best.item["strategy"] == "since_change" and far.reasons == []
