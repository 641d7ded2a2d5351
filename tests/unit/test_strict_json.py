"""Every JSON the service writes is strict (no ``NaN`` or ``Infinity`` tokens): non-finite numbers are
written as ``null`` and named, with their original value, under ``non_finite_values``."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from support.examples import examples

from drift_retrain import strict_json
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain_local.cli.main import EXIT_OK, main


def strict_loads(text: str | bytes):
    """``json.loads`` as a strict parser (jq, Java, ``JSON.parse``) reads: NaN and Infinity refused."""

    def refuse(token: str):
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def test_non_finite_numbers_become_null_and_are_named_with_their_value():
    document = {"a": [1.0, math.inf], "b": {"x/y": -math.inf, "c": np.float64("nan")}, "d": 1e300}
    written = strict_loads(strict_json.dumps(document))
    assert written["a"] == [1.0, None] and written["b"] == {"x/y": None, "c": None} and written["d"] == 1e300
    assert written[strict_json.NON_FINITE_KEY] == {"/a/1": "Infinity", "/b/x~1y": "-Infinity", "/b/c": "NaN"}
    assert strict_json.NON_FINITE_KEY not in strict_loads(strict_json.dumps({"a": 1.0}))


_leaf = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
_documents = st.dictionaries(
    st.text(max_size=5),
    st.recursive(
        _leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=3), c, max_size=3)
    ),
    max_size=5,
)


def _non_finite(value) -> int:
    if isinstance(value, dict):
        return sum(_non_finite(v) for v in value.values())
    if isinstance(value, list):
        return sum(_non_finite(v) for v in value)
    return int(isinstance(value, float) and not math.isfinite(value))


@settings(max_examples=examples(300), deadline=None)
@given(_documents.filter(lambda d: strict_json.NON_FINITE_KEY not in d))
def test_any_document_is_written_strictly_and_each_non_finite_number_is_accounted_for(document):
    written = strict_loads(strict_json.dumps(document))
    assert len(written.get(strict_json.NON_FINITE_KEY, {})) == _non_finite(document)


def _huge_batch(path, rows: int = 2_000) -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=rows)
    x[:100], x[100:200] = 1.7e308, -1.7e308
    frame = pd.DataFrame({"label": rng.integers(0, 2, rows), "x": x, "y": rng.normal(size=rows) * 1e300})
    frame.to_csv(path, index=False)


def test_profile_and_check_of_values_near_the_float_limit_write_strict_json(tmp_path, capsys):
    _huge_batch(tmp_path / "train.csv")
    _huge_batch(tmp_path / "batch.csv")
    assert main(["profile", str(tmp_path / "train.csv"), "--out", str(tmp_path / "profile")]) == EXIT_OK
    strict_loads((tmp_path / "profile" / "profile.json").read_bytes())
    BaselineProfile.load(tmp_path / "profile")  # still readable
    capsys.readouterr()
    code = main(["check", str(tmp_path / "batch.csv"), "--profile", str(tmp_path / "profile"), "--json"])
    report = strict_loads(capsys.readouterr().out)
    assert code == EXIT_OK and report["status"] == "ok"
    # The engine reports an overflowed mean or spread as null itself; whatever else was not finite is named.
    assert set(report.get(strict_json.NON_FINITE_KEY, {}).values()) <= {"NaN", "Infinity", "-Infinity"}
    x = next(f for f in report["features"] if f["name"] == "x")
    assert x["batch"]["std"] is None or report[strict_json.NON_FINITE_KEY]
