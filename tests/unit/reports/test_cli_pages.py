"""``drift-retrain check --html`` and ``drift-retrain report``: the same page from a batch or a saved JSON."""

from __future__ import annotations

import json

import pytest
from reports_support import make_frame

from drift_retrain_local.cli.main import EXIT_OK, EXIT_USAGE, main


@pytest.fixture
def checked(tmp_path):
    make_frame(5000, seed=1).to_csv(tmp_path / "train.csv", index=False)
    make_frame(2000, seed=2, shift=0.6, new_region=0.1).to_csv(tmp_path / "batch.csv", index=False)
    assert (
        main(["profile", str(tmp_path / "train.csv"), "--out", str(tmp_path / "profile"), "--label", "label"])
        == 0
    )
    return tmp_path


def test_check_writes_the_page_and_report_renders_the_same_json(checked, capsys):
    page = checked / "pages" / "batch.html"
    code = main(
        [
            "check",
            str(checked / "batch.csv"),
            "--profile",
            str(checked / "profile"),
            "--json",
            "--html",
            str(page),
        ]
    )
    assert code == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    html = page.read_text()
    assert "Drift report: batch" in html and html.count("data-feature=") == len(report["features"])
    (checked / "report.json").write_text(json.dumps(report))
    out = checked / "again.html"
    assert main(["report", str(checked / "report.json"), "--out", str(out)]) == EXIT_OK
    assert out.read_text().count("data-feature=") == len(report["features"])
    assert "HTML report written to" in capsys.readouterr().err


def test_report_fills_old_reports_plots_from_the_profile(checked, capsys):
    main(["check", str(checked / "batch.csv"), "--profile", str(checked / "profile"), "--json"])
    report = json.loads(capsys.readouterr().out)
    report.pop("distributions")
    (checked / "old.json").write_text(json.dumps(report))
    assert main(["report", str(checked / "old.json"), "--out", str(checked / "old.html")]) == EXIT_OK
    assert "no distribution recorded" in (checked / "old.html").read_text()
    args = [
        "report",
        str(checked / "old.json"),
        "--profile",
        str(checked / "profile"),
        "--out",
        str(checked / "p.html"),
    ]
    assert main(args) == EXIT_OK
    assert "no distribution recorded" not in (checked / "p.html").read_text()


@pytest.mark.parametrize("content", ["not json", json.dumps({"some": "thing"})])
def test_report_refuses_what_is_not_a_drift_report(tmp_path, capsys, content):
    (tmp_path / "x.json").write_text(content)
    assert main(["report", str(tmp_path / "x.json"), "--out", str(tmp_path / "x.html")]) == EXIT_USAGE
    assert "drift-retrain:" in capsys.readouterr().err and not (tmp_path / "x.html").exists()
