"""Pure statistical tests (numpy/scipy only, no I/O). Each function documents its null hypothesis."""

from drift_retrain.engine.stats.categories import MIN_EXPECTED, category_test
from drift_retrain.engine.stats.concept import ConceptTest, error_rate_test, loss_test, loss_test_from_moments
from drift_retrain.engine.stats.contingency import missing_rate_test
from drift_retrain.engine.stats.dependence import effective_size, lag1_autocorrelation, variance_inflation
from drift_retrain.engine.stats.effect import corrected_w
from drift_retrain.engine.stats.ks import ks_against_profile, ks_pvalue
from drift_retrain.engine.stats.multiple_testing import adjust_pvalues
from drift_retrain.engine.stats.psi import psi
from drift_retrain.engine.stats.ranges import beyond_range_test, earlier_test
from drift_retrain.engine.stats.repeats import pair_moments, repeat_test
from drift_retrain.engine.stats.result import Outcome
from drift_retrain.engine.stats.unseen import unseen_test

__all__ = [
    "MIN_EXPECTED",
    "ConceptTest",
    "Outcome",
    "adjust_pvalues",
    "beyond_range_test",
    "category_test",
    "corrected_w",
    "earlier_test",
    "effective_size",
    "error_rate_test",
    "ks_against_profile",
    "ks_pvalue",
    "lag1_autocorrelation",
    "loss_test",
    "loss_test_from_moments",
    "missing_rate_test",
    "pair_moments",
    "psi",
    "repeat_test",
    "unseen_test",
    "variance_inflation",
]
