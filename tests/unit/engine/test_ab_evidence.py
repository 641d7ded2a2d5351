"""The A/B record: evidence adds up per batch revision, a duplicate event counts once, the test decides in
the right direction, and the deadline sends the champion back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from drift_retrain.engine.ab_evidence import (
    CANDIDATE,
    CHAMPION,
    MAX_DURATION,
    SEQUENTIAL,
    add_batch,
    batch_ref,
    evidence_summary,
    new_record,
)
from drift_retrain.engine.stats.sequential import PairedLosses, log_mixture_ratio, msprt_look, paired_losses

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _record(min_rows: int = 100, seconds: int = 3600) -> dict:
    return new_record(
        task_token="token-1",
        execution_arn="arn:aws:states:eu-west-1:123456789012:execution:sm:run-1",
        endpoint_name="ep",
        champion={"variant_name": "AllTraffic", "model_name": "m-old"},
        candidate={"variant_name": "Candidate", "model_name": "m-new"},
        traffic_share=0.1,
        alpha=0.05,
        min_rows=min_rows,
        max_duration_seconds=seconds,
        now=NOW,
    )


def _losses(rows: int, champion_rate: float, candidate_rate: float, seed: int) -> PairedLosses:
    rng = np.random.default_rng(seed)
    return paired_losses(rng.random(rows) < champion_rate, rng.random(rows) < candidate_rate)


def test_paired_losses_sum_both_variants_and_their_differences():
    losses = paired_losses([1, 0, 1, 0], [0, 0, 1, 1])
    assert (losses.rows, losses.champion_loss, losses.candidate_loss) == (4, 2.0, 2.0)
    assert losses.sum_difference == 0.0 and losses.sum_squared_difference == 2.0
    assert losses.plus(losses).rows == 8
    with pytest.raises(ValueError, match="same rows"):
        paired_losses([1, 0], [1])


def test_no_decision_before_min_rows_however_lopsided():
    lopsided = paired_losses(np.ones(50), np.zeros(50))
    assert msprt_look(lopsided, alpha=0.05, min_rows=100).decision is None
    assert msprt_look(lopsided, alpha=0.05, min_rows=20).decision == CANDIDATE


def test_the_statistic_grows_with_evidence_and_the_p_value_never_rises():
    small, large = _losses(200, 0.3, 0.2, 1), _losses(2_000, 0.3, 0.2, 2)
    assert log_mixture_ratio(large) > log_mixture_ratio(small)
    first = msprt_look(large, alpha=0.05, min_rows=10)
    later = msprt_look(
        PairedLosses(rows=3_000, sum_squared_difference=600.0),
        alpha=0.05,
        min_rows=10,
        previous_p=first.p_value,
    )
    assert later.p_value == first.p_value  # no evidence now, but an earlier look's p stands


def test_a_duplicate_batch_counts_once():
    record, added = add_batch(
        _record(), batch_ref("incoming/b1.csv", "e1"), _losses(80, 0.2, 0.2, 3), metric="error_rate", now=NOW
    )
    again, added_again = add_batch(
        record, batch_ref("incoming/b1.csv", "e1"), _losses(80, 0.2, 0.2, 3), metric="error_rate", now=NOW
    )
    assert added and not added_again
    assert again["evidence"]["totals"]["rows"] == 80
    other, added_other = add_batch(
        record, batch_ref("incoming/b1.csv", "e2"), _losses(80, 0.2, 0.2, 4), metric="error_rate", now=NOW
    )
    assert added_other and other["evidence"]["totals"]["rows"] == 160  # an overwrite is a new revision


@pytest.mark.parametrize(("champion", "candidate", "winner"), [(0.3, 0.1, CANDIDATE), (0.1, 0.3, CHAMPION)])
def test_a_clear_difference_decides_for_the_better_variant(champion, candidate, winner):
    record = _record()
    for index in range(10):
        record, _ = add_batch(
            record, f"b{index}@e", _losses(300, champion, candidate, index), metric="error_rate", now=NOW
        )
        if record["decision"]:
            break
    assert record["decision"]["winner"] == winner
    assert record["decision"]["reason"] == SEQUENTIAL
    decided, added = add_batch(record, "late@e", _losses(300, 0.5, 0.0, 99), metric="error_rate", now=NOW)
    assert not added and decided["decision"] == record["decision"]


def test_after_the_deadline_the_champion_stays():
    record, _ = add_batch(
        _record(seconds=60),
        "b@e",
        _losses(300, 0.2, 0.2, 5),
        metric="error_rate",
        now=NOW + timedelta(seconds=61),
    )
    assert record["decision"] == {
        "winner": CHAMPION,
        "reason": MAX_DURATION,
        "decided_at": "2026-01-01T00:01:01+00:00",
    }


def test_the_summary_shows_rows_rates_statistic_and_boundary():
    record, _ = add_batch(
        _record(min_rows=10), "b@e", paired_losses([1, 1, 0, 0], [0, 0, 0, 1]), metric="error_rate", now=NOW
    )
    summary = evidence_summary(record)
    assert summary["rows"] == 4 and summary["champion_error"] == 0.5 and summary["candidate_error"] == 0.25
    assert summary["boundary"] == pytest.approx(np.log(20))
    assert summary["batches"] == 1 and summary["traffic_share"] == 0.1
