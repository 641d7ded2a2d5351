"""Numbers for people: one precision rule everywhere."""

from __future__ import annotations

import math

import pytest

from drift_retrain.reports.formatting import (
    fmt_count,
    fmt_counted,
    fmt_num,
    fmt_p,
    fmt_rate,
    fmt_seconds,
    metric_label,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2.1566794387366062e-91, "< 0.0001"),
        (0.00004, "< 0.0001"),
        (0.00023, "0.00023"),
        (0.0312, "0.031"),
        (0.5, "0.5"),
        (1.0, "1"),
        (None, "-"),
        (math.nan, "-"),
    ],
)
def test_p_values_have_two_digits_and_a_floor(value, text):
    assert fmt_p(value) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [(470.5, "470"), (0.03055, "0.0306"), (1795.3, "1,795"), (0.1, "0.1"), (0.0004, "< 0.001"), (0, "0")],
)
def test_statistics_have_three_significant_digits(value, text):
    assert fmt_num(value) == text


def test_rates_counts_and_durations_read_as_people_say_them():
    assert fmt_rate(0.037) == "3.7%" and fmt_rate(0.0004) == "< 0.1%" and fmt_rate(1.0) == "100.0%"
    assert fmt_count(1234567) == "1,234,567"
    assert (
        fmt_seconds(4.24) == "4.2 s"
        and fmt_seconds(185) == "3 min 05 s"
        and fmt_seconds(3720) == "1 h 02 min"
    )
    assert metric_label("error_rate") == "error rate" and metric_label("rmse") == "RMSE"


def test_wilson_interval_covers_the_rate_and_narrows_with_rows():
    low, high = wilson_interval(0.4, 100)
    assert low < 0.4 < high
    low_big, high_big = wilson_interval(0.4, 10_000)
    assert high_big - low_big < (high - low) / 5
    assert wilson_interval(0.0, 50)[0] == 0.0 and wilson_interval(None, 10) is None


def test_counts_take_the_singular_or_the_plural():
    assert (
        fmt_counted(1, "batch", "batches") == "1 batch" and fmt_counted(3, "batch", "batches") == "3 batches"
    )
    assert fmt_counted(1, "candidate") == "1 candidate" and fmt_counted(2, "candidate") == "2 candidates"
    assert fmt_counted(0, "candidate") == "0 candidates" and fmt_counted(1200, "row") == "1,200 rows"
    assert fmt_counted(None, "batch", "batches") == "? batches"
