"""The layer plus the largest function stays under 230 MiB unzipped (Lambda's limit is 250 MiB)."""

from __future__ import annotations

from drift_retrain_local.artifacts import BUDGET_BYTES, tree_bytes


def test_layer_and_largest_function_fit_the_budget(built):
    layer = tree_bytes(built.layer)
    largest = max(tree_bytes(folder) for folder in built.functions.values())
    assert layer + largest < BUDGET_BYTES, f"{(layer + largest) / 1024**2:.1f} MiB"
    assert layer > 50 * 1024**2  # numpy, pandas and scipy are in it: the measurement is of the real thing
