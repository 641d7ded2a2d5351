"""The challenger's probe in the summary: fitted only when asked, its gains counted as moments that merge
across parts exactly and survive the partial summary's JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest
from summary_support import champion, draw, profile

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.probe import MAX_ROWS, min_probe_rows, probe_rows
from drift_retrain.engine.summary import PartialSummary, check_summary, summarize_frame
from drift_retrain.engine.summary.concept import ConceptCounts

CONFIG = DriftConfig()


def _frame(seed: int, rows: int = 3000):
    return draw(rows, np.random.default_rng(seed))


def test_no_probe_unless_asked():
    summary = summarize_frame(profile(), _frame(1), CONFIG, predictor=champion)
    assert summary.concept.rows > 0 and summary.concept.probe() is None
    assert check_summary(summary, profile(), CONFIG).concept.probe is None


def test_a_champion_that_fits_loses_nothing_to_the_probe_and_one_that_ignores_the_signal_does():
    frame = _frame(2)
    fits = summarize_frame(profile(), frame, CONFIG, predictor=champion, probe=True).concept
    probe = fits.probe()
    assert fits.rows > MAX_ROWS and probe.rows == MAX_ROWS  # a seeded sample bounds the fit
    assert probe.champion_loss == pytest.approx(fits.mean, abs=0.03)
    assert probe.gain < 0.01  # the champion is the true rule of x: a linear probe cannot beat it

    def blind(rows):  # the older concept: y followed -x
        return 1 - champion(rows)

    blind_probe = summarize_frame(profile(), frame, CONFIG, predictor=blind, probe=True).concept.probe()
    assert blind_probe.gain > 0.3
    report = check_summary(
        summarize_frame(profile(), frame, CONFIG, predictor=blind, probe=True), profile(), CONFIG
    )
    assert report.concept.probe == blind_probe and "probe" not in report.to_dict()["concept_drift"]


def _counts(gains: np.ndarray, losses: np.ndarray) -> ConceptCounts:
    mean = float(gains.mean())
    return ConceptCounts(
        probe_rows=len(gains),
        probe_mean=mean,
        probe_m2=float(((gains - mean) ** 2).sum()),
        probe_champion_loss=float(losses.sum()),
    )


def test_the_probes_moments_merge_as_one_pass_over_the_parts_and_survive_json():
    rng = np.random.default_rng(3)
    gains = [rng.choice([-1.0, 0.0, 1.0], n, p=[0.1, 0.7, 0.2]) for n in (400, 1300, 90)]
    losses = [rng.integers(0, 2, len(g)).astype(float) for g in gains]
    merged = (
        _counts(gains[0], losses[0]).merge(_counts(gains[1], losses[1])).merge(_counts(gains[2], losses[2]))
    )
    merged = ConceptCounts.from_json(json.loads(json.dumps(merged.to_json())))
    every, loss = np.concatenate(gains), np.concatenate(losses)
    probe = merged.probe()
    assert probe.rows == len(every)
    assert probe.gain == pytest.approx(every.mean()) and probe.variance == pytest.approx(every.var(ddof=1))
    assert probe.champion_loss == pytest.approx(loss.mean())


def test_a_partial_summary_written_before_the_probe_reads_as_none():
    data = summarize_frame(profile(), _frame(4), CONFIG, predictor=champion, part="p").to_json()
    del data["concept"]["probe"]
    assert PartialSummary.from_json(json.loads(json.dumps(data))).concept.probe() is None


def test_the_probes_work_is_bounded_so_a_wide_multiclass_table_gets_none():
    assert probe_rows(10, 2) == MAX_ROWS and probe_rows(25, 5) == MAX_ROWS
    assert probe_rows(100, 10) < min_probe_rows(100)  # cheap or nothing
