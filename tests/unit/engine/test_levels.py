"""Every level of a categorical column: exact counts or hashed buckets plus a Bloom filter, stable on disk."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from drift_retrain.engine.levels import EXACT_MAX_LEVELS, HASH_BUCKETS, Levels, SeenFilter, level_hashes


def test_level_hashes_are_stable_across_processes_and_versions():
    """Profiles are written on one machine and read on another: the hash must never change."""
    assert [int(h) for h in level_hashes(["a", "user_123", "", "é"])] == [
        16769080936413773379,
        7160163041251589572,
        0,
        1010087514879395413,
    ]
    assert int(level_hashes(["a"])[0]) >> 32 == 3904355907  # zlib.crc32(b"a"), documented


def test_seen_filter_never_misses_a_level_and_its_false_positives_match_its_estimate():
    seen = level_hashes([f"user{i}" for i in range(50_000)])
    others = level_hashes([f"other{i}" for i in range(50_000)])
    bloom = SeenFilter.build(seen)
    assert bloom.contains(seen).all()
    false_positives = bloom.contains(others).mean()
    assert false_positives < 0.02 and false_positives == pytest.approx(bloom.fpr, abs=0.005)
    again = SeenFilter.from_dict(json.loads(json.dumps(bloom.to_dict())))
    assert np.array_equal(again.contains(others), bloom.contains(others))


def test_seen_filter_with_wrong_bits_is_refused():
    data = SeenFilter.build(level_hashes(["a", "b"])).to_dict()
    data["size"] *= 2
    with pytest.raises(ValueError, match="bits"):
        SeenFilter.from_dict(data)


def _counts(levels: int, rows: int, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    names = np.array([f"l{i}" for i in range(levels)], dtype=object)
    return pd.Series(names[rng.integers(0, levels, rows)]).value_counts()


def test_few_levels_are_kept_exactly_with_their_good_turing_and_pair_counts():
    counts = pd.Series([5, 3, 1, 1], index=["a", "b", "c", "d"])
    levels = Levels.from_counts(counts, top=2)
    assert levels.exact and levels.tail == ["c", "d"] and levels.tail_counts.tolist() == [1, 1]
    assert (levels.distinct, levels.singletons) == (4, 2)
    assert levels.pair_share == pytest.approx((5 * 4 + 3 * 2) / (10 * 9))
    assert levels.triple_share == pytest.approx((5 * 4 * 3 + 3 * 2 * 1) / (10 * 9 * 8))
    again = Levels.from_dict(json.loads(json.dumps(levels.to_dict())))
    assert again.to_dict() == levels.to_dict()


def test_exact_cells_place_known_levels_and_list_the_unseen():
    counts = pd.Series([50, 30, 1], index=["a", "b", "c"])
    levels = Levels.from_counts(counts, top=2)
    batch = pd.Series([4, 1, 2, 1], index=["b", "c", "x", "y"])
    cells = levels.cells(["a", "b"], np.array([50, 30]), batch)
    assert cells.baseline.tolist() == [50, 30, 1, 0, 0]
    assert cells.batch.tolist() == [0, 4, 1, 2, 1]
    assert cells.unseen.to_dict() == {"x": 2, "y": 1}
    assert (cells.unseen_singletons, cells.singleton_hits) == (1, 1)  # "y" is new once; "c" was seen once


def test_many_levels_are_hashed_into_fixed_buckets_with_a_seen_filter():
    counts = _counts(3 * EXACT_MAX_LEVELS, 200_000)
    levels = Levels.from_counts(counts, top=1_000)
    assert not levels.exact and len(levels.buckets) == HASH_BUCKETS
    assert levels.buckets.sum() == counts.sum() and levels.distinct == len(counts)
    batch = pd.Series([3, 1, 1], index=[counts.index[0], "never-1", "never-2"])
    cells = levels.cells([], np.zeros(0), batch)
    assert cells.batch.sum() == 5 and len(cells.baseline) == HASH_BUCKETS
    assert set(cells.unseen.index) <= {"never-1", "never-2"}  # a seen level is never called unseen
    assert cells.singleton_hits == 0  # unknown when hashed: the never-seen test stays conservative
    again = Levels.from_dict(json.loads(json.dumps(levels.to_dict())))
    assert np.array_equal(again.cells([], np.zeros(0), batch).batch, cells.batch)


def test_unknown_representation_is_refused():
    with pytest.raises(ValueError, match="representation"):
        Levels.from_dict({"representation": "sketch"})
