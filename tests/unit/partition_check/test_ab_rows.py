"""The A/B look's rows of a batch checked on the Distributed Map: the parts' kept rows are typed as any
batch is, and merged so that every row of the partition has about the same chance."""

from __future__ import annotations

import numpy as np
import pandas as pd

from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.profile import build_profile
from drift_retrain.engine.schema import infer_schema
from drift_retrain.partition_check.ab_rows import read_ab_rows


class _S3:
    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects

    def get_object(self, Bucket: str, Key: str, **_: object) -> dict:
        import io

        return {"Body": io.BytesIO(self.objects[Key])}


def _frame(rows: int, part: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"x": rng.normal(size=rows), "code": ["a07"] * rows, "part": part, "label": rng.integers(0, 2, rows)}
    )


def test_a_thinly_sampled_part_weighs_more_and_values_keep_their_types():
    profile = build_profile(_frame(200, 0, 1), infer_schema(_frame(200, 0, 1), label="label"))
    thin, full = _frame(100, 1, 2), _frame(100, 2, 3)  # 100 rows standing for 1,000, and for 100
    s3 = _S3({"thin.csv": thin.to_csv(index=False).encode(), "full.csv": full.to_csv(index=False).encode()})
    ends = [
        {"ab_rows": {"key": "thin.csv", "rows": 100, "of": 1000}},
        {"ab_rows": {"key": "full.csv", "rows": 100, "of": 100}},
        {"empty": True},
    ]
    merged = read_ab_rows(s3, "bucket", ends, profile, DriftConfig(max_rows=100, seed=7))

    assert merged is not None and len(merged) == 100
    assert (merged["part"] == 1).sum() >= 80  # 10 to 1 in the partition: about 91 of 100
    assert set(merged["code"]) == {"a07"} and set(merged["label"]) <= {"0", "1"}  # as the reader types them


def test_no_kept_rows_means_no_look():
    profile = build_profile(_frame(50, 0, 1), infer_schema(_frame(50, 0, 1), label="label"))
    assert read_ab_rows(_S3({}), "bucket", [{"empty": True}], profile, DriftConfig()) is None
