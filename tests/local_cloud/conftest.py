"""Local cloud tests: the embedded AWS with the stack deployed from template.yaml, Lambdas in-process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drift_retrain_local.cloud.local_cloud import LocalCloud, local_cloud


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    """One deployed stack per test module (deploying takes about a second)."""
    with local_cloud(simulated_time=True) as running:
        yield running
