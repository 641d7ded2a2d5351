"""The rows the champion gets wrong: bounded, surest mistakes first (seeded without probabilities), the
batch's columns with the prediction, its probability and the file line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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
    assert set(sample[0]) == {"y", "x", "city", "prediction", "probability", "row", "line"}
    assert sample[0]["probability"] is None and sample[0]["line"] is None  # hard 0/1 answers, no lines


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
    assert [r["squared_error"] for r in sample] == [36.0, 16.0]
    one = sample_misclassified(rows, predictions, losses, task="regression", classes=(), seed=0, limit=3)
    assert [r["row"] for r in one] == [3, 4, 1] and one[2]["x"] is None


def test_with_probabilities_the_surest_mistakes_come_first_with_their_probability():
    rows = _rows(100)
    truth = rows["y"].astype(int).to_numpy()
    rng = np.random.default_rng(3)
    sure = rng.uniform(0.5, 1.0, 100)  # the probability of the answer given
    wrong = np.arange(100) % 3 == 0
    answer = np.where(wrong, 1 - truth, truth)
    predictions = np.where(answer == 1, sure, 1 - sure)
    losses = wrong.astype(float)
    sample = sample_misclassified(rows, predictions, losses, task="binary", classes=("0", "1"), seed=0)
    shown = [r["probability"] for r in sample]
    assert shown == sorted(shown, reverse=True) and len(sample) == MAX_MISCLASSIFIED
    assert shown[0] == pytest.approx(sure[wrong].max())
    assert min(shown) >= np.sort(sure[wrong])[-MAX_MISCLASSIFIED]


def test_rows_carry_their_file_line_when_the_reader_kept_it():
    rows = _rows(10)
    losses = np.zeros(10)
    losses[[1, 4]] = 1
    lines = np.arange(200) * 2 + 2  # a field spanning two lines per row
    sample = sample_misclassified(
        rows, _answers(rows, losses), losses, task="binary", classes=("0", "1"), seed=0, lines=lines
    )
    assert [(r["row"], r["line"]) for r in sample] == [(4, 8), (13, 26)]


def test_a_checked_csv_numbers_its_wrong_rows_by_file_line():
    from drift_retrain.engine.check import run_check
    from drift_retrain.engine.config import DriftConfig
    from drift_retrain.engine.performance import HoldoutPerformance
    from drift_retrain.engine.profile import build_profile
    from drift_retrain.engine.schema import infer_schema

    rng = np.random.default_rng(1)
    train = pd.DataFrame({"y": rng.integers(0, 2, 400), "x": rng.normal(size=400)})
    profile = build_profile(
        train, infer_schema(train, label="y"), holdout=HoldoutPerformance("binary", 400, 20)
    )
    text = 'y,x\n1,"0.5"\n0,"1.5\n"\n1,2.5\n' + "".join(f"1,{v:.3f}\n" for v in rng.normal(size=200))

    def predictor(frame: pd.DataFrame) -> np.ndarray:
        return np.full(len(frame), 0.2)  # answers 0 with probability 0.8: wrong on every y = 1

    report = run_check(text.encode(), profile, DriftConfig(), predictor=predictor).to_dict()
    first = {r["row"]: r["line"] for r in report["concept_drift"]["misclassified"]}
    assert first[1] == 2 and first[3] == 5  # row 2 spans lines 3-4, so row 3 starts on line 5


def _answers(rows: pd.DataFrame, losses: np.ndarray) -> np.ndarray:
    truth = rows["y"].astype(int).to_numpy()
    return np.where(losses > 0, 1 - truth, truth).astype(float)
