"""A partition whose parts split a new class unevenly: one Lambda reading the parts in turn sets the new
class's rows aside and reports them, as one file holding every part would; it refuses the batch only when
no part kept a row."""

from __future__ import annotations

import io
from contextlib import nullcontext

import numpy as np
import pytest
from summary_support import draw, profile

from drift_retrain.engine.batch_reader import read_batch
from drift_retrain.engine.partition_reading import Part, Partition
from drift_retrain.exceptions import InvalidBatchError


def _partition(*bodies: bytes) -> Partition:
    parts = [
        Part(f"part-{i:05d}.csv", len(body), lambda body=body: nullcontext(io.BytesIO(body)))
        for i, body in enumerate(bodies)
    ]
    return Partition("incoming/day=1/", parts)


def _labelled(rows: int, seed: int):
    return draw(rows, np.random.default_rng(seed)).dropna(subset=["y"]).reset_index(drop=True)


def test_a_part_of_only_a_new_class_is_set_aside_and_reported():
    known, new = _labelled(300, 1), _labelled(200, 2).assign(y="7")
    one_file = read_batch(
        io.BytesIO(known.to_csv(index=False).encode() + new.to_csv(index=False, header=False).encode()),
        name="all.csv",
        schema=profile().schema,
    )
    batch = read_batch(
        _partition(known.to_csv(index=False).encode(), new.to_csv(index=False).encode()),
        schema=profile().schema,
    )
    assert len(batch.frame) == len(one_file.frame) == len(known)
    assert batch.set_aside["unknown_class"]["rows"] == one_file.set_aside["unknown_class"]["rows"] == len(new)
    assert batch.sampling["parts"][1]["rows"] == 0


def test_a_partition_of_only_new_classes_is_refused():
    new = _labelled(200, 3).assign(y="7")
    body = new.to_csv(index=False).encode()
    with pytest.raises(InvalidBatchError) as refused:
        read_batch(_partition(body, body), schema=profile().schema)
    assert refused.value.code == "unknown_class" and f"({2 * len(new):,})" in str(refused.value)
