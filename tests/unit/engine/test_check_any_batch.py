"""Any batch the reader accepts gets a drift report, and that report is strict JSON.

A test that cannot be computed on a batch (a categorical column left empty, holding only levels the
baseline never saw, a column with no values at all) must say so in the report; it must never raise and
lose the check. Hypothesis draws schemas (column kinds and roles, levels, label task), baselines of a few
to a few thousand rows, and small batches built from the awkward cases: all empty, all never-seen,
the baseline's own levels, extreme numbers. Every batch ``read_csv`` accepts must give a report from
``run_check`` whose JSON has no NaN or Infinity.

Bounded for CI like the reader's fuzzing: ``derandomize=True`` and a fixed number of examples;
``FUZZ_EXAMPLES=2000 FUZZ_RANDOM=1`` runs a longer, randomised search.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support.examples import examples

from drift_retrain.engine.check import run_check
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.reading import read_csv
from drift_retrain.engine.schema import ColumnSpec, Schema
from drift_retrain.exceptions import InvalidBatchError

EXAMPLES = examples(int(os.environ.get("FUZZ_EXAMPLES", "200")))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
DATES = pd.date_range("2024-01-01", periods=60, freq="D").strftime("%Y-%m-%d").to_numpy()

#: How a column's values in the batch are drawn (the cases that trip tests on small batches).
BATCH_MODES = ("baseline", "empty", "unseen", "mixed", "extreme", "one_value")
NUMERIC_SHAPES = ("constant", "binary", "few", "continuous")
ROLES = ("feature", "feature", "feature", "id", "timestamp", "ignore")

column_specs = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(("numeric", "categorical")),
        "role": st.sampled_from(ROLES),
        "levels": st.integers(1, 6),
        "shape": st.sampled_from(NUMERIC_SHAPES),
        "missing": st.sampled_from((0.0, 0.0, 0.1, 0.5)),
        "mode": st.sampled_from(BATCH_MODES),
    }
)


def _training_column(spec: dict, rows: int, rng: np.random.Generator) -> np.ndarray:
    if spec["role"] == "timestamp" and spec["kind"] == "categorical":
        values = DATES[rng.integers(0, len(DATES), rows)].astype(object)
    elif spec["kind"] == "categorical":
        values = np.array([f"L{k}" for k in rng.integers(0, spec["levels"], rows)], dtype=object)
    else:
        values = {
            "constant": lambda: np.full(rows, 3.0),
            "binary": lambda: rng.integers(0, 2, rows).astype(float),
            "few": lambda: rng.integers(1, 6, rows).astype(float),
            "continuous": lambda: rng.normal(10.0, 2.0, rows),
        }[spec["shape"]]().astype(object)
    values[rng.random(rows) < spec["missing"]] = None
    return values


def _batch_cell(spec: dict, mode: str, training: np.ndarray, rng: np.random.Generator) -> str:
    categorical = spec["kind"] == "categorical"
    if mode == "mixed":
        mode = str(rng.choice(("baseline", "empty", "unseen", "extreme")))
    if mode == "empty":
        return ""
    if mode in ("baseline", "one_value"):
        value = training[0] if mode == "one_value" else training[rng.integers(0, len(training))]
        return "" if value is None else (str(value) if categorical else repr(float(value)))
    if mode == "unseen":
        if categorical:
            return str(rng.choice(("2019-05-01", "new-level", "North America", "L99")))
        return repr(float(rng.choice((1e6, -7.5, 0.5))))
    if categorical:
        return str(rng.choice(("x" * 40, "é", "0", "1e400")))
    return repr(float(rng.choice((1e15, -1e9, 1e300, -1.7e308, 5e-324))))


def _csv(frame_columns: list[str], rows: list[list[str]]) -> bytes:
    lines = [",".join(frame_columns)] + [",".join(row) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _case(kind: str, mode: str, **column) -> dict:
    spec = {"kind": kind, "role": "feature", "levels": 3, "shape": "few", "missing": 0.0, "mode": mode}
    return {"specs": [{**spec, **column}], "training_rows": 3_000, "batch_rows": 40, "task": "binary",
            "with_label": "all", "seed": 1}  # fmt: skip


@FUZZ
@example(**_case("categorical", "empty"))  # a small batch with the column left empty (the case)
@example(**_case("categorical", "unseen"))  # only never-seen levels
@example(**_case("categorical", "one_value", levels=1))  # one level in baseline and batch
@example(**_case("numeric", "empty"))  # no values to test
@example(**_case("numeric", "extreme"))  # sums beyond the float range
@given(
    specs=st.lists(column_specs, min_size=1, max_size=4),
    training_rows=st.sampled_from((3, 40, 400, 3_000)),
    batch_rows=st.integers(1, 60),
    task=st.sampled_from(("binary", "multiclass", "regression")),
    with_label=st.sampled_from(("none", "some", "one_class", "all")),
    seed=st.integers(0, 2**16),
)
def test_every_accepted_batch_gets_a_report_with_strict_json(
    specs, training_rows, batch_rows, task, with_label, seed
):
    rng = np.random.default_rng(seed)
    names = [f"c{i}" for i in range(len(specs))]
    training = {
        name: _training_column(spec, training_rows, rng) for name, spec in zip(names, specs, strict=True)
    }
    classes = {"binary": ("0", "1"), "multiclass": ("a", "b", "c"), "regression": ()}[task]
    if task == "regression":
        training["y"] = rng.normal(size=training_rows)
    else:
        training["y"] = np.array(classes, dtype=object)[np.arange(training_rows) % len(classes)]
    schema = Schema(
        columns=tuple(
            ColumnSpec(name, spec["kind"], spec["role"]) for name, spec in zip(names, specs, strict=True)
        ),
        label="y",
        task=task,
        classes=classes,
    )
    profile = build_profile(pd.DataFrame(training), schema)

    header = [*names, "y"] if with_label != "none" else names
    rows = []
    for _ in range(batch_rows):
        row = [
            _batch_cell(spec, spec["mode"], training[name], rng)
            for name, spec in zip(names, specs, strict=True)
        ]
        if with_label != "none":
            if with_label == "one_class":
                label = classes[0] if classes else "0.5"
            else:
                label = str(rng.choice(classes)) if classes else repr(float(rng.normal()))
            row.append("" if with_label == "some" and rng.random() < 0.5 else label)
        rows.append(row)
    data = _csv(header, rows)
    try:
        read_csv(data, schema=profile.schema)
    except InvalidBatchError:
        return  # refused with a reason: quarantined, not this property's concern
    report = run_check(data, profile, batch_id="fuzz").to_dict()
    assert report["status"] == "ok"
    assert [f["name"] for f in report["features"]] == names
    for feature in report["features"]:
        assert feature["tested"] or feature["reason"], feature
    text = json.dumps(report, allow_nan=False)  # strict JSON: no NaN, no Infinity
    assert json.loads(text)["batch_id"] == "fuzz"
