"""The baseline profile of a categorical column: top levels, every level's count (or hashed), time range."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.levels import EXACT_MAX_LEVELS, Levels
from drift_retrain.engine.roles import parse_times
from drift_retrain.engine.summary.columns import LevelCounts, count_levels

__all__ = [
    "MAX_CATEGORIES",
    "CategoricalProfile",
    "LevelPart",
    "finish_categorical",
    "level_part",
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
    return finish_categorical(
        name, level_part(values, timestamp=timestamp), levels=levels, timestamp=timestamp
    )


@dataclass
class LevelPart:
    """A categorical, ID, timestamp or classification-label column of one part: its levels' counts, and
    for a timestamp its first and last time and unparsed rows (``category_profile.time_range``)."""

    levels: LevelCounts
    time_range: dict[str, Any] | None = None

    def merge(self, other: LevelPart) -> LevelPart:
        merged = self.levels.merge(other.levels)
        if not merged.hashed and len(merged.counts) > EXACT_MAX_LEVELS:
            merged = merged.as_hashed()
        span = None
        if self.time_range is not None and other.time_range is not None:
            span = _merge_time_ranges(self.time_range, other.time_range)
        return LevelPart(merged, span)


def level_part(values: pd.Series | np.ndarray, *, timestamp: bool = False) -> LevelPart:
    """One part of a column counted by level as text, hashed beyond ``EXACT_MAX_LEVELS`` levels."""
    levels = count_levels(pd.Series(values, dtype=object))
    span = time_range(levels.counts) if timestamp else None
    if len(levels.counts) > EXACT_MAX_LEVELS:
        levels = levels.as_hashed()
    return LevelPart(levels, span)


def finish_categorical(
    name: str, part: LevelPart, *, levels: bool = True, timestamp: bool = False
) -> CategoricalProfile:
    """The column's profile: the top ``MAX_CATEGORIES`` levels by name, every level (or its hash) for the
    tests, and a timestamp's range. A hashed column lists the most frequent levels whose names the parts
    kept (each part keeps its ``NAMED_LEVELS`` most frequent): one part lists its exact top levels."""
    counted = part.levels
    present = counted.present
    named = present[present.index.isin(list(counted.names))] if counted.hashed else present
    kept = named.iloc[:MAX_CATEGORIES]
    names = [counted.name_of(key) for key in kept.index]
    every = None
    if levels:
        if counted.hashed and len(present) > EXACT_MAX_LEVELS:  # hashed again: no names needed
            hashes = present.index.to_numpy(dtype=np.uint64)
            every = Levels.from_counts(present, top=MAX_CATEGORIES, hashes=hashes)
        else:
            by_name = pd.Series(present.to_numpy(dtype=np.int64), index=_names(counted, present))
            every = Levels.from_counts(by_name, top=MAX_CATEGORIES)
    return CategoricalProfile(
        name=name,
        count=int(present.sum()),
        missing=counted.missing,
        categories=names,
        counts=kept.to_numpy(dtype=np.int64),
        other=int(present.sum() - kept.sum()),
        levels=every,
        time_range=part.time_range if timestamp else None,
    )


def _names(counted: LevelCounts, present: pd.Series) -> pd.Index:
    if not counted.hashed:
        return pd.Index([str(v) for v in present.index], dtype=object)
    return pd.Index([counted.name_of(k) for k in present.index], dtype=object)


def _merge_time_ranges(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    def pick(key: str, choose) -> str | None:
        times = [t for t in (a.get(key), b.get(key)) if t is not None]
        return choose(times, key=pd.Timestamp) if times else None

    return {"min": pick("min", min), "max": pick("max", max), "unparsed": a["unparsed"] + b["unparsed"]}


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
