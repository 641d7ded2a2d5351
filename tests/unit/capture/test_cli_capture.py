"""``drift-retrain check --capture``: on capture and ground-truth files written from the AWS docs' records."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from support.paths import TEST_FIXTURES

from drift_retrain.capture.reference import PredictionReference
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain_local.cli.main import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main

FIXTURES = TEST_FIXTURES / "capture"


@pytest.fixture(scope="module")
def profile_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("profile")
    assert main(["profile", str(FIXTURES / "train.csv"), "--label", "label", "--out", str(out)]) == EXIT_OK
    return out


def check(profile_dir, *extra: str) -> int:
    return main(["check", "--profile", str(profile_dir), *extra])


def test_capture_and_ground_truth_files_give_the_check_summary_and_the_capture_lines(profile_dir, capsys):
    code = check(
        profile_dir,
        "--capture",
        str(FIXTURES / "capture-xgboost.jsonl"),
        "--ground-truth",
        str(FIXTURES / "ground-truth.jsonl"),
    )
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "feature drift: 0 of 3 columns" in out and "decision: no action" in out
    assert (
        "capture: 9 records, 9 rows; bad records: capture_bad_output 1, capture_field_count 1, "
        "capture_not_json 1; without output: 1"
    ) in out
    # 7 labelled: a single row, 3 rows of one request, one by inferenceId, BASE64, JSON; orphan, duplicate
    assert "join: 7 of 9 rows labelled (77.8%); orphan labels 1; duplicates 1; wrong encoding 1" in out
    assert "estimated error:" in out and "realised 14.29% on 7" in out


def test_json_report_carries_the_capture_sections(profile_dir, capsys):
    code = check(profile_dir, "--capture", str(FIXTURES / "capture-linear-learner.jsonl"), "--json")
    data = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK
    assert data["capture"]["rows"] == 3 and data["capture"]["join"] is None
    assert data["estimated_performance"]["rows"] == 3 and data["retrain"] is False


def test_reference_calibrates_the_estimate_and_tests_prediction_drift(profile_dir, tmp_path, capsys):
    profile = BaselineProfile.load(profile_dir)
    rng = np.random.default_rng(0)
    scores = rng.uniform(size=500)
    reference = PredictionReference.build(
        profile.schema, scores, (rng.uniform(size=500) < scores).astype(int)
    )
    path = tmp_path / "prediction_reference.json"
    path.write_bytes(reference.to_json_bytes())
    code = check(profile_dir, "--capture", str(FIXTURES / "capture-xgboost.jsonl"), "--reference", str(path))
    out = capsys.readouterr().out
    assert code == EXIT_OK and "uncalibrated" not in out and "prediction drift:" in out


def test_a_file_with_no_usable_record_is_invalid(profile_dir, tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n{}\n", encoding="utf-8")
    assert check(profile_dir, "--capture", str(bad)) == EXIT_INVALID
    assert "capture_no_rows" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["--ground-truth", str(FIXTURES / "ground-truth.jsonl")],
        ["batch.csv", "--capture", str(FIXTURES / "capture-xgboost.jsonl")],
        [],
        ["--capture", "missing.jsonl"],
    ],
    ids=["ground-truth-alone", "batch-and-capture", "nothing", "missing-file"],
)
def test_usage_errors(profile_dir, args, capsys):
    assert check(profile_dir, *args) == EXIT_USAGE
    assert capsys.readouterr().err.startswith("drift-retrain: ")


def test_gzipped_capture_files_are_read(profile_dir, tmp_path, capsys):
    packed = tmp_path / "capture.jsonl.gz"
    packed.write_bytes(gzip.compress((FIXTURES / "capture-xgboost.jsonl").read_bytes()))
    assert check(profile_dir, "--capture", str(packed), "--json") == EXIT_OK
    assert json.loads(capsys.readouterr().out)["capture"]["rows"] == 9
