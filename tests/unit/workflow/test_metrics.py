"""Metrics and paired tests (pure)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from drift_retrain.workflow.evaluate_candidate.evaluation import EvaluationSettings, decide
from drift_retrain.workflow.evaluate_candidate.metrics import (
    classification_metrics,
    mcnemar_test,
    paired_bootstrap_test,
    regression_metrics,
    roc_auc,
)


def test_auc_matches_the_mann_whitney_statistic():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    s = rng.normal(size=500) + y
    u = stats.mannwhitneyu(s[y == 1], s[y == 0]).statistic
    assert roc_auc(y, s) == pytest.approx(u / (y.sum() * (500 - y.sum())))
    assert roc_auc(np.ones(5), np.arange(5)) is None


def test_binary_metrics():
    m = classification_metrics("binary", np.array([0, 1, 1, 0]), np.array([0.1, 0.9, 0.4, 0.2]))
    assert m["accuracy"] == 0.75 and m["error_rate"] == 0.25 and m["auc"] == 1.0
    assert m["log_loss"] == pytest.approx(-np.mean(np.log([0.9, 0.9, 0.4, 0.8])))


def test_multiclass_and_regression_metrics():
    assert classification_metrics("multiclass", np.array([0, 1, 2]), np.array([0.0, 2.0, 2.0]))[
        "accuracy"
    ] == pytest.approx(2 / 3)
    m = regression_metrics(np.array([1.0, 2.0]), np.array([2.0, 4.0]))
    assert m["mae"] == 1.5 and m["mse"] == 2.5 and m["rmse"] == pytest.approx(np.sqrt(2.5))


def test_mcnemar_is_the_exact_one_sided_binomial_on_discordant_rows():
    candidate = np.array([True] * 12 + [False] * 2 + [True] * 50)
    champion = np.array([False] * 12 + [True] * 2 + [True] * 50)
    test = mcnemar_test(candidate, champion)
    assert test.detail == {"candidate_only_correct": 12, "champion_only_correct": 2, "discordant": 14}
    assert test.p_value == pytest.approx(stats.binomtest(12, 14, 0.5, alternative="greater").pvalue)
    assert mcnemar_test(champion, candidate).p_value > 0.99
    assert mcnemar_test(candidate, candidate).p_value == 1.0


def test_paired_bootstrap_sees_a_better_candidate_and_not_an_equal_one():
    rng = np.random.default_rng(1)
    champion = rng.exponential(2.0, 400)
    better = champion * 0.7
    assert paired_bootstrap_test(better, champion, resamples=500).p_value < 0.01
    assert paired_bootstrap_test(champion, champion, resamples=500).p_value == 1.0
    assert paired_bootstrap_test(champion * 1.3, champion, resamples=500).p_value > 0.99
    assert (
        paired_bootstrap_test(better, champion, resamples=500, seed=3).p_value
        == paired_bootstrap_test(better, champion, resamples=500, seed=3).p_value
    )


def test_decision_needs_margin_and_significance():
    settings = EvaluationSettings(min_improvement=0.05, alpha=0.05)
    significant = mcnemar_test(np.array([True] * 30), np.array([False] * 30))
    not_significant = mcnemar_test(np.array([True, False]), np.array([False, True]))
    win = decide("binary", {"error_rate": 0.05}, {"error_rate": 0.30}, significant, settings)
    assert win.promote and win.decision == "promote" and win.relative_improvement == pytest.approx(5 / 6)
    small = decide("binary", {"error_rate": 0.29}, {"error_rate": 0.30}, significant, settings)
    assert not small.promote and "improvement below the minimum" in small.reasons[0]
    noise = decide("binary", {"error_rate": 0.05}, {"error_rate": 0.30}, not_significant, settings)
    assert not noise.promote and "not significant" in noise.reasons[0]
    first = decide("regression", {"rmse": 1.0}, None, None, settings)
    assert first.promote and first.decision == "first_deployment"


def test_a_split_alpha_reads_with_three_significant_digits():
    """Alpha split over three candidates is 0.0166...: the reason says 0.0167, not 0.0166667."""
    settings = EvaluationSettings(min_improvement=0.05, alpha=0.05 / 3)
    test = mcnemar_test(np.array([True] * 30), np.array([False] * 30))
    reasons = decide("binary", {"error_rate": 0.05}, {"error_rate": 0.30}, test, settings).reasons
    assert any("(alpha 0.0167)" in reason for reason in reasons), reasons
    assert not any("0.0166667" in reason for reason in reasons)
