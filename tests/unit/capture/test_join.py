"""Ground truth joined to captured rows: keys, late labels, duplicates, orphans, wrong encodings."""

from __future__ import annotations

import pandas as pd
import pytest
from capture_support import binary_profile, capture_line, truth_line

from drift_retrain.capture.ground_truth import read_ground_truth
from drift_retrain.capture.join import join_labels
from drift_retrain.capture.records import read_capture


@pytest.fixture(scope="module")
def profile():
    return binary_profile()


def captured(profile, *lines):
    return read_capture(list(lines), profile).frame


def test_label_joins_on_inference_id_when_the_request_set_one(profile):
    frame = captured(
        profile,
        capture_line("0.5,3,2", "0.8", event_id="ev-1", inference_id="order-1"),
        capture_line("1,2,0", "0.2", event_id="ev-2"),
    )
    truth = read_ground_truth(
        [truth_line("order-1", "1"), truth_line("ev-1", "0"), truth_line("ev-2", "0")], profile
    )
    result = join_labels(frame, truth, profile)
    assert result.frame["label"].tolist() == ["1", "0"]
    # a label keyed on the eventId of a request that had an inferenceId matches nothing: an orphan
    assert result.orphans["_capture_join_key"].tolist() == ["ev-1"]
    assert result.stats.to_dict() == {
        "rows": 2,
        "labelled": 2,
        "orphans": 1,
        "duplicates": 0,
        "wrong_encoding": 0,
        "labelled_share": 1.0,
    }


def test_multi_line_label_body_labels_the_rows_of_the_request_by_index(profile):
    frame = captured(profile, capture_line("0.5,3,2\n1,2,0\n2,2,1", "0.8\n0.1\n0.6", event_id="e"))
    result = join_labels(frame, read_ground_truth([truth_line("e", "0\n1")], profile), profile)
    assert result.frame["label"].tolist() == ["0", "1", None]
    assert result.stats.labelled == 2


def test_duplicate_label_first_received_wins_and_is_counted(profile):
    frame = captured(profile, capture_line("0.5,3,2", "0.8", event_id="e"))
    first = read_ground_truth([truth_line("e", "1")], profile)
    later = read_ground_truth([truth_line("e", "0"), truth_line("e", "0")], profile, start=len(first.frame))
    truth = pd.concat([later.frame, first.frame])  # files listed out of order: the received order decides
    result = join_labels(frame, truth, profile)
    assert result.frame["label"].tolist() == ["1"]
    assert result.stats.duplicates == 2


def test_late_label_is_kept_as_an_orphan_and_joins_the_window_that_holds_its_prediction(profile):
    truth = read_ground_truth([truth_line("late", "1")], profile)
    first_window = captured(profile, capture_line("0.5,3,2", "0.8", event_id="early"))
    first = join_labels(first_window, truth, profile)
    assert first.stats.labelled == 0 and first.stats.orphans == 1
    second_window = captured(profile, capture_line("1,2,0", "0.3", event_id="late"))
    second = join_labels(second_window, first.orphans, profile)
    assert second.frame["label"].tolist() == ["1"] and second.stats.orphans == 0


def test_label_for_the_previous_models_prediction_joins_that_row_with_its_capture_metadata(profile):
    old = captured(
        profile, capture_line("0.5,3,2", "0.9", event_id="served-by-old", time="2026-12-01T10:00:00Z")
    )
    old["_capture_variant"] = "champion-v1"  # what the monitor adds from the capture path
    new = captured(
        profile, capture_line("0.5,3,2", "0.1", event_id="served-by-new", time="2026-12-03T10:00:00Z")
    )
    new["_capture_variant"] = "champion-v2"
    window = pd.concat([old, new], ignore_index=True)
    result = join_labels(window, read_ground_truth([truth_line("served-by-old", "0")], profile), profile)
    row = result.frame[result.frame["label"].notna()].iloc[0]
    assert (row["_capture_variant"], row["_capture_time"], row["_capture_prediction"]) == (
        "champion-v1",
        "2026-12-01T10:00:00Z",
        "1",
    )
    assert len(result.frame) == 2  # nothing dropped: the monitor attributes each row to its model


def test_an_earlier_join_is_not_overwritten(profile):
    frame = captured(profile, capture_line("0.5,3,2", "0.8", event_id="e"))
    once = join_labels(frame, read_ground_truth([truth_line("e", "1")], profile), profile)
    again = join_labels(once.frame, read_ground_truth([truth_line("e", "0")], profile), profile)
    assert again.frame["label"].tolist() == ["1"]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (
            truth_line("e", "%%%").replace('"CSV"', '"BASE64"'),
            "ground_truth_wrong_encoding",
        ),
        (truth_line("e", "{oops", "JSON"), "ground_truth_wrong_encoding"),
        (truth_line("e", "1,0"), "ground_truth_wrong_encoding"),
        (truth_line("e", "1").replace('"CSV"', '"XML"'), "ground_truth_wrong_encoding"),
        (truth_line("e", "yes"), "ground_truth_unknown_class"),
        (truth_line("", "1"), "ground_truth_no_event_id"),
        ('{"eventMetadata": {"eventId": "e"}}', "ground_truth_no_data"),
        ("nope", "ground_truth_not_json"),
    ],
)
def test_bad_label_records_get_a_reason_and_wrong_encodings_are_counted_by_the_join(profile, line, reason):
    truth = read_ground_truth([truth_line("e", "1"), line], profile)
    assert [b.reason for b in truth.bad] == [reason] and [b.line for b in truth.bad] == [2]
    frame = captured(profile, capture_line("0.5,3,2", "0.8", event_id="e"))
    stats = join_labels(frame, truth, profile).stats
    assert stats.labelled == 1
    assert stats.wrong_encoding == (reason == "ground_truth_wrong_encoding")


@pytest.mark.parametrize(
    ("data", "encoding"),
    [("1", "CSV"), ("MQ==", "BASE64"), ('{"label": 1}', "JSON"), ("[1]", "JSON"), ("1", "JSON")],
)
def test_label_encodings(profile, data, encoding):
    line = truth_line("e", data)
    line = line.replace('"CSV"', f'"{encoding}"')
    truth = read_ground_truth([line], profile)
    assert truth.bad == () and truth.frame["label"].tolist() == ["1"]


def test_empty_inputs_join_to_nothing(profile):
    frame = captured(profile)
    result = join_labels(frame, read_ground_truth([], profile), profile)
    assert result.stats.rows == 0 and result.orphans.empty
