"""Categorical, ID, label and timestamp columns of a batch as counts that add across parts.

Levels are counted as text in order of first appearance; merging concatenates parts in order and adds
the counts of a level, so the order (and with it the tie order of the report's top levels) is the one
a single pass over the parts in order gives. A timestamp column keeps only what its tests use: rows,
rows parsed, rows before and after the baseline's range, and the first and last time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from drift_retrain.engine.levels import EXACT_MAX_LEVELS, level_hashes
from drift_retrain.engine.numeric_profile import NumericProfile, finite_values
from drift_retrain.engine.roles import ID, IGNORE, TIMESTAMP, parse_times
from drift_retrain.engine.schema import canonical_labels
from drift_retrain.engine.summary.bins import NumericBins, bin_numeric

__all__ = [
    "NAMED_LEVELS",
    "ColumnSummary",
    "LevelCounts",
    "TimeCounts",
    "baseline_range",
    "count_levels",
    "count_times",
    "summarize_column",
]


@dataclass
class LevelCounts:
    """Rows per level (first appearance first) and missing rows of one column.

    Levels are keyed by name, or, once a part has more than ``EXACT_MAX_LEVELS`` of them (``to_json``),
    by their 64-bit ``level_hashes``: the counts stay exact and merge by key, and the names of the
    ``NAMED_LEVELS`` most frequent levels are kept to list them.
    """

    counts: pd.Series  # int64, index of str (or of uint64 hashes when ``hashed``)
    missing: int = 0
    hashed: bool = False
    names: dict[int, str] = field(default_factory=dict)  # hashed: the names kept, by hash

    @property
    def present(self) -> pd.Series:
        """Counts by level, largest first (ties in order of first appearance): ``value_counts``' shape."""
        return self.counts.sort_values(ascending=False, kind="stable")

    def name_of(self, key: Any) -> str:
        """A level's name (its hash in hex when a hashed column did not keep it)."""
        if not self.hashed:
            return str(key)
        return self.names.get(int(key), f"#{int(key):016x}")

    def merge(self, other: LevelCounts) -> LevelCounts:
        if self.hashed or other.hashed:
            return _merge_hashed(self.as_hashed(), other.as_hashed())
        joined = pd.concat([self.counts, other.counts])
        counts = joined.groupby(level=0, sort=False).sum() if len(joined) else joined
        return LevelCounts(counts.astype(np.int64), self.missing + other.missing)

    def as_hashed(self) -> LevelCounts:
        """The same counts keyed by ``level_hashes``, with the most frequent levels' names."""
        if self.hashed:
            return self
        keys = level_hashes(list(self.counts.index))
        counts = pd.Series(self.counts.to_numpy(dtype=np.int64), index=pd.Index(keys, dtype=np.uint64))
        names = dict(zip(map(int, keys), map(str, self.counts.index), strict=True))
        return LevelCounts(counts, self.missing, True, _named(counts, names))

    def to_json(self, *, level_cap: int = EXACT_MAX_LEVELS) -> dict[str, Any]:
        """Names and counts; hashes (hex) beyond ``level_cap`` levels, with the kept names."""
        if not self.hashed and len(self.counts) <= level_cap:
            return {
                "levels": [str(v) for v in self.counts.index],
                "counts": self.counts.to_numpy(dtype=np.int64).tolist(),
                "missing": self.missing,
            }
        hashed = self.as_hashed()
        return {
            "hashes": [f"{int(k):016x}" for k in hashed.counts.index],
            "counts": hashed.counts.to_numpy(dtype=np.int64).tolist(),
            "names": {f"{k:016x}": name for k, name in hashed.names.items()},
            "missing": self.missing,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LevelCounts:
        counts = np.asarray(data["counts"], dtype=np.int64)
        if "hashes" not in data:
            return cls(pd.Series(counts, index=pd.Index(data["levels"], dtype=object)), int(data["missing"]))
        keys = np.array([int(k, 16) for k in data["hashes"]], dtype=np.uint64)
        names = {int(k, 16): str(v) for k, v in (data.get("names") or {}).items()}
        return cls(
            pd.Series(counts, index=pd.Index(keys, dtype=np.uint64)), int(data["missing"]), True, names
        )


def _merge_hashed(a: LevelCounts, b: LevelCounts) -> LevelCounts:
    joined = pd.concat([a.counts, b.counts])
    counts = joined.groupby(level=0, sort=False).sum().astype(np.int64) if len(joined) else joined
    return LevelCounts(counts, a.missing + b.missing, True, _named(counts, {**a.names, **b.names}))


def _named(counts: pd.Series, names: dict[int, str]) -> dict[int, str]:
    """The names of the ``NAMED_LEVELS`` most frequent levels that have one."""
    known = counts[counts.index.isin(list(names))]
    top = known.sort_values(ascending=False, kind="stable").index[:NAMED_LEVELS]
    return {int(k): names[int(k)] for k in top}


#: Names kept for a hashed column's most frequent levels (the report lists at most 20 never-seen ones).
NAMED_LEVELS = 1_000


def count_levels(values: pd.Series | np.ndarray, *, role: str | None = None) -> LevelCounts:
    """A column's levels as text (a numeric ID as the text its numbers are written as)."""
    series = pd.Series(values)
    if role == ID and pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        series = canonical_labels(series)
    counts = series.value_counts(dropna=False, sort=False)
    is_missing = counts.index.isna()
    missing = int(counts[is_missing].sum())
    present = counts[~is_missing]
    present.index = pd.Index(present.index.astype(str), dtype=object)
    if not present.index.is_unique:  # two values written the same way (1 and "1") are one level
        present = present.groupby(level=0, sort=False).sum()
    return LevelCounts(present.astype(np.int64), missing)


@dataclass
class TimeCounts:
    """What a timestamp column's tests use, counted against the baseline's first and last time."""

    rows: int
    parsed: int
    earlier: int  # parsed rows before the baseline's first time
    later: int  # parsed rows after the baseline's last time
    first: float | None  # numbers as they are; times as nanoseconds since the epoch
    last: float | None
    numeric: bool

    def merge(self, other: TimeCounts) -> TimeCounts:
        firsts = [t for t in (self.first, other.first) if t is not None]
        lasts = [t for t in (self.last, other.last) if t is not None]
        return TimeCounts(
            rows=self.rows + other.rows,
            parsed=self.parsed + other.parsed,
            earlier=self.earlier + other.earlier,
            later=self.later + other.later,
            first=min(firsts) if firsts else None,
            last=max(lasts) if lasts else None,
            numeric=self.numeric,
        )

    def shown(self, value: float | None) -> Any:
        """A first or last time as the report writes it: a number, or an ISO time (UTC)."""
        if value is None:
            return None
        return float(value) if self.numeric else pd.Timestamp(int(value)).isoformat()

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TimeCounts:
        return cls(**data)


def count_times(column, values: pd.Series | np.ndarray, first: Any, last: Any) -> TimeCounts:
    """Count a timestamp column: ``first`` and ``last`` are the baseline's range (None when unknown)."""
    total = len(values)
    if isinstance(column, NumericProfile):
        times = finite_values(values)
        weights = np.ones(len(times), dtype=np.int64)
    else:
        counts = pd.Series(values).value_counts()  # parse each distinct value once
        parsed = parse_times(pd.Series(counts.index, dtype=object)).to_numpy()
        ok = ~pd.isna(parsed)
        times, weights = parsed[ok], counts.to_numpy()[ok]
    earlier = 0 if first is None else int(weights[times < first].sum())
    later = 0 if last is None else int(weights[times > last].sum())
    numeric = isinstance(column, NumericProfile)
    return TimeCounts(
        rows=total,
        parsed=int(weights.sum()),
        earlier=earlier,
        later=later,
        first=_number(times.min(), numeric) if len(times) else None,
        last=_number(times.max(), numeric) if len(times) else None,
        numeric=numeric,
    )


def _number(value: Any, numeric: bool) -> float | int:
    if numeric:
        return float(value)
    return int(pd.Timestamp(value).value)


@dataclass
class ColumnSummary:
    """One column of a batch, counted as its role and profile need: bins, levels, or times (and bins
    for a numeric timestamp or ignored numeric column, which the report still draws)."""

    bins: NumericBins | None = None
    levels: LevelCounts | None = None
    times: TimeCounts | None = None

    def merge(self, other: ColumnSummary) -> ColumnSummary:
        return ColumnSummary(
            bins=_merged(self.bins, other.bins),
            levels=_merged(self.levels, other.levels),
            times=_merged(self.times, other.times),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            key: None if value is None else value.to_json()
            for key, value in (("bins", self.bins), ("levels", self.levels), ("times", self.times))
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ColumnSummary:
        return cls(
            bins=None if data.get("bins") is None else NumericBins.from_json(data["bins"]),
            levels=None if data.get("levels") is None else LevelCounts.from_json(data["levels"]),
            times=None if data.get("times") is None else TimeCounts.from_json(data["times"]),
        )


def summarize_column(spec, column, values: pd.Series, *, dependent: bool = False) -> ColumnSummary:
    """Count one feature of a batch (in row order) as its role and its profile need."""
    if spec.role == TIMESTAMP:
        first, last, _, _ = baseline_range(column)
        bins = bin_numeric(column, values) if isinstance(column, NumericProfile) else None
        return ColumnSummary(bins=bins, times=count_times(column, values, first, last))
    if isinstance(column, NumericProfile):
        return ColumnSummary(bins=bin_numeric(column, values, dependent=dependent and spec.role != IGNORE))
    if spec.role == IGNORE:
        return ColumnSummary()
    return ColumnSummary(levels=count_levels(values, role=spec.role))


def baseline_range(column) -> tuple[Any, Any, int, int]:
    """A timestamp column's baseline: first and last time, rows missing or unparsed, and rows."""
    if isinstance(column, NumericProfile):
        return column.minimum, column.maximum, column.missing, column.missing + column.count
    span = column.time_range or {}
    bad = column.missing + int(span.get("unparsed", 0))
    return _time(span.get("min")), _time(span.get("max")), bad, column.missing + column.count


def _time(text: str | None) -> Any:
    return None if text is None else pd.Timestamp(text).to_datetime64()


def _merged(a, b):
    if a is None:
        return b
    return a if b is None else a.merge(b)
