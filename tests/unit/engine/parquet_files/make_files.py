"""Writes the Parquet files fastparquet cannot write: nested, list, map and binary columns (pyarrow).

Not run by the tests (pyarrow is not a dependency): run it in a throwaway venv with pyarrow to remake
the files, ``python tests/unit/engine/parquet_files/make_files.py``.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
BASE = {"y": pa.array([1, 0]), "age": pa.array([34.0, 51.5]), "city": pa.array(["paris", "lyon"])}
EXTRA = {
    "nested": pa.array([{"a": 1}, {"a": 2}]),
    "list": pa.array([[1, 2], [3]]),
    "map": pa.array([[("k", 1)], [("j", 2)]], type=pa.map_(pa.string(), pa.int64())),
    "binary": pa.array([b"\x00\x01", b"\x02"]),
}

#: A flat file as Spark or pyarrow writes one: ZSTD, dictionary-encoded text, an instant in UTC, booleans,
#: integers with a missing value, two row groups.
FLAT = {
    "y": pa.array([1, 0, 1, None]),
    "age": pa.array([34, 51, None, 40], type=pa.int32()),
    "city": pa.array(["paris", "lyon", "paris", None]).dictionary_encode(),
    "seen": pa.array([0, 86_400, 90_000, None], type=pa.timestamp("s", tz="UTC")),
    "member": pa.array([True, False, None, True]),
}

if __name__ == "__main__":
    for name, column in EXTRA.items():
        pq.write_table(pa.table({**BASE, "city": column}), HERE / f"{name}.parquet")
    pq.write_table(pa.table(FLAT), HERE / "pyarrow_flat.parquet", compression="zstd", row_group_size=2)
