"""What a cell's text means: missing, a number, or text. One definition for training data and batches.

Every column is read as text first; this module turns text into values. The empty cell is always
missing. Markers such as ``NA``, ``null`` and ``None`` are missing in a numeric column (they cannot be
numbers) but stay text in a categorical one, where ``NA`` may be a real level (North America); a schema's
``missing_markers`` make more text missing in every column. Numbers are what ``pandas.to_numeric``
reads (``12``, ``-3.5e2``, `` 7 ``; not ``1_000``, ``0x10`` or ``true``), so the kind inferred from
training data and the check of each batch agree cell by cell.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from drift_retrain.echo import echo
from drift_retrain.exceptions import InvalidBatchError

__all__ = [
    "LEGACY_MISSING_MARKERS",
    "NUMERIC_MISSING_MARKERS",
    "missing_in_numeric",
    "numbers_from_text",
    "parse_numbers",
    "text_na_values",
]

#: Text that means "no value" in a numeric column (R, Excel, SQL and pandas exports write these).
NUMERIC_MISSING_MARKERS: tuple[str, ...] = (
    "NA", "N/A", "n/a", "NaN", "nan", "-NaN", "-nan", "NULL", "null", "None", "#N/A", "#N/A N/A",
    "#NA", "<NA>", "-1.#IND", "-1.#QNAN", "1.#IND", "1.#QNAN",
)  # fmt: skip
#: The markers of profiles written before schemas stored theirs: pandas' defaults, in every column.
LEGACY_MISSING_MARKERS: tuple[str, ...] = NUMERIC_MISSING_MARKERS


def text_na_values(markers: Iterable[str]) -> list[str]:
    """The cells read as missing in a categorical column: the empty cell and the schema's markers."""
    return ["", *markers]


def missing_in_numeric(markers: Iterable[str]) -> list[str]:
    """The cells read as missing in a numeric column: the empty cell, the usual markers, the schema's."""
    return list(dict.fromkeys(["", *NUMERIC_MISSING_MARKERS, *markers]))


#: Cells looked at first, to tell a column of distinct numbers (parsed as it is) from the rest.
_HEAD = 1_000


def parse_numbers(text: pd.Series) -> pd.Series:
    """``pandas.to_numeric(text, errors="coerce")`` as float64, the same value in every cell, faster.

    pandas takes about 1 us to refuse a cell that is not a number, so parsing a text column of 100,000
    cells as it is takes 0.1 to 0.2 s, a quarter of a text-heavy profile's time. Text repeats (levels,
    IDs seen many times, codes, ratings), so each distinct text is parsed once and spread back to its
    cells. A column whose first cells never repeat (a row ID) or are mostly distinct numbers
    (measurements) is parsed as it is: factorising it first would only add to its time.
    """
    try:
        numbers = _parse_each_distinct_text(text)
    except TypeError:  # a cell that cannot be hashed (a list in a frame built in memory)
        numbers = None
    if numbers is None:
        return pd.to_numeric(text, errors="coerce").astype(np.float64)
    return numbers


def _parse_each_distinct_text(text: pd.Series) -> pd.Series | None:
    """The numbers of ``text`` from its distinct texts, or None when its cells rarely repeat."""
    if len(text) <= _HEAD:  # the head would be the whole column: parse it once, as it is
        return None
    head = text.iloc[:_HEAD]
    present, distinct_in_head = int(head.notna().sum()), head.nunique(dropna=True)
    no_repeats = distinct_in_head == present  # an ID of every row, or a column of measurements
    mostly_distinct_numbers = distinct_in_head * 2 > present and (
        pd.to_numeric(head, errors="coerce").notna().sum() * 2 > present
    )
    if no_repeats or mostly_distinct_numbers:
        return None
    codes, distinct = pd.factorize(text, use_na_sentinel=True)
    if len(distinct) * 2 > len(text):
        return None
    cells = codes >= 0
    # pandas reads "-0" as the integer 0 when every cell is an integer, and as -0.0 once one is missing:
    # a missing cell goes along so that the distinct texts read as the whole column does.
    texts = pd.Series([*distinct, None] if not cells.all() else distinct, dtype=object)
    parsed = pd.to_numeric(texts, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    numbers = np.full(len(text), np.nan)
    numbers[cells] = parsed[codes[cells]]
    return pd.Series(numbers, index=text.index, name=text.name)


def numbers_from_text(
    text: pd.Series,
    name: str,
    lines: np.ndarray,
    markers: Iterable[str] = (),
    raw: Callable[[int], str] | None = None,
) -> pd.Series:
    """A numeric column's text as float64, or ``not_numeric`` / ``infinite_value`` quoting the bad cell.

    ``text`` holds strings (missing as NaN) or numbers already parsed by pandas (then ``raw(i)`` gives
    row ``i``'s text, so ``1e400`` is quoted as the file says, never as ``inf``).
    """
    if pd.api.types.is_numeric_dtype(text) and not pd.api.types.is_bool_dtype(text):
        numbers = text.astype(np.float64)
    else:
        present = text.notna().to_numpy() & ~text.isin(missing_in_numeric(markers)).to_numpy()
        numbers = parse_numbers(text)
        if not present.all():  # a marker that reads as a number (a schema's "-999") is missing too
            numbers[~present] = np.nan
        bad = np.flatnonzero(numbers.isna().to_numpy() & present)
        if len(bad):
            i = int(bad[0])
            line = int(lines[i])
            raise InvalidBatchError(
                "not_numeric",
                f"line {line}, column {echo(name)}: {echo(str(text.iloc[i]))} is not a number (the column "
                "is numeric)",
                line=line,
                column=name,
            )
        raw = raw or (lambda i: str(text.iloc[i]))
    infinite = np.flatnonzero(np.isinf(numbers.to_numpy()))
    if len(infinite):
        i = int(infinite[0])
        line = int(lines[i])
        cell = raw(i) if raw is not None else str(numbers.iloc[i])
        raise InvalidBatchError(
            "infinite_value",
            f"line {line}, column {echo(name)}: {echo(cell)} is not a finite number (infinite, or beyond "
            "the range of a 64-bit float); a model cannot use it: leave the cell empty if it is unknown",
            line=line,
            column=name,
        )
    return numbers
