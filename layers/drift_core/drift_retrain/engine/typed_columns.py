"""Typed values (Parquet, JSON) as the CSV reader would have given them, so a batch checks the same in any format.

CSV holds text, so the checks downstream see numbers as float64 and everything else as text. A typed
format is brought to the same shape: booleans become ``"true"`` / ``"false"`` (the textual mapping CSV
batches use), timestamps become ISO 8601 text in UTC (which schema inference gives the ``timestamp`` role),
dictionary-encoded and string columns become text, and numbers stay numbers. With a schema, numeric
features are validated as CSV cells are (``not_numeric``, ``infinite_value``) and text features keep
numbers as their text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from drift_retrain.engine.cell_text import numbers_from_text
from drift_retrain.engine.schema import NUMERIC, Schema

__all__ = ["BOOLEAN_TEXT", "as_csv_values"]

#: How a boolean cell reads: the same words a CSV batch holds for it.
BOOLEAN_TEXT = {True: "true", False: "false"}


def as_csv_values(frame: pd.DataFrame, schema: Schema | None, lines: np.ndarray) -> pd.DataFrame:
    """``frame`` with every column as the CSV reader would type it (see the module docstring).

    ``lines`` numbers the rows for messages (a JSON Lines line, a Parquet row).
    """
    out = {}
    text_columns = _text_columns(frame, schema)
    for name in frame.columns:
        values = _plain(frame[name])
        if name in text_columns:
            out[name] = _as_text(values)
            continue
        values = _numeric(values)
        if schema is not None or pd.api.types.is_float_dtype(values):
            out[name] = numbers_from_text(values, str(name), lines)
        else:
            out[name] = values
    return pd.DataFrame(out, index=frame.index, columns=frame.columns)


def _text_columns(frame: pd.DataFrame, schema: Schema | None) -> set[str]:
    if schema is not None:  # a column the model does not know stays text (the check leaves it out)
        numeric = {c.name for c in schema.columns if c.kind == NUMERIC} - {schema.label}
        return {c for c in frame.columns if c not in numeric}
    return {
        c
        for c in frame.columns
        if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])
    }


def _plain(values: pd.Series) -> pd.Series:
    """Booleans, timestamps and dictionary-encoded values as text; numbers as numbers."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if pd.api.types.is_bool_dtype(values) or _all_bool(values):
        return values.map(BOOLEAN_TEXT, na_action="ignore").astype(object)
    if pd.api.types.is_datetime64_any_dtype(values):
        return _iso_text(values)
    return values


def _numeric(values: pd.Series) -> pd.Series:
    """Nullable integers and floats as float64 with NaN for missing, as a CSV cell left empty reads."""
    if pd.api.types.is_extension_array_dtype(values) and pd.api.types.is_numeric_dtype(values):
        return pd.Series(values.to_numpy(dtype=np.float64, na_value=np.nan), index=values.index)
    return values


def _all_bool(values: pd.Series) -> bool:
    if values.dtype != object:
        return False
    present = values.dropna()
    return len(present) > 0 and all(isinstance(v, (bool, np.bool_)) for v in present.iloc[:1000])


def _iso_text(values: pd.Series) -> pd.Series:
    """``2024-03-01T12:30:00`` in UTC, to the column's own precision (seconds, or milli- or microseconds),
    so every row group of a column reads alike."""
    if getattr(values.dt, "tz", None) is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    unit = {"s": "s", "ms": "ms"}.get(np.datetime_data(values.dtype)[0], "us")
    stamps = values.to_numpy(dtype=f"datetime64[{unit}]")
    text = np.datetime_as_string(stamps, unit=unit)
    return pd.Series(text, index=values.index, dtype=object).where(~np.isnat(stamps))


def _as_text(values: pd.Series) -> pd.Series:
    """Text as a CSV export spells it (``3`` for an integer, ``2.5`` for a float), missing as NaN."""
    present = values.notna()
    if pd.api.types.is_integer_dtype(values):
        values = values.astype(object).where(present).map(int, na_action="ignore")
    return values.astype(object).map(_cell_text, na_action="ignore").where(present)


def _cell_text(value: object) -> str:
    return BOOLEAN_TEXT[bool(value)] if isinstance(value, (bool, np.bool_)) else str(value)
