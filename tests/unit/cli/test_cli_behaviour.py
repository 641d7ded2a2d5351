"""The CLI behaves like one: --version, plain help, each message once (errors on stderr), a closed pipe
ends quietly, one exit code per kind of failure in every command, and a run's folder holds that run's
files only."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from support.paths import DOCS

import drift_retrain
from drift_retrain_local.cli.exit_codes import EXIT_CODES, EXIT_INVALID, EXIT_OK, EXIT_PIPE_CLOSED, EXIT_USAGE
from drift_retrain_local.cli.main import _parser, main
from drift_retrain_local.run import batches
from drift_retrain_local.run import local_run as local_run_module

CLI_DOC = DOCS / "cli.md"


def _cli(*args: str, stdout=subprocess.PIPE) -> subprocess.Popen:
    command = [sys.executable, "-m", "drift_retrain_local.cli.main", *args]
    return subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE, text=True)


def _parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _parsers(child)
            yield from action._choices_actions  # the one-line help in the parent's list


def test_version_prints_the_package_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == EXIT_OK
    assert capsys.readouterr().out.strip() == f"drift-retrain {drift_retrain.__version__}"


def test_help_text_is_plain_and_lists_the_exit_codes():
    texts = [
        p.format_help() if isinstance(p, argparse.ArgumentParser) else p.help for p in _parsers(_parser())
    ]
    assert len(texts) > 10
    assert not [text for text in texts if "`" in text]
    top = _parser().format_help()
    assert all(f"{code:>3}  {meaning}" in top for code, meaning in EXIT_CODES.items())


def test_the_exit_code_table_in_the_docs_matches_the_cli():
    rows = {
        int(cells[1]): cells[2]
        for line in CLI_DOC.read_text(encoding="utf-8").splitlines()
        if line.startswith("| ") and (cells := [c.strip() for c in line.split("|")])[1].isdigit()
    }
    assert set(rows) == set(EXIT_CODES)


def _wide(path: Path, columns: int = 60, rows: int = 300) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({f"x{i}": rng.normal(size=rows).round(3) for i in range(columns)})
    frame.insert(0, "label", rng.integers(0, 2, rows))
    frame.to_csv(path, index=False)


def test_a_closed_pipe_ends_quietly(tmp_path, capsys):
    """``check --json | head -1``: the report (over 64 kB, more than a pipe holds) meets a closed pipe."""
    _wide(tmp_path / "wide.csv")
    assert main(["profile", str(tmp_path / "wide.csv"), "--out", str(tmp_path / "profile")]) == EXIT_OK
    process = _cli("check", str(tmp_path / "wide.csv"), "--profile", str(tmp_path / "profile"), "--json")
    assert process.stdout.readline().strip() == "{"
    process.stdout.close()
    assert (process.wait(timeout=120), process.stderr.read()) == (EXIT_PIPE_CLOSED, "")


def test_an_invalid_batch_says_why_once_on_stderr(tmp_path, capsys):
    _wide(tmp_path / "train.csv", columns=3)
    assert main(["profile", str(tmp_path / "train.csv"), "--out", str(tmp_path / "profile")]) == EXIT_OK
    capsys.readouterr()
    (tmp_path / "bad.csv").write_text("label,x0,x1,x2\n1,0.5,0.1,0.2\n1,0.2\n")
    code = main(["check", str(tmp_path / "bad.csv"), "--profile", str(tmp_path / "profile")])
    captured = capsys.readouterr()
    assert code == EXIT_INVALID
    message = "line 3: expected 4 fields (as in the header), found 2"
    assert captured.out == "" and captured.err.count(message) == 1, captured


def test_a_missing_label_exits_the_same_in_profile_and_local_run(tmp_path, capsys):
    (tmp_path / "train.csv").write_text("a,b\n1,2\n3,4\n")
    profile = main(["profile", str(tmp_path / "train.csv"), "--out", str(tmp_path / "p"), "--label", "y"])
    first = capsys.readouterr().err
    run = main(
        ["local", "run", "--train", str(tmp_path / "train.csv"), "--label", "y", "--out", str(tmp_path)]
    )
    second = capsys.readouterr().err
    assert profile == run == EXIT_INVALID
    assert "(missing_label)" in first and "(missing_label)" in second


def test_a_run_removes_what_an_earlier_run_wrote_and_nothing_else(tmp_path, monkeypatch):
    out = tmp_path / "out"
    (out / "reports" / "drift").mkdir(parents=True)
    (out / "reports" / "drift" / "old-batch.html").write_text("stale")
    (out / "quarantine").mkdir()
    (out / "notifications.jsonl").write_text("{}\n")
    (out / "my-notes.txt").write_text("keep me")
    (tmp_path / "train.csv").write_text("label,x\n1,2\n0,3\n")

    def no_cloud(*_args, **_kwargs):
        raise RuntimeError("no cloud in a unit test")

    monkeypatch.setattr(local_run_module, "open_cloud", no_cloud)
    with pytest.raises(RuntimeError, match="no cloud"):
        local_run_module.local_run(tmp_path / "train.csv", [], out, echo=lambda *_: None)
    assert not (out / "reports" / "drift" / "old-batch.html").exists()
    assert not (out / "quarantine").exists() and not (out / "notifications.jsonl").exists()
    assert (out / "my-notes.txt").read_text() == "keep me"
    assert (out / "timeline.json").exists()  # this run's, written even when it fails


def test_local_run_prints_one_line_per_batch_unless_verbose(monkeypatch, tmp_path):
    seen = {}
    monkeypatch.setattr(
        local_run_module,
        "local_run",
        lambda *a, **kw: seen.update(kw) or {"bootstrap": {"outcome": "promoted"}, "batches": []},
    )
    (tmp_path / "train.csv").write_text("label,x\n1,2\n")
    assert main(["local", "run", "--train", str(tmp_path / "train.csv")]) == EXIT_OK
    assert seen["verbose"] is False
    assert main(["local", "run", "--train", str(tmp_path / "train.csv"), "--verbose"]) == EXIT_OK
    assert seen["verbose"] is True
    entry = {
        "outcome": "promoted",
        "drifted_features": [],
        "concept_drift": True,
        "execution": {"name": "run-3", "status": "SUCCEEDED"},
    }
    line = batches._batch_line(entry, {"status": "checked"})
    assert line == "promoted; no feature drift; concept drift; execution run-3 SUCCEEDED"


def test_local_run_set_reaches_the_stack_as_settings(monkeypatch, tmp_path):
    seen = {}
    monkeypatch.setattr(
        local_run_module,
        "local_run",
        lambda *a, **kw: seen.update(kw) or {"bootstrap": {"outcome": "promoted"}, "batches": []},
    )
    (tmp_path / "train.csv").write_text("label,x\n1,2\n")
    argv = ["local", "run", "--train", str(tmp_path / "train.csv"), "--set", "min_labelled_rows=200"]
    assert main([*argv, "--set", "candidate_strategies=newest"]) == EXIT_OK
    assert seen["settings"] == {"min_labelled_rows": "200", "candidate_strategies": "newest"}


def test_local_run_refuses_an_unknown_setting_before_anything_starts(monkeypatch, tmp_path, capsys):
    def no_cloud(*_args, **_kwargs):
        raise AssertionError("the cloud started")

    monkeypatch.setattr(local_run_module, "open_cloud", no_cloud)
    (tmp_path / "train.csv").write_text("label,x\n1,2\n0,3\n")
    argv = ["local", "run", "--train", str(tmp_path / "train.csv"), "--out", str(tmp_path / "out")]
    assert main([*argv, "--set", "min_labeled_rows=200"]) == EXIT_USAGE
    error = capsys.readouterr().err
    assert "unknown setting 'min_labeled_rows' (did you mean 'min_labelled_rows'?)" in error
    assert error.count("min_labeled_rows") == 1
    assert not (tmp_path / "out").exists()
