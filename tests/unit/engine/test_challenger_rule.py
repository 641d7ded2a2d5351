"""The challenger's rule (``engine.challenger``): the expected gain, and the state it advances."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from drift_retrain.engine.challenger import (
    CHALLENGE,
    NEWEST,
    NO_CHALLENGE,
    PROBE,
    TREND,
    Batch,
    ChallengerSettings,
    Point,
    Probe,
    _p_upper,
    advance,
    expected_gain,
    probe_due,
)
from drift_retrain.exceptions import ConfigError

RULE = {"regression": False, "concept_margin": 0.02, "loss_margin": 0.10, "alpha": 0.05}
STEP = {
    "today": "2026-12-06",
    "challenge_jobs": 1,
    "retrain_jobs": 2,
    "regression": False,
    "concept_margin": 0.02,
    "loss_margin": 0.10,
    "alpha": 0.05,
    "min_labelled_rows": 500,
}
ON = ChallengerSettings(every_batches=3, max_jobs_per_day=2)


def _points(errors, rows=2000):
    return [Point(e, rows) for e in errors]


def test_a_steady_rise_is_a_gain_worth_a_challenger():
    gain = expected_gain(_points([0.21, 0.22, 0.24, 0.25, 0.27, 0.29]), **RULE)
    assert gain.worth and gain.trend_p < 0.001
    assert gain.estimate == pytest.approx(0.08, abs=0.01)


def test_a_flat_error_is_no_gain_however_high():
    gain = expected_gain(_points([0.25, 0.26, 0.25, 0.24, 0.25, 0.26]), **RULE)
    assert not gain.worth and gain.estimate == 0.0
    assert "no rise" in gain.why


def test_a_significant_rise_below_the_margin_is_not_worth_a_job():
    gain = expected_gain(_points([0.050, 0.055, 0.060, 0.065], rows=1_000_000), **RULE)
    assert gain.trend_p < 0.025 and not gain.worth
    assert "less than the concept margin" in gain.why


def test_the_newest_batch_alone_can_show_the_gain():
    """A jump on the newest batch that the concept test (margin in its null) does not call drift."""
    gain = expected_gain(_points([0.10, 0.10, 0.10, 0.10, 0.14]), **RULE)
    assert gain.newest_p < 0.025 and gain.worth
    assert gain.estimate == pytest.approx(0.04)


def test_too_few_batches_are_not_judged():
    gain = expected_gain(_points([0.1, 0.5]), **RULE)
    assert not gain.worth and gain.batches == 2 and "needs 3" in gain.why


def test_a_loss_is_judged_on_the_batches_own_scatter_and_a_relative_margin():
    rising = expected_gain(_points([1.0, 1.1, 1.25, 1.3, 1.45]), **{**RULE, "regression": True})
    assert rising.worth and rising.min_gain == pytest.approx(0.1 * np.mean([1.0, 1.1, 1.25, 1.3]))
    noisy = expected_gain(_points([1.0, 1.6, 0.9, 1.5, 1.2]), **{**RULE, "regression": True})
    assert not noisy.worth


def _stream(rng, errors, rows):
    return [Point(rng.binomial(rows, e) / rows, rows) for e in errors]


@pytest.mark.parametrize("error, rows", [(0.05, 2000), (0.25, 2000), (0.25, 500)])
def test_a_stationary_stream_rarely_challenges(error, rows):
    """Seeded: on errors that do not move, the rule finds a gain worth a job in under 1.5% of looks (the two tests together are bounded by alpha, 5%)."""
    rng = np.random.default_rng(20261206)
    looks = [expected_gain(_stream(rng, [error] * 8, rows), **RULE).worth for _ in range(2000)]
    assert np.mean(looks) < 0.015


def test_a_steadily_drifting_stream_challenges():
    """Seeded: an error rising 0.01 a batch (the hyperplane whose training file spanned the drift) is
    seen in a third of the looks over 4 batches, and in nearly all over 6."""
    rng = np.random.default_rng(7)
    four = [expected_gain(_stream(rng, [0.21, 0.22, 0.23, 0.24], 2000), **RULE).worth for _ in range(500)]
    six = [expected_gain(_stream(rng, np.linspace(0.21, 0.26, 6), 2000), **RULE).worth for _ in range(500)]
    assert np.mean(four) > 0.25
    assert np.mean(six) > 0.9


def _run(state, batch_id, error, *, model="m1", retrains=False, settings=ON, **changes):
    point = None if error is None else Point(error, 2000)
    batch = Batch(batch_id, model, point, labelled_rows=2000, retrains=retrains)
    return advance(state, batch, settings, **{**STEP, **changes})


def test_the_state_counts_batches_and_challenges_when_due_and_worth_it():
    state: dict = {}
    decisions = []
    for i, error in enumerate([0.20, 0.22, 0.24, 0.26, 0.28]):
        state, block, changed = _run(state, f"b{i}", error)
        assert changed
        decisions.append((block["due"], block["decision"]))
    # due from the third batch; the gain shows with the third point
    assert (
        decisions
        == [(False, NO_CHALLENGE), (False, NO_CHALLENGE), (True, CHALLENGE)] + [(False, NO_CHALLENGE)] * 2
    )
    assert state["jobs_today"] == 1 and state["since"] == 2


def test_a_repeated_batch_gets_its_decision_back_and_spends_nothing():
    state: dict = {}
    for i, error in enumerate([0.20, 0.24, 0.28]):
        state, block, _ = _run(state, f"b{i}", error)
    again, repeated, changed = _run(state, "b2", 0.28)
    assert not changed and repeated == block and again["jobs_today"] == 1


def test_a_retrain_resets_the_count_and_spends_the_budget():
    state, _, _ = _run({}, "b0", 0.2)
    state, block, _ = _run(state, "b1", 0.21, retrains=True)
    assert block["decision"] == NO_CHALLENGE and "loss evidence" in block["why"]
    assert state["jobs_today"] == 2 and state["since"] == 0
    for i, error in enumerate([0.22, 0.26, 0.30], start=2):
        state, block, _ = _run(state, f"b{i}", error)
    assert "budget is spent" in block["why"] and block["budget_left"] == 0
    state, block, _ = _run(state, "b5", 0.32, today="2026-12-07")
    assert block["decision"] == CHALLENGE and state["jobs_today"] == 1


def test_a_new_serving_model_starts_its_own_history():
    state: dict = {}
    for i, error in enumerate([0.20, 0.24, 0.28]):
        state, _, _ = _run(state, f"b{i}", error, settings=ChallengerSettings(every_batches=5))
    state, block, _ = _run(state, "b3", 0.05, model="m2")
    assert state["history"] == [{"error": 0.05, "rows": 2000}] and block["batches_since"] == 1


def test_an_unlabelled_batch_does_not_count():
    state, _, _ = _run({}, "b0", 0.2)
    after, block, changed = _run(state, "b1", None)
    assert not changed and after == state and "does not count" in block["why"]


def test_settings_refuse_negative_values():
    with pytest.raises(ConfigError):
        ChallengerSettings(every_batches=-1)
    assert ChallengerSettings.from_env({"CHALLENGER_EVERY_BATCHES": "4"}).every_batches == 4
    with pytest.raises(ConfigError, match="whole number"):
        ChallengerSettings.from_env({"CHALLENGER_MAX_JOBS_PER_DAY": "x"})


def test_the_defaults_are_the_settings_schemas():
    from drift_retrain.settings.schema import by_key

    settings = by_key()
    assert ChallengerSettings().every_batches == settings["challenger_every_batches"].default
    assert ChallengerSettings().max_jobs_per_day == settings["challenger_max_jobs_per_day"].default


def _stream_challenges(errors_of, batches: int, seed: int) -> int:
    """Challenges over ``batches`` labelled batches of 1,000 rows through ``advance`` (every 4 batches,
    no budget limit); ``errors_of(age)`` is the serving error of a model ``age`` batches old, and a
    challenge is taken to win (a fresh model serves from the next batch)."""
    rng = np.random.default_rng(seed)
    settings = ChallengerSettings(every_batches=4, max_jobs_per_day=10_000)
    state: dict = {}
    model, age, challenges = 0, 0, 0
    for i in range(batches):
        error = rng.binomial(1000, errors_of(age)) / 1000
        batch = Batch(f"b{i}", f"m{model}", Point(error, 1000), labelled_rows=1000, retrains=False)
        state, block, _ = advance(state, batch, settings, **STEP)
        age += 1
        if block["decision"] == CHALLENGE:
            challenges, model, age = challenges + 1, model + 1, 0
    return challenges


def test_over_a_long_stream_a_calm_one_stays_quiet_and_a_drifting_one_is_challenged_regularly():
    """Seeded, 400 batches each: at most one challenger per 50 batches where nothing moves (0.10 or 0.25
    error); at least one per 8 where each model's error rises 0.01 a batch from 0.10."""
    assert _stream_challenges(lambda age: 0.10, 400, seed=1) <= 400 / 50
    assert _stream_challenges(lambda age: 0.25, 400, seed=2) <= 400 / 50
    assert _stream_challenges(lambda age: min(0.10 + 0.01 * age, 0.45), 400, seed=3) >= 400 / 8


