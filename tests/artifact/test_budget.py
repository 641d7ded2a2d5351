"""The layer plus the largest function stays under 230 MB unzipped (Lambda's limit: 250 MB, 262,144,000 bytes)."""

from __future__ import annotations

from drift_retrain_local.stack.artifacts import BUDGET_BYTES, tree_bytes


def test_layer_and_largest_function_fit_the_budget(built):
    layer = tree_bytes(built.layer)
    largest = max(tree_bytes(folder) for folder in built.functions.values())
    assert layer + largest < BUDGET_BYTES, f"{(layer + largest) / 1000**2:.1f} MB"
    assert layer > 50 * 1000**2  # numpy, pandas and scipy are in it: the measurement is of the real thing
