"""Merged part summaries equal one pass over the whole batch: every count exactly, in any part order."""

from __future__ import annotations

import json
from itertools import pairwise

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from summary_support import champion, draw, profile
from support.examples import examples

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.schema import ColumnSpec, Schema
from drift_retrain.engine.summary import PartialSummary, check_summary, merge_summaries, summarize_frame
from drift_retrain.engine.summary.columns import LevelCounts

CONFIG = DriftConfig()
SPLITS = settings(
    max_examples=examples(25), derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def split(frame: pd.DataFrame, cuts: list[int]) -> list[pd.DataFrame]:
    edges = [0, *sorted(set(cuts)), len(frame)]
    return [frame.iloc[a:b].reset_index(drop=True) for a, b in pairwise(edges) if b > a]


def through_json(summary: PartialSummary) -> PartialSummary:
    return PartialSummary.from_json(json.loads(json.dumps(summary.to_json())))


def summaries_of(frame: pd.DataFrame, cuts: list[int], predictor=champion) -> list[PartialSummary]:
    parts = split(frame, cuts)
    return [
        through_json(summarize_frame(profile(), part, CONFIG, predictor=predictor, part=f"part-{i:03d}"))
        for i, part in enumerate(parts)
    ]


def assert_same_counts(merged: PartialSummary, whole: PartialSummary) -> None:
    assert merged.rows == whole.rows and merged.rows_read == whole.rows_read
    for name, one in whole.columns.items():
        other = merged.columns[name]
        if one.bins is not None:
            assert np.array_equal(other.bins.cells, one.bins.cells), name
            assert np.array_equal(other.bins.deciles, one.bins.deciles), name
            assert (other.bins.rows, other.bins.minimum, other.bins.maximum) == (
                one.bins.rows,
                one.bins.minimum,
                one.bins.maximum,
            )
            assert other.bins.distinct == one.bins.distinct
            assert other.bins.mean == pytest.approx(one.bins.mean, rel=1e-9, abs=1e-12)
            assert other.bins.m2 == pytest.approx(one.bins.m2, rel=1e-9)
        if one.levels is not None:  # the same levels, counts and order (ties stay in first-seen order)
            assert other.levels.counts.index.tolist() == one.levels.counts.index.tolist(), name
            assert other.levels.counts.tolist() == one.levels.counts.tolist(), name
            assert other.levels.missing == one.levels.missing
        assert other.times == one.times, name
    assert merged.label.levels.counts.to_dict() == whole.label.levels.counts.to_dict()
    a, b = merged.concept, whole.concept
    assert (a.labelled, a.rows, a.errors, a.reason) == (b.labelled, b.rows, b.errors, b.reason)
    assert a.segments == b.segments
    shown = sorted(r["probability"] for r in a.misclassified.records())
    assert shown == sorted(r["probability"] for r in b.misclassified.records())


@SPLITS
@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(60, 1_500),
    cuts=st.lists(st.floats(0.0, 1.0), max_size=6),
    order=st.randoms(use_true_random=False),
)
def test_merged_counts_equal_one_pass_over_any_split(seed, rows, cuts, order):
    frame = draw(rows, np.random.default_rng(seed), shift=0.3 * (seed % 3))
    parts = summaries_of(frame, [int(c * rows) for c in cuts])
    order.shuffle(parts)  # merging is commutative: the part order comes from the part names
    merged = merge_summaries(parts)
    whole = summarize_frame(profile(), frame, CONFIG, predictor=champion, part="whole")
    assert_same_counts(merged, whole)
    one, many = (
        check_summary(whole, profile(), CONFIG).to_dict(),
        check_summary(merged, profile(), CONFIG).to_dict(),
    )
    for a, b in zip(one["features"], many["features"], strict=True):
        assert (a["name"], a["statistic"], a["p_value"], a["drifted"]) == (
            b["name"],
            b["statistic"],
            b["p_value"],
            b["drifted"],
        )
    assert one["label_drift"]["p_value"] == many["label_drift"]["p_value"]
    assert one["concept_drift"]["p_value"] == many["concept_drift"]["p_value"]
    assert one["segments"]["top"] == many["segments"]["top"]
    assert one["distributions"] == many["distributions"]
    assert (one["retrain"], one["alert"]) == (many["retrain"], many["alert"])


@SPLITS
@given(seed=st.integers(0, 2**32 - 1), cuts=st.lists(st.integers(0, 800), min_size=1, max_size=4))
def test_merging_is_associative_for_counts(seed, cuts):
    frame = draw(800, np.random.default_rng(seed))
    parts = summaries_of(frame, cuts)
    flat = merge_summaries(parts)
    for at in range(1, len(parts)):  # merges of merges, split anywhere
        assert_same_counts(merge_summaries([merge_summaries(parts[:at]), merge_summaries(parts[at:])]), flat)


