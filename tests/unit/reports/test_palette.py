"""Every chart's colours stay apart for colour-blind readers (protanopia, deuteranopia, tritanopia
simulated) and against the white page, by at least ``MIN_DELTA_E``."""

from __future__ import annotations

import pytest

from drift_retrain.reports import evaluation, feature_charts, timeline
from drift_retrain.reports.palette import MIN_DELTA_E, closest_pair, delta_e

WHITE = "#ffffff"
PALETTES = {
    "feature charts": {
        "baseline": feature_charts.BASELINE_COLOUR,
        "batch": feature_charts.BATCH_COLOUR,
        "new category": feature_charts.NEW_COLOUR,
        "page": WHITE,
    },
    "concept chart, drift": {
        "batch": feature_charts.ALARM_INTERVAL,
        "holdout": feature_charts.HOLDOUT_INTERVAL,
        "reference": feature_charts.REFERENCE_INTERVAL,
        "page": WHITE,
    },
    "concept chart, no drift": {
        "batch": feature_charts.QUIET_INTERVAL,
        "holdout": feature_charts.HOLDOUT_INTERVAL,
        "reference": feature_charts.REFERENCE_INTERVAL,
    },
    "timeline outcomes": {**timeline.OUTCOME_COLOURS, "page": WHITE},
    "evaluation bars": dict(evaluation._COLOURS),
}


@pytest.mark.parametrize("name", PALETTES)
def test_each_palette_stays_apart_in_every_simulated_vision(name):
    distance, vision, first, second = closest_pair(PALETTES[name])
    assert distance >= MIN_DELTA_E, f"{name}: {first} and {second} are {distance:.1f} apart for {vision}"


def test_the_simulation_catches_the_classic_red_green_pair():
    """The timeline's first palette: green 'no drift' against red 'failed' nearly merge for a deuteranope."""
    assert delta_e("#2b8a3e", "#c92a2a") > 40
    assert delta_e("#2b8a3e", "#c92a2a", "deuteranopia") < delta_e("#2b8a3e", "#c92a2a") / 2
    assert closest_pair({"promoted": "#1c7ed6", "rejected": "#ae3ec9"})[0] < MIN_DELTA_E
