"""The Data Capture reader, on records laid out as in the SageMaker developer guide."""

from __future__ import annotations

import io
import json
import math

import pandas as pd
import pytest
from capture_support import binary_profile, capture_line, multiclass_profile, regression_profile

from drift_retrain.capture.records import META_COLUMNS, CapturedRows, read_capture
from drift_retrain.layout import OWN_INFERENCE_PREFIX


@pytest.fixture(scope="module")
def profile():
    return binary_profile()


JSON_IN = {"in_type": "application/json", "in_encoding": "JSON"}
JSON_OUT = {"out_type": "application/json", "out_encoding": "JSON"}


def test_csv_record_gives_features_in_profile_order_and_what_was_served(profile):
    captured = read_capture([capture_line("0.5,3,2", "0.8", event_id="e1")], profile)
    row = captured.frame.iloc[0]
    assert list(captured.frame.columns) == ["x", "y", "color", *META_COLUMNS]
    assert (row["x"], row["y"], row["color"]) == (0.5, 3.0, "red")  # code 2 of blue, green, red
    assert (row["_capture_event_id"], row["_capture_row"], row["_capture_prediction"]) == ("e1", 0, "1")
    assert row["_capture_score"] == pytest.approx(0.8)
    assert row["_capture_inference_id"] is None
    assert captured.records == 1 and captured.bad == ()


def test_multi_line_csv_body_gives_one_row_per_line_sharing_the_event(profile):
    line = capture_line("0.5,3,2\n-1,2,0\n2,1,1", "0.8\n0.1\n0.6", event_id="e1", inference_id="i1")
    frame = read_capture([line], profile).frame
    assert frame["_capture_row"].tolist() == [0, 1, 2]
    assert set(frame["_capture_event_id"]) == {"e1"} and set(frame["_capture_inference_id"]) == {"i1"}
    assert frame["_capture_prediction"].tolist() == ["1", "0", "1"]
    assert frame["color"].tolist() == ["red", "blue", "green"]


def test_old_xgboost_answer_on_one_line_is_split_per_row(profile):
    frame = read_capture([capture_line("0.5,3,2\n-1,2,0", "0.8,0.1")], profile).frame
    assert frame["_capture_score"].tolist() == pytest.approx([0.8, 0.1])


def test_base64_bodies_decode_by_their_content_type(profile):
    line = capture_line("0.5,3,2", "0.3", in_encoding="BASE64", out_encoding="BASE64")
    frame = read_capture([line], profile).frame
    assert frame["x"].tolist() == [0.5] and frame["_capture_prediction"].tolist() == ["0"]


@pytest.mark.parametrize(
    "body",
    [
        {"instances": [{"features": [0.5, 3, 2]}, {"features": [-1, 2, 0]}]},
        {"instances": [[0.5, 3, 2], [-1, 2, 0]]},
        {
            "instances": [
                {"data": {"features": {"values": [0.5, 3, 2]}}},
                {"data": {"features": {"values": [-1, 2, 0]}}},
            ]
        },
        [[0.5, 3, 2], [-1, 2, 0]],
        [{"x": 0.5, "y": 3, "color": "red"}, {"x": -1, "y": 2, "color": "blue"}],
        {"instances": [{"x": 0.5, "y": 3, "color": "red"}, {"color": "blue", "x": -1, "y": 2}]},
    ],
    ids=[
        "instances-features",
        "instances-lists",
        "linear-learner-dense",
        "list-of-lists",
        "named",
        "instances-named",
    ],
)
def test_json_input_shapes_map_to_the_feature_columns(profile, body):
    frame = read_capture([capture_line(json.dumps(body), "0.8\n0.1", **JSON_IN)], profile).frame
    assert frame[["x", "y", "color"]].values.tolist() == [[0.5, 3.0, "red"], [-1.0, 2.0, "blue"]]


def test_named_json_reports_missing_and_extra_columns_and_keeps_the_row(profile):
    body = json.dumps({"x": 1, "color": "red", "zip": "12345"})
    captured = read_capture([capture_line(body, "0.4", **JSON_IN)], profile)
    assert math.isnan(captured.frame["y"].iloc[0])
    assert captured.issues.to_dict() == {
        "missing_column": {"y": 1},
        "extra_column": {"zip": 1},
        "data_type": {},
    }


