"""Headerless CSV records, the built-in XGBoost algorithm's ``text/csv`` format.

One record per non-blank line, fields separated by commas, no quoting, no header. An empty field is a
missing value (XGBoost's NaN). Training data has the label in the first column; inference data has only
the features.
"""

from __future__ import annotations

import numpy as np

from drift_retrain_local.sagemaker.exceptions import RecordFormatError

__all__ = ["format_rows", "read_fields", "to_matrix"]


def read_fields(text: str, source: str) -> np.ndarray:
    """Split CSV text into a ``(records, fields)`` array of strings.

    Parameters
    ----------
    text : str
        The object's text; blank lines are skipped (``SplitType: Line`` sends no empty records).
    source : str
        Where the text comes from, used in error messages.

    Raises
    ------
    RecordFormatError
        When the records do not all have the same number of fields (ragged rows).
    """
    lines = [line.rstrip("\r") for line in text.splitlines() if line.strip()]
    if not lines:
        return np.empty((0, 0), dtype=object)
    counts = np.fromiter((line.count(",") + 1 for line in lines), dtype=np.int64, count=len(lines))
    ragged = np.flatnonzero(counts != counts[0])
    if ragged.size:
        row = int(ragged[0])
        raise RecordFormatError(
            f"{source}: record {row + 1} has {counts[row]} fields but record 1 has {counts[0]}; "
            f"every row must have the same number of columns ({ragged.size} ragged row(s))"
        )
    return np.array([line.split(",") for line in lines], dtype=object).reshape(len(lines), int(counts[0]))


def to_matrix(fields: np.ndarray, source: str, columns: list[int] | None = None) -> np.ndarray:
    """Float64 matrix of string fields; empty fields become NaN.

    ``columns`` are the positions of ``fields``' columns in the original record, so that an error quotes
    the column (1-based, as a spreadsheet shows) the reader can find in the file.

    Raises
    ------
    RecordFormatError
        Naming the first non-numeric cell (record and column, 1-based) and its value.
    """
    if fields.size == 0:
        return np.empty(fields.shape, dtype=np.float64)
    text = np.char.strip(fields.astype(str))
    text[text == ""] = "nan"
    try:
        return text.astype(np.float64)
    except ValueError:
        pass
    for (row, col), value in np.ndenumerate(text):
        try:
            float(value)
        except ValueError:
            raise RecordFormatError(
                f"{source}: non-numeric value {value[:40]!r} in record {row + 1}, column "
                f"{(columns[col] if columns else col) + 1}; the built-in algorithm reads numbers only (encode categories first)"
            ) from None
    raise AssertionError("unreachable: astype failed but every cell parsed")  # pragma: no cover


def format_rows(rows: np.ndarray | list[list[str]]) -> str:
    """Join string fields back into CSV lines, each ending with a newline."""
    return "".join(",".join(map(str, row)) + "\n" for row in rows)
