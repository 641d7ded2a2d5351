"""The REAL state machine (statemachine/retrain.asl.json, through template.yaml) executed on the local
cloud: one bootstrapped cloud per module, tiny data, data-driven waits, every wait bounded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from workflow_support import Harness, bootstrapped_cloud


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    with bootstrapped_cloud() as running:
        yield running