def test_unknown_category_code_and_empty_fields_are_missing(profile):
    frame = read_capture([capture_line("0.5,,7", "0.8")], profile).frame
    assert math.isnan(frame["y"].iloc[0]) and frame["color"].iloc[0] is None


def test_missing_output_keeps_the_rows_without_a_prediction_and_counts_them(profile):
    captured = read_capture([capture_line("0.5,3,2", None)], profile)
    assert len(captured.frame) == 1 and captured.without_output == 1
    assert captured.frame["_capture_prediction"].iloc[0] is None
    assert math.isnan(captured.frame["_capture_score"].iloc[0])


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "capture_not_json"),
        (json.dumps({"captureData": {}, "eventMetadata": {"eventId": "e"}}), "capture_no_input"),
        (capture_line("", "0.5"), "capture_no_input"),
        (
            json.dumps({"captureData": {"endpointInput": {"data": "1,2,0", "encoding": "CSV"}}}),
            "capture_no_event_id",
        ),
        (capture_line("0.5,3", "0.5"), "capture_field_count"),
        (capture_line("0.5,3,2\n1,2", "0.5\n0.5"), "capture_field_count"),
        (capture_line("abc,3,2", "0.5"), "capture_not_numeric"),
        (capture_line("%%%", "0.5").replace('"CSV"', '"BASE64"', 1), "capture_undecodable"),
        (capture_line("0.5,3,2", "0.5").replace('"CSV"', '"GZIP"', 1), "capture_undecodable"),
        (capture_line("{oops", "0.5", **JSON_IN), "capture_undecodable"),
        (capture_line("0.5,3,2", "<html>503</html>"), "capture_bad_output"),
        (capture_line("0.5,3,2\n1,2,0", "0.5"), "capture_bad_output"),
        (capture_line("0.5,3,2", "7.5"), "capture_bad_output"),
        (
            capture_line(
                "0.5,3,2", json.dumps({"predictions": [{"score": 0.2, "predicted_label": 4}]}), **JSON_OUT
            ),
            "capture_bad_output",
        ),
    ],
)
def test_each_bad_record_gets_its_own_reason_and_no_values_in_the_detail(profile, line, reason):
    captured = read_capture([line], profile)
    assert captured.frame.empty
    assert [b.reason for b in captured.bad] == [reason]
    assert "abc" not in captured.bad[0].detail and "html" not in captured.bad[0].detail


def test_half_good_file_keeps_the_good_records_and_lists_the_bad_by_line(profile):
    lines = [
        capture_line("0.5,3,2", "0.8", event_id="a"),
        "garbage",
        capture_line("1,2,0\n2,2,1", "0.1\n0.9", event_id="b"),
        "",
        capture_line("1,2", "0.3", event_id="c"),
    ]
    captured = read_capture(lines, profile)
    assert captured.frame["_capture_event_id"].tolist() == ["a", "b", "b"]
    assert [(b.line, b.reason) for b in captured.bad] == [(2, "capture_not_json"), (5, "capture_field_count")]
    assert captured.records == 4  # the blank line is not a record
    assert captured.summary()["bad_by_reason"] == {"capture_field_count": 1, "capture_not_json": 1}


def test_linear_learner_json_and_json_lines_answers(profile):
    answer = json.dumps(
        {"predictions": [{"score": 0.7, "predicted_label": 1}, {"score": 0.2, "predicted_label": 0}]}
    )
    lines = [
        capture_line("0.5,3,2\n1,2,0", answer, event_id="a", **JSON_OUT),
        capture_line(
            "1,1,1",
            '{"score": 0.45, "predicted_label": 0}\n',
            event_id="b",
            out_type="application/jsonlines",
            out_encoding="JSON",
        ),
    ]
    frame = read_capture(lines, profile, algorithm="linear-learner").frame
    assert frame["_capture_prediction"].tolist() == ["1", "0", "0"]
    assert frame["_capture_score"].tolist() == pytest.approx([0.7, 0.2, 0.45])


