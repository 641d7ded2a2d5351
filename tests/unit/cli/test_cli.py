"""The drift-retrain CLI: profile, check (text and JSON), exit codes and messages."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from drift_retrain_local.cli.main import EXIT_INVALID, EXIT_OK, EXIT_USAGE, main


def _frame(rows: int, seed: int, *, shift: float = 0.0, flip: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(shift, 1.0, rows)
    color = rng.choice(["red", "green", "blue"], rows)
    truth = (x > 0).astype(int)
    label = 1 - truth if flip else truth
    return pd.DataFrame({"label": label, "x": np.round(x, 5), "color": color})


@pytest.fixture
def files(tmp_path):
    train = tmp_path / "train.csv"
    _frame(20_000, 1).to_csv(train, index=False)
    holdout = _frame(2_000, 2)
    holdout.to_csv(tmp_path / "holdout.csv", index=False)
    # a champion that is right 95% of the time
    wrong = np.random.default_rng(3).random(len(holdout)) < 0.05
    pd.DataFrame({"p": np.where(wrong, 1 - holdout["label"], holdout["label"])}).to_csv(
        tmp_path / "holdout_pred.csv", index=False
    )
    return tmp_path


def _profile(files, capsys) -> None:
    code = main(
        [
            "profile",
            str(files / "train.csv"),
            "--out",
            str(files / "profile"),
            "--holdout",
            str(files / "holdout.csv"),
            "--holdout-predictions",
            str(files / "holdout_pred.csv"),
        ]
    )
    assert code == EXIT_OK
    capsys.readouterr()


def test_profile_command_writes_profile_and_reports_holdout(files, capsys):
    code = main(["profile", str(files / "train.csv"), "--out", str(files / "p"), "--label", "label"])
    out = capsys.readouterr().out
    assert code == EXIT_OK and (files / "p" / "profile.json").exists()
    assert "label 'label': binary" in out and "concept-drift test will be skipped" in out


def test_check_json_has_the_documented_fields(files, capsys):
    _profile(files, capsys)
    batch = _frame(3_000, 4, flip=True)
    batch.to_csv(files / "batch.csv", index=False)
    pd.DataFrame({"p": (batch["x"] > 0).astype(int)}).to_csv(files / "pred.csv", index=False, header=False)
    code = main(
        [
            "check",
            "--profile",
            str(files / "profile"),
            str(files / "batch.csv"),
            "--predictions",
            str(files / "pred.csv"),
            "--json",
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == EXIT_OK
    assert report["status"] == "ok" and report["error"] is None and report["rows"] == 3_000
    for feature in report["features"]:
        assert {"name", "kind", "test", "statistic", "p_value", "effect_size", "drifted"} <= set(feature)
    assert report["drifted_features"] == []
    concept = report["concept_drift"]
    assert concept["tested"] and concept["detected"]
    assert concept["error"] > 0.9 and concept["baseline_error"] == pytest.approx(0.05, abs=0.015)
    assert concept["p_value"] < 1e-10
    assert report["retrain"] is True and report["retrain_reasons"][0].startswith("concept drift")


def test_check_text_output_names_the_drifted_column(files, capsys):
    _profile(files, capsys)
    _frame(5_000, 5, shift=0.5).drop(columns="label").to_csv(files / "shifted.csv", index=False)
    code = main(
        ["check", "--profile", str(files / "profile"), str(files / "shifted.csv"), "--set", "alpha=0.01"]
    )
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "feature drift: 1 of 2 columns (x)" in out
    assert "no retrain (feature drift alone does not retrain (RETRAIN_ON=performance)" in out


def test_check_with_feature_retrain_opt_in_blames_the_missing_labels(files, capsys):
    _profile(files, capsys)
    _frame(5_000, 5, shift=0.5).drop(columns="label").to_csv(files / "shifted.csv", index=False)
    args = ["check", "--profile", str(files / "profile"), str(files / "shifted.csv"), "--set", "alpha=0.01"]
    code = main([*args, "--set", "retrain_on=performance_or_features", "--set", "feature_drift_share=0.5"])
    out = capsys.readouterr().out
    assert code == EXIT_OK
    assert "no retrain (0 labelled rows" in out


def test_invalid_batch_exits_non_zero_with_the_specific_message(files, capsys):
    _profile(files, capsys)
    (files / "bad.csv").write_text("label,x,colour\n1,0.5,red\n")
    code = main(["check", "--profile", str(files / "profile"), str(files / "bad.csv"), "--json"])
    captured = capsys.readouterr()
    assert code == EXIT_INVALID
    report = json.loads(captured.out)
    assert report["status"] == "invalid" and report["error_code"] == "renamed_columns"
    assert "'color' looks renamed to 'colour'" in report["error"] and "Traceback" not in captured.err
    assert report["retrain"] is False


def test_invalid_batch_from_the_installed_command_has_no_traceback(files, capsys):
    _profile(files, capsys)
    (files / "ragged.csv").write_text("label,x,color\n1,0.5,red\n1,0.2\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "drift_retrain_local.cli.main",
            "check",
            "--profile",
            str(files / "profile"),
            str(files / "ragged.csv"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == EXIT_INVALID
    assert "line 3: expected 3 fields (as in the header), found 2" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--set", "alpha=2"], "alpha must be > 0 and < 1"),
        (["--set", "seed=-1"], "seed must be from 0 to 4,294,967,295, got -1"),
        (["--set", "alpah=0.1"], "did you mean 'alpha'?"),
        (["--set", "nonsense"], "--set takes KEY=VALUE"),
    ],
)
def test_usage_errors_exit_2(files, capsys, extra, message):
    _profile(files, capsys)
    _frame(100, 6).to_csv(files / "b.csv", index=False)
    code = main(["check", "--profile", str(files / "profile"), str(files / "b.csv"), *extra])
    assert code == EXIT_USAGE and message in capsys.readouterr().err


def test_prediction_count_must_match_the_batch(files, capsys):
    _profile(files, capsys)
    _frame(100, 6).to_csv(files / "b.csv", index=False)
    pd.DataFrame({"p": [1] * 150}).to_csv(files / "p.csv", index=False)
    code = main(
        [
            "check",
            "--profile",
            str(files / "profile"),
            str(files / "b.csv"),
            "--predictions",
            str(files / "p.csv"),
        ]
    )
    assert code == EXIT_USAGE and "150 rows but the batch has 100" in capsys.readouterr().err


def test_missing_profile_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "b.csv").write_text("label,x\n1,2\n")
    code = main(["check", "--profile", str(tmp_path / "none"), str(tmp_path / "b.csv")])
    assert code == EXIT_USAGE and "cannot read baseline profile" in capsys.readouterr().err


@pytest.mark.parametrize("algorithm", ["linear-learner", "xgboost,linear-learner"])
def test_local_run_passes_the_algorithm_to_the_template(monkeypatch, tmp_path, algorithm):
    import drift_retrain_local.run.local_run as run

    seen = {}

    def fake_local_run(train, batches, out, **kwargs):
        seen.update(kwargs)
        return {"bootstrap": {"outcome": "promoted"}, "batches": []}

    monkeypatch.setattr(run, "local_run", fake_local_run)
    train = tmp_path / "train.csv"
    train.write_text("label,x\n1,2\n")
    assert main(["local", "run", "--train", str(train), "--algorithm", algorithm]) == EXIT_OK
    assert seen["parameters"] == {"Algorithms": algorithm, "PromotionMode": "replace"}  # template parameters


def test_local_run_rejects_an_unknown_algorithm(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["local", "run", "--train", str(tmp_path / "t.csv"), "--algorithm", "lightgbm"])
    assert exit_info.value.code == EXIT_USAGE
    assert "invalid choice: 'lightgbm'" in capsys.readouterr().err


def test_local_run_passes_the_promotion_mode_to_the_template(monkeypatch, tmp_path):
    import drift_retrain_local.run.local_run as run

    seen = {}
    monkeypatch.setattr(
        run,
        "local_run",
        lambda *a, **kw: seen.update(kw) or {"bootstrap": {"outcome": "promoted"}, "batches": []},
    )
    train = tmp_path / "train.csv"
    train.write_text("label,x\n1,2\n")
    assert main(["local", "run", "--train", str(train), "--promotion", "ab"]) == EXIT_OK
    assert seen["parameters"]["PromotionMode"] == "ab"


def test_check_reads_a_parquet_batch_and_a_json_lines_one_as_its_csv_twin(files, capsys):
    import fastparquet

    _profile(files, capsys)
    batch = _frame(3_000, 6, shift=0.5)
    batch.to_csv(files / "batch.csv", index=False)
    fastparquet.write(str(files / "batch.parquet"), batch.assign(color=batch["color"].astype("category")))
    batch.to_json(files / "batch.jsonl", orient="records", lines=True)
    reports = {}
    for name in ("batch.csv", "batch.parquet", "batch.jsonl"):
        code = main(["check", "--profile", str(files / "profile"), str(files / name), "--json"])
        assert code == EXIT_OK
        reports[name] = json.loads(capsys.readouterr().out)
    csv_report = reports.pop("batch.csv")
    for report in reports.values():
        assert report["rows"] == csv_report["rows"] == 3_000
        assert report["drifted_features"] == csv_report["drifted_features"] == ["x"]
        assert [f["statistic"] for f in report["features"]] == [
            f["statistic"] for f in csv_report["features"]
        ]


def test_check_refuses_a_parquet_file_named_csv(files, capsys):
    import fastparquet

    _profile(files, capsys)
    fastparquet.write(str(files / "batch.csv"), _frame(100, 7))
    code = main(["check", "--profile", str(files / "profile"), str(files / "batch.csv")])
    assert code == EXIT_INVALID and "wrong_extension" in capsys.readouterr().err


def test_local_run_takes_a_folder_as_one_partition(tmp_path):
    from drift_retrain_local.run.batches import partition_files

    folder = tmp_path / "day-1"
    folder.mkdir()
    for name in ("part-00001.parquet", "b.parquet", "_SUCCESS", ".part-00001.parquet.crc"):
        (folder / name).write_bytes(b"x")
    assert [name for name, _ in partition_files(folder)] == ["part-00001.parquet", "part-b.parquet"]


def test_local_run_passes_traffic_files_and_the_label_delay(monkeypatch, tmp_path):
    import drift_retrain_local.run.local_run as run

    seen = {}
    monkeypatch.setattr(
        run,
        "local_run",
        lambda *a, **kw: seen.update(kw) or {"bootstrap": {"outcome": "promoted"}, "batches": []},
    )
    train = tmp_path / "train.csv"
    train.write_text("label,x\n1,2\n")
    argv = [
        "local",
        "run",
        "--train",
        str(train),
        "--traffic",
        "a.csv",
        "--traffic",
        "b.csv",
        "--label-delay",
        "2",
    ]
    assert main(argv) == EXIT_OK
    assert ([str(p) for p in seen["traffic"]], seen["label_delay"]) == (["a.csv", "b.csv"], 2)
    main(["local", "run", "--train", str(train)])
    assert (seen["traffic"], seen["label_delay"]) == ([], 1)