def _probe(gain, sd=0.25, rows=2000, champion_loss=0.2):
    return Probe(rows=rows, gain=gain, variance=sd**2, champion_loss=champion_loss)


def test_a_probe_that_beats_a_flat_champion_is_a_gain_without_any_rise():
    flat = _points([0.20] * 6)
    gain = expected_gain(flat, **RULE, probe=_probe(0.05))
    assert gain.worth and gain.signal == PROBE and gain.estimate == 0.05
    assert gain.probe_p < 0.025 and gain.trend_p > 0.025 and gain.probe_min_gain == 0.02
    assert "probe fitted on this batch's rows beat the champion there by 0.05" in gain.why
    # the probe alone is judged before the history can show a rise
    assert expected_gain(flat[:1], **RULE, probe=_probe(0.05)).worth


def test_a_probe_gain_below_the_margin_or_not_significant_is_no_reason():
    flat = _points([0.20] * 6)
    small = expected_gain(flat, **RULE, probe=_probe(0.015, sd=0.1))
    assert small.probe_p < 0.025 and not small.worth and "less than the concept margin" in small.why
    noisy = expected_gain(flat, **RULE, probe=_probe(0.03, sd=0.5, rows=300))
    assert noisy.probe_p > 0.025 and not noisy.worth and noisy.signal is None


