"""The challenger's probe (``engine.probe`` tested by ``engine.challenger.expected_gain``): a champion that
fits its stream is rarely challenged, one that learnt an older concept is challenged though its error is
flat. Simulated hyperplanes and linear regressions, fixed seeds, the rule's defaults."""

from __future__ import annotations

import numpy as np
import pytest
from runs import binomial_upper

from drift_retrain.engine.challenger import PROBE, Point, Probe, expected_gain
from drift_retrain.engine.probe import probe_losses

pytestmark = pytest.mark.statistical

ALPHA, MARGIN, LOSS_MARGIN = 0.05, 0.02, 0.10
RULE = {"concept_margin": MARGIN, "loss_margin": LOSS_MARGIN, "alpha": ALPHA}
ROWS, FEATURES, NOISE = 1_500, 10, 0.05
#: Eight batches of flat error served before the probe's batch: no rise to see.
FLAT = 8


def _rotated(w: np.ndarray, degrees: float, rng: np.random.Generator) -> np.ndarray:
    """``w`` turned by ``degrees`` towards a random orthogonal direction (same norm)."""
    other = rng.normal(size=w.shape)
    other -= other @ w / (w @ w) * w
    other *= np.linalg.norm(w) / np.linalg.norm(other)
    angle = np.radians(degrees)
    return np.cos(angle) * w + np.sin(angle) * other


def _hyperplane_gain(seed: int, champion_degrees: float, concept: str = "linear"):
    """One labelled batch of a hyperplane (5% label noise) or a circle; the champion is the true rule
    turned by ``champion_degrees`` (0 to a few degrees: a well-fitted model)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(ROWS, FEATURES))
    w = rng.normal(size=FEATURES)
    if concept == "linear":
        truth = (x @ w > 0).astype(int)
        champion = (x @ _rotated(w, champion_degrees, rng) > 0).astype(int)
    else:  # a circle: a linear probe cannot learn it, the champion can
        radius = np.sum(x[:, :2] ** 2, axis=1)
        truth = champion = (radius < np.median(radius)).astype(int)
    y = np.where(rng.random(ROWS) < NOISE, 1 - truth, truth)
    return _gain(x, y, (champion != y).astype(float), "binary", seed)


def _gain(x, y, champion_losses, task: str, seed: int):
    gains = champion_losses - probe_losses(task, x, y, classes=2, seed=seed)
    probe = Probe(
        rows=len(gains),
        gain=float(gains.mean()),
        variance=float(gains.var(ddof=1)),
        champion_loss=float(champion_losses.mean()),
    )
    flat = [Point(float(champion_losses.mean()), ROWS)] * FLAT
    return expected_gain(flat, regression=task == "regression", probe=probe, **RULE)


@pytest.mark.parametrize(("degrees", "concept"), [(0.0, "linear"), (3.0, "linear"), (0.0, "circle")])
def test_a_champion_that_fits_its_stream_is_rarely_challenged(degrees, concept):
    trials = 300
    challenged = sum(_hyperplane_gain(seed, degrees, concept).worth for seed in range(trials))
    assert challenged / trials <= binomial_upper(0.01, trials)


def test_a_gain_of_half_the_margin_challenges_at_most_a_quarter_alpha():
    """A champion turned by 2 degrees loses about 1% to the true rule (half the margin): the null."""
    trials = 300
    results = [_hyperplane_gain(1_000 + seed, 2.0) for seed in range(trials)]
    assert sum(r.worth for r in results) / trials <= binomial_upper(ALPHA / 4, trials)


def test_a_champion_of_an_older_hyperplane_is_challenged_though_its_error_is_flat():
    """Turned by 15 degrees (the concept moved on): about 8% more errors than a fresh fit, every batch
    alike, so no rise shows; the probe sees it."""
    trials = 200
    results = [_hyperplane_gain(2_000 + seed, 15.0) for seed in range(trials)]
    assert all(r.trend_p is not None and r.trend_p > ALPHA / 2 for r in results)
    assert sum(r.worth and r.signal == PROBE for r in results) / trials >= 0.95
    assert np.median([r.estimate for r in results]) > 0.04


def _regression_gain(seed: int, degrees: float):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(ROWS, FEATURES))
    w = rng.normal(size=FEATURES)
    y = x @ w + rng.normal(0, 1.0, ROWS)
    champion = x @ _rotated(w, degrees, rng)
    return _gain(x, y, (champion - y) ** 2, "regression", seed)


def test_a_regression_champion_is_judged_on_a_relative_gain():
    trials = 200
    fits = [_regression_gain(3_000 + seed, 0.0).worth for seed in range(trials)]
    old = [_regression_gain(4_000 + seed, 20.0) for seed in range(trials)]
    assert sum(fits) / trials <= binomial_upper(0.01, trials)
    assert sum(r.worth and r.signal == PROBE for r in old) / trials >= 0.95
