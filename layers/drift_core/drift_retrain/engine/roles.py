"""Column roles: what a column is for, which decides how its drift is judged.

``feature`` (the default): tested for drift by its kind. ``id``: nearly unique per row (user, order,
device IDs); its levels are expected to change, so it is checked for uniqueness (levels repeating more
often than in the baseline) and for the share of never-seen levels, not level by level. ``timestamp``:
dates or times; new dates beyond the baseline's range are expected, not drift, so only its missing or
unparseable rate is tested, and the range is reported (and orders rows for the dependence option).
``ignore``: not checked at all. Roles are inferred from training data, or set in the schema file.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = [
    "FEATURE",
    "ID",
    "ID_MIN_ROWS",
    "ID_MIN_UNIQUE_SHARE",
    "IGNORE",
    "ROLES",
    "TIMESTAMP",
    "infer_role",
    "parse_times",
]


FEATURE, ID, TIMESTAMP, IGNORE = "feature", "id", "timestamp", "ignore"
ROLES = (FEATURE, ID, TIMESTAMP, IGNORE)

#: A text column is ID-like when at least this share of its values are distinct ...
ID_MIN_UNIQUE_SHARE = 0.95
#: ... among at least this many values (a 20-row table proves nothing).
ID_MIN_ROWS = 100
#: Distinct values looked at to recognise a date column.
DATE_SAMPLE = 500
_DATE_LIKE = re.compile(
    r"^\s*\d{4}-\d{1,2}-\d{1,2}([T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$"
)


def infer_role(values: pd.Series, kind: str) -> tuple[str, str]:
    """The role of a feature column and why, from its training values.

    Only text columns are inferred as IDs or timestamps (a numeric column's numbers are tested as
    numbers unless the schema file says otherwise): ISO 8601 dates or date-times (``2024-03-01``,
    ``2024-03-01T12:30:00Z``) make a timestamp; at least ``ID_MIN_UNIQUE_SHARE`` distinct values over at
    least ``ID_MIN_ROWS`` rows make an ID.
    """
    if kind != "categorical" or pd.api.types.is_bool_dtype(values):
        return FEATURE, "default"
    present = int(values.count())
    if present == 0:
        return FEATURE, "default"
    distinct = pd.Series(values.unique()).dropna()
    sample = [str(v) for v in distinct.iloc[:DATE_SAMPLE]]
    if all(_DATE_LIKE.match(v) for v in sample) and parse_times(pd.Series(sample)).notna().all():
        return TIMESTAMP, f"inferred: all {len(sample):,} distinct values looked at are ISO 8601 dates"
    share = len(distinct) / present
    if present >= ID_MIN_ROWS and share >= ID_MIN_UNIQUE_SHARE:
        return ID, f"inferred: {share:.1%} of {present:,} values are distinct"
    return FEATURE, "default"


def parse_times(values: pd.Series) -> pd.Series:
    """Values as naive UTC timestamps (``NaT`` where missing or not a date); numbers stay numbers."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return pd.Series(np.asarray(values, dtype=np.float64), index=values.index)
    text = pd.Series(values, dtype=object).astype(str).where(values.notna())
    return pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True).dt.tz_localize(None)
