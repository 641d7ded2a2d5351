"""The baseline profile of a categorical column: top levels, every level's count (or hashed), time range."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.levels import Levels
from drift_retrain.engine.roles import parse_times

__all__ = [
    "MAX_CATEGORIES",
    "CategoricalProfile",
    "profile_categorical",
    "time_range",
]


#: Top categories kept by name: the model's vocabulary (``encoding``) and the report's top shares.
#: Every other level is in ``levels`` (exact or hashed), so the tests see all of them.
MAX_CATEGORIES = 1_000


@dataclass
class CategoricalProfile:
    """Counts per category (missing apart): the top ``MAX_CATEGORIES`` by name, the rest in ``levels``.

    ``levels`` is None for roles that are not tested level by level (timestamp, ignore) and in profiles
    of format 1, which kept only the top levels and pooled the rest into ``other``. ``time_range``
    holds a timestamp column's first and last time and how many values did not parse as one.
    """

    name: str
    count: int
    missing: int
    categories: list[str]
    counts: np.ndarray
    other: int = 0  # rows in categories beyond MAX_CATEGORIES
    levels: Levels | None = None
    time_range: dict[str, Any] | None = None

    @property
    def truncated(self) -> bool:
        return self.other > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": "categorical",
            "count": self.count,
            "missing": self.missing,
            "categories": self.categories,
            "counts": self.counts.tolist(),
            "other": self.other,
            "levels": None if self.levels is None else self.levels.to_dict(),
            "time_range": self.time_range,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], format_version: int) -> CategoricalProfile:
        categories = [str(c) for c in data["categories"]]
        counts = np.asarray(data["counts"], dtype=np.int64)
        other = int(data.get("other", 0))
        levels = data.get("levels")
        if levels is not None:
            parsed: Levels | None = Levels.from_dict(levels)
        elif format_version == 1 and other == 0:  # format 1 kept every level when there were few
            parsed = Levels.from_counts(pd.Series(counts, index=categories), top=len(categories))
        else:
            parsed = None
        return cls(
            name=str(data["name"]),
            count=int(data["count"]),
            missing=int(data["missing"]),
            categories=categories,
            counts=counts,
            other=other,
            levels=parsed,
            time_range=data.get("time_range"),
        )


def profile_categorical(
    name: str, values: pd.Series, *, levels: bool = True, timestamp: bool = False
) -> CategoricalProfile:
    """Count a column's levels as text; ``levels`` keeps all of them for the tests, ``timestamp`` the range."""
    from drift_retrain.engine.profile_parts import finish_categorical, level_part

    part = level_part(values, timestamp=timestamp)
    return finish_categorical(name, part, levels=levels, timestamp=timestamp)


def time_range(counts: pd.Series) -> dict[str, Any]:
    """First and last time among counted text values, and how many rows did not parse as a time."""
    times = parse_times(pd.Series(counts.index, dtype=object))
    parsed = times.notna().to_numpy()
    rows = counts.to_numpy(dtype=np.int64)
    return {
        "min": times[parsed].min().isoformat() if parsed.any() else None,
        "max": times[parsed].max().isoformat() if parsed.any() else None,
        "unparsed": int(rows[~parsed].sum()),
    }
