"""Schema inference and overrides."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from drift_retrain.engine.schema import (
    Schema,
    canonical_label,
    canonical_labels,
    infer_schema,
    load_schema_overrides,
)
from drift_retrain.exceptions import SchemaError


def test_infers_kinds_label_and_binary_task():
    frame = pd.DataFrame(
        {"y": [0, 1, 1], "age": [3, 4, 5], "city": ["a", "b", "a"], "vip": [True, False, True]}
    )
    schema = infer_schema(frame)
    assert schema.label == "y" and schema.task == "binary" and schema.classes == ("0", "1")
    assert [(c.name, c.kind) for c in schema.columns] == [
        ("age", "numeric"),
        ("city", "categorical"),
        ("vip", "categorical"),
    ]


@pytest.mark.parametrize(
    ("labels", "task", "classes"),
    [
        ([1.0, 2.5, 3.7, 9.1], "regression", ()),
        ([0, 1, 2, 10], "multiclass", ("0", "1", "2", "10")),
        (["cat", "dog", "cat", "dog"], "binary", ("cat", "dog")),
        (["b", "a", "c", "a"], "multiclass", ("a", "b", "c")),
    ],
)
def test_infers_the_task_from_the_label(labels, task, classes):
    schema = infer_schema(pd.DataFrame({"target": labels, "x": [1, 2, 3, 4]}), label="target")
    assert (schema.task, schema.classes) == (task, classes)


def test_schema_file_overrides_inference(tmp_path):
    path = tmp_path / "schema.json"
    path.write_text(json.dumps({"label": "y", "task": "multiclass", "columns": {"zip": "categorical"}}))
    frame = pd.DataFrame({"zip": [75001, 69002, 75001], "y": [0, 1, 2]})
    schema = infer_schema(frame, overrides=load_schema_overrides(path))
    assert schema.kind_of("zip") == "categorical" and schema.task == "multiclass"


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (pd.DataFrame({"y": [1, 1], "x": [1, 2]}), {}, "single class"),
        (pd.DataFrame({"y": [0, 1], "x": [1, 2]}), {"label": "nope"}, "not in the data"),
        (pd.DataFrame({"y": [None, None], "x": [1, 2]}), {}, "has no values"),
        (pd.DataFrame({"y": [0, 1]}), {}, "no feature columns"),
    ],
)
def test_unusable_training_data_raises_schema_error(frame, kwargs, message):
    with pytest.raises(SchemaError, match=message):
        infer_schema(frame, **kwargs)


def test_canonical_labels_unify_spellings():
    assert {canonical_label(v) for v in (1, 1.0, "1", " 1.0 ", True and 1)} == {"1"}
    assert canonical_label("yes") == "yes"


def test_canonical_labels_keep_rows_index_and_missing_as_nan():
    values = pd.Series(["1", None, " 1.0 ", "yes", pd.NA, 0.0], index=[4, 5, 6, 7, 8, 9], dtype=object)
    labels = canonical_labels(values)
    assert labels.dtype == object and list(labels.index) == [4, 5, 6, 7, 8, 9]
    assert [labels[i] for i in (4, 6, 7, 9)] == ["1", "1", "yes", "0"]
    assert all(isinstance(v, float) and np.isnan(v) for v in labels[[5, 8]])


def test_schema_round_trips_through_a_dict():
    schema = infer_schema(pd.DataFrame({"y": ["a", "b"], "x": [1, 2]}))
    assert Schema.from_dict(schema.to_dict()) == schema


def _table(rows: int = 2_000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    days = pd.date_range("2022-01-01", periods=400, freq="D").strftime("%Y-%m-%d").to_numpy()
    return pd.DataFrame(
        {
            "y": rng.integers(0, 2, rows),
            "amount": rng.normal(size=rows),
            "order_id": [f"o{i}" for i in range(rows)],
            "day": days[rng.integers(0, len(days), rows)],
            "stamp": [f"2022-03-01T10:{i % 60:02d}:00Z" for i in range(rows)],
            "user": [f"u{i}" for i in rng.integers(0, 300, rows)],
            "sequence": np.arange(rows),
        }
    )


def test_roles_are_inferred_and_the_reason_is_kept():
    schema = infer_schema(_table())
    roles = {c.name: (c.role, c.role_reason) for c in schema.columns}
    assert roles["order_id"][0] == "id" and "100.0% of 2,000 values are distinct" in roles["order_id"][1]
    assert roles["day"][0] == "timestamp" and "ISO 8601" in roles["day"][1]
    assert roles["stamp"][0] == "timestamp"
    assert roles["user"] == ("feature", "default")
    assert roles["amount"] == ("feature", "default") and roles["sequence"] == ("feature", "default")
    assert schema.timestamp == "day" and schema.dependence == "independent"


def test_a_small_table_of_distinct_strings_is_not_called_an_id():
    frame = pd.DataFrame({"y": [0, 1] * 10, "name": [f"n{i}" for i in range(20)]})
    assert infer_schema(frame).columns[0].role == "feature"


def test_schema_file_sets_roles_kinds_and_dependence(tmp_path):
    path = tmp_path / "schema.json"
    path.write_text(
        json.dumps(
            {
                "dependence": "autocorrelated",
                "columns": {
                    "user": "id",
                    "day": "feature",
                    "sequence": {"kind": "numeric", "role": "ignore"},
                    "amount": "numeric",
                },
            }
        )
    )
    schema = infer_schema(_table(), overrides=load_schema_overrides(path))
    specs = {c.name: c for c in schema.columns}
    assert (specs["user"].role, specs["user"].role_reason) == ("id", "schema file")
    assert specs["day"].role == "feature" and specs["day"].kind == "categorical"
    assert (specs["sequence"].kind, specs["sequence"].role) == ("numeric", "ignore")
    assert specs["amount"].role == "feature" and specs["amount"].role_reason == "default"
    assert schema.dependence == "autocorrelated"
    assert Schema.from_dict(schema.to_dict()) == schema


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"columns": {"day": "date"}}, "neither a kind"),
        ({"columns": {"day": {"role": "label"}}}, "role must be one of"),
        ({"columns": {"day": {"kind": "categorical", "colour": "red"}}}, "must map to a kind"),
        ({"dependence": "weekly"}, "dependence must be one of"),
    ],
)
def test_bad_roles_in_a_schema_file_are_named(tmp_path, content, message):
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(content))
    with pytest.raises(SchemaError, match=message):
        infer_schema(_table(), overrides=load_schema_overrides(path))


def test_a_schema_written_before_roles_reads_as_features():
    old = {
        "label": "y",
        "task": "binary",
        "classes": ["0", "1"],
        "columns": [{"name": "x", "kind": "numeric"}],
    }
    schema = Schema.from_dict(old)
    assert schema.columns[0].role == "feature" and schema.dependence == "independent"