def test_the_larger_significant_signal_is_the_estimate():
    rising = _points([0.20, 0.22, 0.24, 0.26, 0.28])
    assert expected_gain(rising, **RULE, probe=_probe(0.03)).signal in (TREND, NEWEST)
    assert expected_gain(rising, **RULE, probe=_probe(0.2)).signal == PROBE


def test_a_regression_probe_gain_is_relative_to_the_champions_loss():
    flat = _points([4.0] * 6)
    rule = {**RULE, "regression": True}
    assert expected_gain(flat, **rule, probe=_probe(0.6, sd=2.0, champion_loss=4.0)).worth
    below = expected_gain(flat, **rule, probe=_probe(0.3, sd=1.0, champion_loss=4.0))
    assert below.probe_min_gain == pytest.approx(0.4) and not below.worth


@pytest.mark.parametrize(
    ("state", "due"),
    [
        ({}, False),  # the first batch of a model: 1 of 3
        ({"model": "m1", "since": 2, "day": "2026-12-06", "jobs_today": 1}, True),
        ({"model": "m1", "since": 2, "day": "2026-12-06", "jobs_today": 2}, False),  # budget spent
        ({"model": "m1", "since": 2, "day": "2026-12-05", "jobs_today": 2}, True),  # a new day
        ({"model": "m0", "since": 2}, False),  # a new serving model counts afresh
    ],
)
def test_a_probe_is_fitted_only_when_a_challenge_could_start(state, due):
    assert probe_due(state, ON, model="m1", today="2026-12-06", challenge_jobs=1) is due
    assert not probe_due(
        state, ChallengerSettings(every_batches=0), model="m1", today="2026-12-06", challenge_jobs=1
    )


def test_the_state_passes_the_batchs_probe_to_the_rule():
    state: dict = {}
    for i in range(2):
        state, block, _ = _run(state, f"b{i}", 0.2)
    batch = Batch("b2", "m1", Point(0.2, 2000), labelled_rows=2000, retrains=False, probe=_probe(0.05))
    state, block, _ = advance(state, batch, ON, **STEP)
    assert block["decision"] == CHALLENGE and block["gain"]["signal"] == PROBE
    assert block["gain"]["probe_gain"] == 0.05 and block["gain"]["probe_rows"] == 2000


@pytest.mark.parametrize("df", [None, 1, 2, 5, 30, 1_000])
def test_the_one_sided_p_is_scipy_stats_own_survival_function(df):
    """The rule reads norm and t through scipy.special (no scipy.stats import at cold start): same bits."""
    for z in [*np.random.default_rng(3).normal(0.0, 3.0, 200), 0.0, 40.0, -40.0]:
        expected = stats.norm.sf(z) if df is None else stats.t.sf(z, df)
        assert _p_upper(z, 1.0, df) == float(expected), (z, df)
