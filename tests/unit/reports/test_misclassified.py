"""The rows the champion gets wrong: bounded, seeded, the batch's columns with the prediction."""

from __future__ import annotations

import numpy as np
import pandas as pd

from drift_retrain.engine.misclassified import MAX_MISCLASSIFIED, sample_misclassified


def _rows(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {"y": rng.integers(0, 2, n).astype(str), "x": rng.normal(size=n), "city": ["a", "b"] * (n // 2)},
        index=np.arange(n) * 3,  # the labelled rows keep their place in the batch
    )


def _sample(rows: pd.DataFrame, losses: np.ndarray, seed: int) -> list[dict]:
    truth = rows["y"].astype(int).to_numpy()
    predictions = np.where(losses > 0, 1 - truth, truth).astype(float)
    return sample_misclassified(rows, predictions, losses, task="binary", classes=("0", "1"), seed=seed)


def test_the_sample_is_bounded_and_holds_only_wrong_rows():
    rows = _rows(1000)
    losses = (np.arange(1000) % 4 == 0).astype(float)  # 250 wrong
    sample = _sample(rows, losses, seed=0)
    assert len(sample) == MAX_MISCLASSIFIED == 20
    assert all(r["prediction"] != r["y"] for r in sample)
    assert all((r["row"] - 1) % 12 == 0 for r in sample)  # index 3*k with k % 4 == 0
    assert [r["row"] for r in sample] == sorted(r["row"] for r in sample)
    assert set(sample[0]) == {"y", "x", "city", "prediction", "row"}


def test_the_sample_is_seeded():
    rows = _rows(1000)
    losses = (np.arange(1000) % 4 == 0).astype(float)
    assert _sample(rows, losses, seed=7) == _sample(rows, losses, seed=7)
    assert _sample(rows, losses, seed=7) != _sample(rows, losses, seed=8)


def test_fewer_wrong_rows_than_the_bound_are_all_listed():
    rows = _rows(100)
    losses = np.zeros(100)
    losses[[5, 50]] = 1
    assert [r["row"] for r in _sample(rows, losses, seed=0)] == [16, 151]
    assert _sample(rows, np.zeros(100), seed=0) == []


def test_regression_lists_the_largest_errors_and_missing_values_become_null():
    rows = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "x": [np.nan, 1.0, 2.0, 3.0]})
    predictions = np.array([1.5, 2.0, 9.0, 0.0])
    losses = (predictions - rows["y"].to_numpy()) ** 2
    sample = sample_misclassified(rows, predictions, losses, task="regression", classes=(), seed=0, limit=2)
    assert [r["row"] for r in sample] == [3, 4] and sample[0]["prediction"] == 9.0
    one = sample_misclassified(rows, predictions, losses, task="regression", classes=(), seed=0, limit=3)
    assert one[0]["x"] is None
