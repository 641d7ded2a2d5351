"""The A/B test's mSPRT stays valid under repeated looks: with EQUAL variants it promotes the candidate at
most alpha of the time over 20 looks at unplanned batch sizes, and it still finds a realistic gain.

The simulation follows what DetectDrift sees: each labelled row is scored by both variants, so each row
gives a pair of 0/1 errors, correlated (hard rows are hard for both models).
"""

from __future__ import annotations

import numpy as np
import pytest
from runs import binomial_upper

from drift_retrain.engine.stats.sequential import CANDIDATE, CHAMPION, PairedLosses, msprt_look, paired_losses

pytestmark = pytest.mark.statistical

ALPHA = 0.05
MIN_ROWS = 200
LOOKS = 20
SIMULATIONS = 2_000


def _paired_errors(
    rng: np.random.Generator, rows: int, champion_rate: float, candidate_rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """0/1 errors of both variants on the same rows: a shared 'hard row' draw makes them correlated."""
    hard = rng.random(rows) < 0.5
    lift = 0.5 * min(champion_rate, candidate_rate)  # hard rows are this much more often wrong for both
    u = rng.random(rows)
    v = rng.random(rows)
    champion = u < np.where(hard, champion_rate + lift, champion_rate - lift)
    candidate = v < np.where(hard, candidate_rate + lift, candidate_rate - lift)
    return champion.astype(float), candidate.astype(float)


def simulate(seed: int, champion_rate: float, candidate_rate: float) -> tuple[str | None, int]:
    """One A/B test of up to ``LOOKS`` batches of 50 to 400 rows; its decision and the looks it took."""
    rng = np.random.default_rng(seed)
    totals, p_value = PairedLosses(), 1.0
    for look in range(1, LOOKS + 1):
        champion, candidate = _paired_errors(rng, int(rng.integers(50, 401)), champion_rate, candidate_rate)
        totals = totals.plus(paired_losses(champion, candidate))
        result = msprt_look(totals, alpha=ALPHA, min_rows=MIN_ROWS, previous_p=p_value)
        p_value = result.p_value
        if result.decision:
            return result.decision, look
    return None, LOOKS


def decisions(champion_rate: float, candidate_rate: float, seed: int) -> dict[str | None, int]:
    counts: dict[str | None, int] = {CANDIDATE: 0, CHAMPION: 0, None: 0}
    for simulation in range(SIMULATIONS):
        decision, _ = simulate(seed * 100_003 + simulation, champion_rate, candidate_rate)
        counts[decision] += 1
    return counts


@pytest.mark.parametrize("error_rate", [0.05, 0.2, 0.4])
def test_equal_variants_promote_the_candidate_at_most_alpha_of_the_time(error_rate):
    counts = decisions(error_rate, error_rate, seed=int(error_rate * 100))
    false_promotion = counts[CANDIDATE] / SIMULATIONS
    any_decision = (counts[CANDIDATE] + counts[CHAMPION]) / SIMULATIONS
    print(
        f"equal variants at {error_rate:.0%} error, {LOOKS} looks, {SIMULATIONS} simulations: "
        f"false promotion {false_promotion:.4f}, any decision {any_decision:.4f}"
    )
    assert false_promotion <= binomial_upper(ALPHA, SIMULATIONS)
    assert any_decision <= binomial_upper(ALPHA, SIMULATIONS)


@pytest.mark.parametrize(
    ("champion_rate", "candidate_rate", "power"), [(0.20, 0.15, 0.95), (0.20, 0.17, 0.7), (0.10, 0.07, 0.9)]
)
def test_a_realistic_gain_is_found_and_credited_to_the_candidate(champion_rate, candidate_rate, power):
    """Power within 20 looks (about 4,500 rows at most); the print says how many looks it took."""
    counts = decisions(champion_rate, candidate_rate, seed=7)
    looks = [simulate(7 * 100_003 + s, champion_rate, candidate_rate)[1] for s in range(200)]
    print(
        f"champion {champion_rate:.0%} vs candidate {candidate_rate:.0%}: candidate wins "
        f"{counts[CANDIDATE] / SIMULATIONS:.3f}, champion wins {counts[CHAMPION] / SIMULATIONS:.4f}, "
        f"median looks {np.median(looks):.0f}"
    )
    assert counts[CANDIDATE] / SIMULATIONS >= power
    assert counts[CHAMPION] == 0


def test_a_worse_candidate_is_sent_back():
    counts = decisions(0.15, 0.20, seed=3)
    assert counts[CHAMPION] / SIMULATIONS >= 0.8
    assert counts[CANDIDATE] == 0
