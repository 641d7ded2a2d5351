"""A column's kind, decided from its training text, with the reason and a caution when the call is close.

Inference is silent by nature, so each decision says why, and the three that surprise people get a
caution that ``drift-retrain profile`` prints: a column of numbers made categorical by a few cells of
text (``?``), codes with leading zeros (``001``) read as numbers, and a column with no values at all
(kept categorical: as numeric, every later batch with a value in it would be refused).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from drift_retrain.echo import echo
from drift_retrain.engine.cell_text import missing_in_numeric, parse_numbers

__all__ = ["MOSTLY_NUMBERS", "InferredKind", "infer_kind"]

#: A text column where at least this share of the values are numbers gets a caution.
MOSTLY_NUMBERS = 0.9
#: Values of a numeric column looked at for leading zeros (codes are rarely a minority).
LOOK_AT = 10_000

NUMERIC, CATEGORICAL = "numeric", "categorical"


@dataclass(frozen=True)
class InferredKind:
    """The kind, why, a caution (or ""), and for a numeric column its values (so they are parsed once)."""

    kind: str
    reason: str
    caution: str = ""
    numbers: pd.Series | None = field(default=None, repr=False, compare=False)


def infer_kind(values: pd.Series, markers: Iterable[str] = ()) -> InferredKind:
    """``numeric`` when every non-missing cell is a number; else ``categorical``. See the module doc.

    ``values`` is a column as read (text, missing as NaN); a column already holding numbers (a frame
    built in memory) is numeric, booleans are categorical.
    """
    if pd.api.types.is_bool_dtype(values):
        return InferredKind(CATEGORICAL, "inferred: true/false values")
    if pd.api.types.is_numeric_dtype(values):
        return InferredKind(NUMERIC, "inferred: the values are numbers")
    name = echo(str(values.name))
    present = values.dropna().astype(str)
    if present.empty:
        return InferredKind(
            CATEGORICAL,
            "inferred: no values in the training data, kept as text so any later value is accepted",
            f"column {name} is empty in the training data: its drift is only its missing rate; set its "
            "kind in the schema file once it has values",
        )
    marked = values.isin(missing_in_numeric(markers)).to_numpy()
    candidates = present[~present.isin(missing_in_numeric(markers))]
    if candidates.empty:
        return InferredKind(CATEGORICAL, f"inferred: only missing markers such as {echo(present.iloc[0])}")
    numbers = parse_numbers(values)
    not_numbers = values[numbers.isna().to_numpy() & values.notna().to_numpy() & ~marked]
    if not_numbers.empty:
        numbers[marked] = float("nan")
        inferred = _numeric(candidates, len(present) - len(candidates), name)
        return InferredKind(inferred.kind, inferred.reason, inferred.caution, numbers)
    share = 1 - len(not_numbers) / len(candidates)
    examples = ", ".join(echo(v) for v in pd.unique(not_numbers)[:3])
    reason = f"inferred: {len(not_numbers):,} of {len(candidates):,} values are not numbers ({examples})"
    caution = ""
    if share >= MOSTLY_NUMBERS:
        caution = (
            f"column {name} is {share:.1%} numbers but {len(not_numbers):,} {'cell' if len(not_numbers) == 1 else 'cells'} ({examples}) make it "
            "categorical: if they mean 'unknown', add them to missing_markers in the schema file, or set "
            "the column numeric"
        )
    return InferredKind(CATEGORICAL, reason, caution)


def _numeric(candidates: pd.Series, marked: int, name: str) -> InferredKind:
    reason = f"inferred: all {len(candidates):,} values are numbers"
    if marked:
        reason += f" ({marked:,} missing markers such as 'NA' read as missing)"
    looked_at = pd.Series(pd.unique(candidates.iloc[:LOOK_AT]), dtype=object)
    zeros = looked_at[looked_at.str.match(r"^\s*[+-]?0\d").to_numpy(dtype=bool, na_value=False)]
    caution = ""
    if len(zeros):
        caution = (
            f"column {name} reads values with leading zeros (such as {echo(zeros.iloc[0])}) as numbers: "
            "if they are codes, set the column categorical in the schema file"
        )
    return InferredKind(NUMERIC, reason, caution)
