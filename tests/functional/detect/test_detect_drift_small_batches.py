"""A small batch whose categorical column is empty, or holds only never-seen levels, gets a report.

The chi-square test of such a column used to raise ("expected frequencies has a zero element"), so
DetectDrift failed, the event went to the failure queue and a redrive failed the same way (issue 19).
"""

from __future__ import annotations

import pytest
from functional_support import frame_to_csv_bytes, make_frame, read_report


@pytest.mark.parametrize(
    ("region", "words"),
    [("", "left empty"), ("atlantis", "only a never-seen level")],
    ids=["empty", "unseen"],
)
def test_a_small_batch_with_a_column_outside_every_baseline_level_is_reported(
    detect_drift, clients, bucket, profile_uploaded, region, words
) -> None:
    frame = make_frame(60, seed=19).assign(region=region)
    result = detect_drift.invoke(
        detect_drift.upload(f"incoming/small-{region or 'empty'}.csv", frame_to_csv_bytes(frame))
    )

    assert result.response["status"] == "checked", words
    report = read_report(clients, bucket, result.response["report_key"])
    column = next(f for f in report["features"] if f["name"] == "region")
    assert column["tested"] and column["drifted"], column
    assert "region" in report["drifted_features"] and report["alert"]
    if region:
        assert column["unseen_categories"][0]["value"] == region
