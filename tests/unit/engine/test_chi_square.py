"""The chi-square test of a contingency table gives scipy's ``chi2_contingency`` results exactly."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from drift_retrain.engine.stats.chi_square import chi_square, expected_counts


@pytest.mark.parametrize("yates", [True, False])
def test_statistic_dof_and_p_value_are_scipys_for_any_table(yates):
    rng = np.random.default_rng(11)
    for _ in range(500):
        rows, columns = rng.integers(2, 4), rng.integers(1, 25)
        table = rng.integers(1, rng.choice([3, 40, 5000]), (rows, columns)).astype(float)
        if columns > 1 and rng.random() < 0.3:
            table[rng.integers(rows), rng.integers(columns)] = 0  # a zero cell, rows and columns kept
        expected = stats.chi2_contingency(table, correction=yates)
        got = chi_square(table, yates=yates)
        assert got.dof == expected.dof
        assert got.statistic == pytest.approx(expected.statistic, rel=1e-12, abs=1e-300)
        assert got.pvalue == pytest.approx(expected.pvalue, rel=1e-12, abs=1e-300)


def test_yates_moves_a_count_at_most_half_way_to_its_expectation():
    table = np.array([[10.0, 10.2], [10.0, 9.8]])  # |observed - expected| = 0.1 < 0.5
    assert chi_square(table, yates=True).statistic == 0.0
    assert chi_square(table, yates=False).statistic > 0.0


def test_one_column_has_no_degrees_of_freedom_and_an_empty_one_is_refused():
    assert chi_square(np.array([[3.0], [4.0]])) == (0.0, 1.0, 0)
    with pytest.raises(ValueError, match="empty row or column"):
        chi_square(np.array([[3.0, 0.0], [4.0, 0.0]]))


def test_expected_counts_are_scipys_and_zero_across_an_empty_column():
    rng = np.random.default_rng(12)
    for table in [*rng.integers(0, 300, (200, 2, 2)), np.array([[10, 0], [5, 0]])]:
        np.testing.assert_array_equal(expected_counts(table), stats.contingency.expected_freq(table))