def test_without_probabilities_the_wrong_rows_listed_do_not_depend_on_the_split():
    """A champion returning classes gets a seeded sample by row hash: every split keeps the same rows."""
    frame = draw(3_000, np.random.default_rng(4), shift=1.0)

    def classes(rows: pd.DataFrame) -> np.ndarray:
        return (rows["x"].fillna(0.0).to_numpy() > 0).astype(np.int64)

    def listed(summary: PartialSummary) -> list[tuple]:
        return sorted(
            str((r["x"], r["n"], r["user"], r["at"])) for r in summary.concept.misclassified.records()
        )

    whole = summarize_frame(profile(), frame, CONFIG, predictor=classes, part="whole")
    merged = merge_summaries(summaries_of(frame, [700, 1_900, 2_200], predictor=classes))
    assert len(listed(whole)) == 20
    assert listed(merged) == listed(whole)
    rows = [r["part"] for r in merged.concept.misclassified.records()]
    assert rows == sorted(rows)  # listed in batch order


def test_a_part_whose_scoring_failed_says_so_in_the_merged_check():
    frame = draw(600, np.random.default_rng(5))

    def broken(rows: pd.DataFrame) -> np.ndarray:
        return np.full(len(rows), np.nan)

    parts = summaries_of(frame, [300])
    failed = through_json(summarize_frame(profile(), frame, CONFIG, predictor=broken, part="part-999"))
    report = check_summary(merge_summaries([*parts, failed]), profile(), CONFIG)
    assert not report.concept.tested
    assert report.concept.reason.startswith("champion predictions unusable")


def test_parts_with_many_levels_keep_them_by_hash_and_test_alike():
    """Beyond the cap a part keeps its levels by 64-bit hash: the merged tests see the same counts."""
    rng = np.random.default_rng(6)
    frame = draw(2_400, rng)
    frame["user"] = [f"u{v}" for v in rng.integers(0, 6_000, len(frame))]  # some never seen
    whole = summarize_frame(profile(), frame, CONFIG, predictor=champion, part="whole")
    parts = []
    for summary in summaries_of(frame, [800, 1_600]):
        for column in summary.columns.values():
            if column.levels is not None:  # a cap of 3 levels: every categorical column is hashed
                column.levels = LevelCounts.from_json(column.levels.to_json(level_cap=3))
        parts.append(summary)
    merged = merge_summaries(parts)
    assert merged.columns["user"].levels.hashed and merged.columns["c"].levels.hashed
    one, many = (
        check_summary(whole, profile(), CONFIG).to_dict(),
        check_summary(merged, profile(), CONFIG).to_dict(),
    )
    for a, b in zip(one["features"], many["features"], strict=True):
        for slot in ("unseen", "concentration", "missing"):
            assert (a[slot] or {}).get("p_value") == (b[slot] or {}).get("p_value"), (a["name"], slot)
        assert a["p_value"] == b["p_value"], a["name"]
        if a["kind"] == "categorical":  # names, shares and never-seen listing as one pass writes them
            assert a["batch"] == b["batch"] and a["unseen_categories"] == b["unseen_categories"]


def test_hashed_parts_against_a_hashed_profile_test_alike():
    """A profile of more than 10,000 levels keeps hash buckets: hashed parts land in the same buckets."""
    rng = np.random.default_rng(7)
    schema = Schema(
        columns=(ColumnSpec("user", "categorical"),), label="y", task="binary", classes=("0", "1")
    )

    def rows(count: int, top: int) -> pd.DataFrame:
        users = [f"u{v}" for v in rng.integers(0, top, count)]
        return pd.DataFrame({"user": users, "y": rng.choice(["0", "1"], count)})

    hashed = build_profile(rows(60_000, 30_000), schema)
    assert not hashed.columns["user"].levels.exact
    frame = rows(3_000, 40_000)
    whole = check_summary(summarize_frame(hashed, frame, CONFIG), hashed, CONFIG).to_dict()
    parts = []
    for i, part in enumerate(split(frame, [1_000, 2_000])):
        summary = summarize_frame(hashed, part, CONFIG, part=f"part-{i}")
        summary.columns["user"].levels = LevelCounts.from_json(
            summary.columns["user"].levels.to_json(level_cap=10)
        )
        parts.append(summary)
    merged = check_summary(merge_summaries(parts), hashed, CONFIG).to_dict()
    (a,), (b,) = whole["features"], merged["features"]
    assert merged_tests(a) == merged_tests(b)
    assert a["unseen_categories"] == b["unseen_categories"]


def merged_tests(feature: dict) -> list:
    return [
        (slot, (feature[slot] or {}).get("statistic"), (feature[slot] or {}).get("p_value"))
        for slot in ("unseen", "concentration")
    ] + [("distribution", feature["statistic"], feature["p_value"])]
