"""Schema inference and overrides."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from drift_retrain.engine.schema import Schema, canonical_label, infer_schema, load_schema_overrides
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


def test_schema_round_trips_through_a_dict():
    schema = infer_schema(pd.DataFrame({"y": ["a", "b"], "x": [1, 2]}))
    assert Schema.from_dict(schema.to_dict()) == schema
