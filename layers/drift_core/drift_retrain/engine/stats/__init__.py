"""Pure statistical tests (numpy/scipy only, no I/O). Each function documents its null hypothesis."""

from drift_retrain.engine.stats.concept import ConceptTest, error_rate_test, loss_test
from drift_retrain.engine.stats.contingency import category_test, missing_rate_test
from drift_retrain.engine.stats.ks import ks_against_profile, ks_pvalue
from drift_retrain.engine.stats.multiple_testing import adjust_pvalues
from drift_retrain.engine.stats.psi import psi

__all__ = [
    "ConceptTest",
    "adjust_pvalues",
    "category_test",
    "error_rate_test",
    "ks_against_profile",
    "ks_pvalue",
    "loss_test",
    "missing_rate_test",
    "psi",
]
