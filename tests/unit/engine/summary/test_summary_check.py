"""The single-object check and the summary path are one path; summaries refuse what cannot merge."""

from __future__ import annotations

import json

import numpy as np
import pytest
from summary_support import champion, draw, profile

from drift_retrain.engine.check import check_frame, run_check
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.engine.summary import (
    PartialSummary,
    check_summary,
    merge_summaries,
    summarize_frame,
    summarize_source,
)

CONFIG = DriftConfig()


def _plain(report) -> dict:
    data = report.to_dict()
    data.pop("checked_at")
    return data


def test_check_frame_is_check_summary_of_the_frames_summary():
    frame = draw(2_000, np.random.default_rng(8), shift=0.5)
    direct = check_frame(
        frame,
        profile(),
        CONFIG,
        predictor=champion,
        batch_id="b",
        source_name="s",
        rows=len(frame),
        sampling={},
    )
    summary = summarize_frame(profile(), frame, CONFIG, predictor=champion)
    via = check_summary(summary, profile(), CONFIG, batch_id="b", source_name="s", sampling={})
    assert _plain(direct) == _plain(via)
    assert direct.decision.alert and {"x", "n"} <= {f.name for f in direct.features if f.drifted}


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_summarize_source_reads_each_format_as_run_check_does(tmp_path, suffix):
    frame = draw(1_500, np.random.default_rng(9), shift=0.4)
    path = tmp_path / f"part-0{suffix}"
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".jsonl":
        frame.to_json(path, orient="records", lines=True)
    else:
        frame.to_parquet(path, index=False)
    summary = summarize_source(profile(), str(path), CONFIG, predictor=champion, part=str(path))
    merged = merge_summaries([PartialSummary.from_json(json.loads(json.dumps(summary.to_json())))])
    once = run_check(str(path), profile(), CONFIG, predictor=champion, source_name=str(path))
    again = check_summary(merged, profile(), CONFIG, source_name=str(path))
    assert [(f.name, f.headline.statistic, f.drifted) for f in again.features] == [
        (f.name, f.headline.statistic, f.drifted) for f in once.features
    ]
    assert again.rows == once.rows == 1_500 and again.concept.p_value == once.concept.p_value


def test_summaries_of_different_profiles_do_not_merge_or_check():
    frame = draw(300, np.random.default_rng(10))
    other = BaselineProfile.from_dict({**profile().to_dict(), "created_at": "2020-01-01T00:00:00+00:00"})
    mine = summarize_frame(profile(), frame, CONFIG, part="a")
    theirs = summarize_frame(other, frame, CONFIG, part="b")
    with pytest.raises(ValueError, match="different profiles"):
        merge_summaries([mine, theirs])
    with pytest.raises(ValueError, match="counted against the profile"):
        check_summary(theirs, profile(), CONFIG)
    with pytest.raises(ValueError, match="no partial summaries"):
        merge_summaries([])
    with pytest.raises(ValueError, match="format"):
        PartialSummary.from_json({**mine.to_json(), "format": 99})
