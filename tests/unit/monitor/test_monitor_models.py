"""Which model served a captured row: the endpoint-config history against ``inferenceTime``."""

from __future__ import annotations

import pandas as pd

from drift_retrain.monitor.models import UNKNOWN_MODEL, attribute_models

HISTORY = [
    {"since": "2026-12-05T14:00:00.250Z", "config": "c1", "variants": {"AllTraffic": "model-1"}},
    {"since": "2026-12-05T14:01:21.860Z", "config": "c2", "variants": {"AllTraffic": "model-2"}},
]


def _served(*times: str) -> list[str]:
    return list(attribute_models(pd.Series(list(times)), "AllTraffic", HISTORY))


def test_a_row_is_attributed_to_the_config_in_force_at_its_inference_time():
    assert _served("2026-12-05T14:00:30Z", "2026-12-05T14:01:25Z") == ["model-1", "model-2"]


def test_a_row_of_the_second_the_config_changed_in_goes_to_the_new_config():
    # inferenceTime is written to the second: 14:01:21Z may be any moment of that second, and a request
    # answered after the switch (14:01:21.9) must not count against the previous champion.
    assert _served("2026-12-05T14:01:20Z", "2026-12-05T14:01:21Z") == ["model-1", "model-2"]


def test_rows_before_the_first_entry_and_without_a_time_are_attributed_sensibly():
    assert _served("2026-12-05T13:00:00Z", "not a time") == ["model-1", "model-2"]
    assert list(attribute_models(pd.Series(["2026-12-05T14:00:00Z"]), "AllTraffic", [])) == [UNKNOWN_MODEL]


def test_a_variant_the_config_does_not_name_is_unknown():
    assert list(attribute_models(pd.Series(["2026-12-05T14:01:25Z"]), "Candidate", HISTORY)) == [
        UNKNOWN_MODEL
    ]
