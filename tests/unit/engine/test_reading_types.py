"""One parsing path (issue 19): the kinds a training file gets are the kinds its batches are checked
against, cell by cell, through the CLI's ``profile`` and ``check`` as through PrepareTrainingData.

Each case once went wrong: a true/false label failed the first deployment ("'false' is not one of the
model's classes ['False', 'True']"), a true/false feature made every batch row a never-seen level, a
level "NA" vanished, and inference was silent about '?', '001' and empty columns.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.engine.reading import MIN_TRAINING_ROWS, read_csv, read_training
from drift_retrain.exceptions import InvalidBatchError
from drift_retrain_local.cli.main import EXIT_INVALID, EXIT_OK, main


def _frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows).round(3)
    return pd.DataFrame(
        {
            "y": np.where(x + rng.normal(scale=0.5, size=rows) > 0, "true", "false"),
            "x": x,
            "flag": rng.choice(["true", "false"], rows),
            "region": rng.choice(["NA", "EU", "AS"], rows, p=[0.4, 0.4, 0.2]),
            "income": np.where(rng.random(rows) < 0.1, "NA", rng.normal(50, 10, rows).round(1).astype(str)),
        }
    )


def _profile_and_check(
    tmp_path, capsys, train: pd.DataFrame, batch: pd.DataFrame, *extra: str
) -> tuple[str, dict]:
    train.to_csv(tmp_path / "train.csv", index=False)
    batch.to_csv(tmp_path / "batch.csv", index=False)
    code = main(
        ["profile", str(tmp_path / "train.csv"), "--label", "y", "--out", str(tmp_path / "p"), *extra]
    )
    printed = capsys.readouterr().out
    assert code == EXIT_OK, printed
    code = main(["check", "--profile", str(tmp_path / "p"), str(tmp_path / "batch.csv"), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK and report["status"] == "ok", report.get("error")
    return printed, report


def test_true_false_labels_and_features_are_the_same_text_in_training_and_batches(tmp_path, capsys):
    _, report = _profile_and_check(tmp_path, capsys, _frame(2_000, 1), _frame(1_000, 2))

    profile = BaselineProfile.load(tmp_path / "p")
    assert profile.schema.classes == ("false", "true")
    flag = next(f for f in report["features"] if f["name"] == "flag")
    assert flag["unseen_categories"] == [] and not flag["drifted"]
    assert report["labelled_rows"] == 1_000 and report["set_aside"] == {}


def test_a_level_named_na_is_kept_and_na_in_a_numeric_column_is_missing(tmp_path, capsys):
    train = _frame(2_000, 3)
    _, report = _profile_and_check(tmp_path, capsys, train, _frame(1_000, 4))

    profile = BaselineProfile.load(tmp_path / "p")
    region = profile.columns["region"]
    assert "NA" in region.categories and region.missing == 0
    assert profile.schema.kind_of("income") == "numeric"
    assert profile.columns["income"].missing == int((train["income"] == "NA").sum())
    assert next(f for f in report["features"] if f["name"] == "region")["unseen_categories"] == []


def test_missing_markers_are_a_schema_setting(tmp_path, capsys):
    train = _frame(500, 5).astype({"x": object})
    train.loc[::50, "x"] = "?"
    (tmp_path / "schema.json").write_text(json.dumps({"missing_markers": ["?"]}))
    printed, _ = _profile_and_check(
        tmp_path, capsys, train, _frame(300, 6), "--schema", str(tmp_path / "schema.json")
    )

    profile = BaselineProfile.load(tmp_path / "p")
    assert profile.schema.missing_markers == ("?",) and profile.schema.kind_of("x") == "numeric"
    assert profile.columns["x"].missing == 10
    assert "missing markers: '?'" in printed


def test_profile_prints_each_columns_kind_with_its_reason_and_warns_about_surprises(tmp_path, capsys):
    train = _frame(500, 7).astype({"x": object})
    train.loc[17, "x"] = "?"
    train["code"] = [f"{i % 9:03d}" for i in range(500)]
    train["notes"] = ""
    later = _frame(300, 8)
    later["code"] = "004"
    later["notes"] = "now filled in"
    printed, report = _profile_and_check(tmp_path, capsys, train, later)

    assert "x" in printed and "inferred: 1 of 500 values are not numbers ('?')" in printed
    assert "WARNING: column 'x' is 99.8% numbers but 1 cell ('?') make it categorical" in printed
    assert "WARNING: column 'code' reads values with leading zeros (such as '000') as numbers" in printed
    assert "WARNING: column 'notes' is empty in the training data" in printed
    # The empty column is text, so a batch that fills it in is checked, not quarantined.
    assert next(f for f in report["features"] if f["name"] == "notes")["kind"] == "categorical"


def test_a_training_file_below_the_minimum_is_refused(tmp_path, capsys):
    (tmp_path / "tiny.csv").write_bytes(b"y,x\n1,2\n0,3\n")
    code = main(["profile", str(tmp_path / "tiny.csv"), "--label", "y", "--out", str(tmp_path / "p")])
    assert code == EXIT_INVALID
    assert (
        "(too_few_rows): training data: 2 labelled rows; a baseline needs at least 30"
        in capsys.readouterr().err
    )
    with pytest.raises(InvalidBatchError) as caught:
        read_training(b"y,x\n" + b"1,2\n0,3\n" * (MIN_TRAINING_ROWS // 2 - 1) + b",3\n" * 100, label="y")
    assert caught.value.code == "too_few_rows"


def test_a_training_read_and_a_batch_read_type_every_cell_alike():
    data = _frame(400, 9).to_csv(index=False).encode()
    training = read_training(data, label="y")
    batch = read_csv(data, schema=training.schema)
    pd.testing.assert_frame_equal(
        training.frame.reset_index(drop=True), batch.frame.reset_index(drop=True), check_dtype=False
    )


def test_a_profile_written_before_missing_markers_keeps_reading_na_as_missing():
    """Its categorical columns were profiled with pandas' markers; batches are read the same way."""
    from drift_retrain.engine.cell_text import LEGACY_MISSING_MARKERS
    from drift_retrain.engine.schema import Schema

    data = read_training(_frame(300, 10).to_csv(index=False).encode(), label="y").schema.to_dict()
    del data["missing_markers"]
    old = Schema.from_dict(data)
    assert old.missing_markers == LEGACY_MISSING_MARKERS
    batch = read_csv(b"y,x,flag,region,income\ntrue,1,true,NA,3\nfalse,2,false,EU,NA\n", schema=old)
    assert batch.frame["region"].isna().tolist() == [True, False]
