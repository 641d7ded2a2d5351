"""Fixtures of the renderer tests (the helpers are in ``reports_support``)."""

from __future__ import annotations

import pandas as pd
import pytest
from reports_support import check, make_frame


@pytest.fixture(scope="session")
def baseline() -> pd.DataFrame:
    return make_frame(5000, seed=1)


@pytest.fixture(scope="session")
def drifted_report(baseline) -> dict:
    """x0 shifted, a new region at 10%, the champion wrong on 40% of rows (concept drift)."""
    return check(make_frame(2000, seed=2, shift=0.6, new_region=0.1), baseline, wrong=0.4)


@pytest.fixture(scope="session")
def stable_report(baseline) -> dict:
    return check(make_frame(2000, seed=3), baseline, wrong=0.05)