def test_multiclass_probability_vectors_and_class_indices():
    profile = multiclass_profile()
    lines = [
        capture_line("0.1\n0.2", "0.1,0.7,0.2\n0.6,0.3,0.1", event_id="softprob"),
        capture_line("0.3", "2.0", event_id="softmax"),
        capture_line(
            "0.4",
            json.dumps({"predictions": [{"score": [0.2, 0.2, 0.6], "predicted_label": 2}]}),
            event_id="ll",
            **JSON_OUT,
        ),
    ]
    frame = read_capture(lines, profile).frame
    assert frame["_capture_prediction"].tolist() == ["b", "a", "c", "c"]
    scores = frame["_capture_score"].tolist()
    assert (
        scores[:2] == pytest.approx([0.7, 0.6]) and math.isnan(scores[2]) and scores[3] == pytest.approx(0.6)
    )


def test_regression_prediction_is_the_value_and_has_no_score():
    frame = read_capture([capture_line("0.1\n0.2", "1.5\n-0.25")], regression_profile()).frame
    assert frame["_capture_prediction"].tolist() == [1.5, -0.25]
    assert frame["_capture_score"].isna().all()


def test_bytes_lines_are_read_like_text(profile):
    captured = read_capture([capture_line("0.5,3,2", "0.8").encode() + b"\n"], profile)
    assert len(captured.frame) == 1


def test_files_concatenate_with_their_names_on_bad_records(profile):
    first = read_capture([capture_line("0.5,3,2", "0.8", event_id="a"), "bad"], profile)
    second = read_capture(
        [capture_line('{"x": 1, "q": 2}', "0.4", in_type="application/json", in_encoding="JSON")], profile
    )
    both = CapturedRows.concat([first, second], names=["f1.jsonl", "f2.jsonl"])
    assert len(both.frame) == 2 and both.records == 3
    assert [(b.line, b.detail.split(":")[0]) for b in both.bad] == [(2, "f1.jsonl")]
    assert both.issues.to_dict()["extra_column"] == {"q": 1}


def test_an_answer_whose_content_type_says_nothing_is_read_as_the_algorithm_answers(profile):
    answer = json.dumps({"predictions": [{"score": 0.7, "predicted_label": 1}]})
    line = capture_line("0.5,3,2", answer, out_type="application/octet-stream", out_encoding="BASE64")
    assert read_capture([line], profile, algorithm="linear-learner").frame[
        "_capture_prediction"
    ].tolist() == ["1"]
    assert [b.reason for b in read_capture([line], profile, algorithm="xgboost").bad] == [
        "capture_bad_output"
    ]


def test_the_services_own_requests_are_left_out_and_counted(profile):
    # DetectDrift scores a labelled batch on the endpoint with InferenceIds of its own: Data Capture
    # records them like any request, and they must not come back as served traffic.
    own = capture_line("0.5,3,2", "0.8", event_id="e1", inference_id=f"{OWN_INFERENCE_PREFIX}ab12-1")
    user = capture_line("-1,2,0", "0.1", event_id="e2", inference_id="user-7")
    captured = read_capture([own, user], profile)
    assert captured.frame["_capture_event_id"].tolist() == ["e2"]
    assert (captured.records, captured.own_requests, captured.bad) == (2, 1, ())
    assert captured.summary()["own_requests_left_out"] == 1


def test_the_endpoint_invoker_marks_its_requests_as_the_services_own():
    from drift_retrain.aws.endpoint import EndpointPredictor

    sent: list[dict] = []

    class Runtime:
        def invoke_endpoint(self, **kwargs):
            sent.append(kwargs)
            return {"Body": io.BytesIO(b"0.8\n0.1\n")}

    predictor = EndpointPredictor(Runtime(), "champion", max_rows_per_request=2)
    predictor(pd.DataFrame({"a": [1.0, 2.0]}))
    assert [s["InferenceId"].startswith(OWN_INFERENCE_PREFIX) for s in sent] == [True]
    assert len(sent[0]["InferenceId"]) <= 64  # InvokeEndpoint's limit
