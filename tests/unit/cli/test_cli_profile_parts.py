"""``drift-retrain profile`` of a folder of part files and of a large CSV in byte ranges: the same counts
as one pass, a progress line per part, and a part that disagrees refused by name."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from drift_retrain.engine.profile import BaselineProfile
from drift_retrain_local.cli.main import EXIT_INVALID, EXIT_OK, main


def _frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "label": rng.integers(0, 2, rows),
            "x": np.round(rng.normal(size=rows), 6),
            "k": rng.integers(0, 9, rows),
            "color": rng.choice(["red", "green", "blue"], rows),
        }
    )


@pytest.fixture
def training() -> pd.DataFrame:
    frame = _frame(40_000, 1)
    frame.loc[len(frame) - 5 :, "label"] = 2  # a class only the last part holds
    return frame


def _write_parts(frame: pd.DataFrame, folder) -> list[str]:
    folder.mkdir()
    chunks = np.array_split(np.arange(len(frame)), 4)
    names = ["part-00000.csv", "part-00001.parquet", "part-00002.jsonl", "part-00003.csv.gz"]
    for name, rows in zip(names, chunks, strict=True):
        part = frame.iloc[rows]
        path = folder / name
        if name.endswith(".parquet"):
            part.to_parquet(path, index=False)
        elif name.endswith(".jsonl"):
            part.to_json(path, orient="records", lines=True)
        elif name.endswith(".gz"):
            path.write_bytes(gzip.compress(part.to_csv(index=False).encode()))
        else:
            part.to_csv(path, index=False)
    (folder / "_SUCCESS").write_bytes(b"")
    return names


def _profile(source, out, *extra) -> int:
    return main(["profile", str(source), "--out", str(out), "--label", "label", *extra])


def _same_counts(a: BaselineProfile, b: BaselineProfile) -> None:
    assert a.rows == b.rows and a.schema.classes == b.schema.classes == ("0", "1", "2")
    for name in ("x", "k"):
        assert (a.columns[name].count, a.columns[name].missing) == (
            b.columns[name].count,
            b.columns[name].missing,
        )
    assert a.columns["k"].counts.tolist() == b.columns["k"].counts.tolist()
    assert a.columns["color"].to_dict() == b.columns["color"].to_dict()
    assert a.label.to_dict() == b.label.to_dict()


def test_a_folder_of_parts_is_profiled_part_by_part_as_one_pass_would(training, tmp_path, capsys):
    training.to_csv(tmp_path / "train.csv", index=False)
    names = _write_parts(training, tmp_path / "parts")
    assert _profile(tmp_path / "train.csv", tmp_path / "whole", "--part-mb", "0") == EXIT_OK
    capsys.readouterr()
    assert _profile(tmp_path / "parts", tmp_path / "parted") == EXIT_OK
    err = capsys.readouterr().err
    for index, name in enumerate(names, start=1):
        assert f"part {index}/4 {tmp_path / 'parts' / name}: 10,000 rows" in err
    _same_counts(BaselineProfile.load(tmp_path / "whole"), BaselineProfile.load(tmp_path / "parted"))


def test_a_large_csv_is_profiled_in_byte_ranges(tmp_path, capsys):
    frame = _frame(120_000, 2)
    frame.loc[:10, "label"] = 2
    frame.to_csv(tmp_path / "train.csv", index=False)
    assert (tmp_path / "train.csv").stat().st_size > 2 * 2**20
    assert _profile(tmp_path / "train.csv", tmp_path / "whole", "--part-mb", "0") == EXIT_OK
    assert "part 1/" not in capsys.readouterr().err
    assert _profile(tmp_path / "train.csv", tmp_path / "ranges", "--part-mb", "1") == EXIT_OK
    err = capsys.readouterr().err
    assert "part 1/3 " in err and "train.csv#bytes=000000000000-" in err
    _same_counts(BaselineProfile.load(tmp_path / "whole"), BaselineProfile.load(tmp_path / "ranges"))


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda f: f.assign(extra=1), "has 1 columns the first lacks"),
        (lambda f: f.drop(columns=["color"]), "missing feature columns"),
        (lambda f: f.drop(columns=["label"]), "lacks the label column"),
    ],
)
def test_a_part_whose_columns_disagree_is_refused_by_name(tmp_path, capsys, change, said):
    folder = tmp_path / "parts"
    folder.mkdir()
    frame = _frame(2_000, 3)
    frame.iloc[:1_000].to_csv(folder / "part-0.csv", index=False)
    change(frame.iloc[1_000:]).to_csv(folder / "part-1.csv", index=False)
    assert _profile(folder, tmp_path / "out") == EXIT_INVALID
    err = capsys.readouterr().err
    assert "(partition_schema_mismatch)" in err and f"part '{folder / 'part-1.csv'}' disagrees" in err
    assert said in err and not (tmp_path / "out").exists()


def test_text_in_a_numeric_column_of_a_later_part_names_the_part_and_cell(tmp_path, capsys):
    folder = tmp_path / "parts"
    folder.mkdir()
    frame = _frame(2_000, 4)
    frame.iloc[:1_000].to_csv(folder / "part-0.csv", index=False)
    later = frame.iloc[1_000:].astype({"x": object})
    later.iloc[3, later.columns.get_loc("x")] = "oops"
    later.to_csv(folder / "part-1.csv", index=False)
    assert _profile(folder, tmp_path / "out") == EXIT_INVALID
    err = capsys.readouterr().err
    assert "(not_numeric)" in err and str(folder / "part-1.csv") in err
