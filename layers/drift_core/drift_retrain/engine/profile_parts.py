"""Training data profiled part by part: partial profiles that merge into one ``BaselineProfile``.

``build_profile`` is one part, finished (``profile.finish_profile``), so a profile built from parts (a partition's files, a large
CSV's byte ranges) is the same computation with more parts. Per numeric column a part keeps its count,
missing rows, mean and sum of squared deviations (merged exactly by Chan et al.'s parallel formula),
minimum and maximum, and its distribution: exact distinct values with counts (merged exactly while the
union stays within ``EXACT_MAX_VALUES``, the rule ``profile_numeric`` applies to one pass), or else its
``SKETCH_POINTS``-point quantile sketch. Sketches merge into the inverse of the count-weighted mixture of
the parts' piecewise-linear CDFs, evaluated once when the profile is finished; each part's sketch CDF is
within ``1/(SKETCH_POINTS - 1) + 1/n`` of its rows' empirical CDF, a weighted mixture keeps that bound,
so every merged quantile's rank is within it too (``rank_error_bound``; docs/statistics.md derives it).
Other columns keep their levels' counts (``LevelCounts``, by hash beyond ``EXACT_MAX_LEVELS``), which
add exactly. Lag-1 autocorrelation and missing-value variance inflation are estimated within each part
(the pairs across a part boundary are left out) and averaged, weighted by pairs and rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from drift_retrain.engine.category_profile import (
    CategoricalProfile,
    LevelPart,
    finish_categorical,
    level_part,
)
from drift_retrain.engine.numeric_profile import (
    EXACT_MAX_VALUES,
    SKETCH_POINTS,
    NumericProfile,
    bin_shares,
    decile_edges,
    finite_values,
    missing_indicator,
)
from drift_retrain.engine.roles import FEATURE, ID, TIMESTAMP
from drift_retrain.engine.schema import NUMERIC, ColumnSpec, Schema, canonical_labels
from drift_retrain.engine.stats import lag1_autocorrelation, variance_inflation
from drift_retrain.engine.time_order import time_ordered
from drift_retrain.exceptions import ProfileError

__all__ = [
    "DECILES",
    "Component",
    "NumericPart",
    "ProfilePart",
    "column_part",
    "finish_column",
    "finish_numeric",
    "merge_profile_parts",
    "numeric_part",
    "profile_part",
    "rank_error_bound",
]

DECILES = np.linspace(0.1, 0.9, 9)


@dataclass
class Component:
    """Part of a numeric column's distribution: distinct values with counts, or ``count`` values' sketch
    (quantiles at ``linspace(0, 1, len(values))``, ``counts`` None)."""

    values: np.ndarray
    counts: np.ndarray | None
    count: int

    @property
    def exact(self) -> bool:
        return self.counts is not None

    def cdf(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``F(t)`` and ``F(t-)`` at ``points``, as the profile's column computes them."""
        empty = np.empty(0)
        column = NumericProfile(
            "", self.count, 0, None, None, None, None, self.values, self.counts, empty, empty
        )
        return column.cdf(points)


@dataclass
class NumericPart:
    """A numeric column of one part (or of merged parts)."""

    rows: int
    count: int
    mean: float | None
    m2: float  # sum of squared deviations from the mean
    minimum: float | None
    maximum: float | None
    components: list[Component]  # at most one exact component, first; then the parts' sketches
    deciles: tuple[np.ndarray, np.ndarray] | None = None  # one part's exact edges and shares
    lag1: float = 0.0
    lag_pairs: int = 0  # weight of ``lag1``: pairs of consecutive values it was estimated from
    inflation: float = 1.0  # missing-value variance inflation, weighted by ``rows``

    def merge(self, other: NumericPart) -> NumericPart:
        count = self.count + other.count
        mean, m2 = _chan(self, other)
        return NumericPart(
            rows=self.rows + other.rows,
            count=count,
            mean=mean,
            m2=m2,
            minimum=_extreme(min, self.minimum, other.minimum),
            maximum=_extreme(max, self.maximum, other.maximum),
            components=_merge_components(self.components, other.components),
            lag1=_weighted(self.lag1, self.lag_pairs, other.lag1, other.lag_pairs, 0.0),
            lag_pairs=self.lag_pairs + other.lag_pairs,
            inflation=_weighted(self.inflation, self.rows, other.inflation, other.rows, 1.0),
        )


ColumnPart = NumericPart | LevelPart


@dataclass
class ProfilePart:
    """What one part of the training data (or several, merged) contributes to the baseline profile."""

    schema: Schema
    rows: int
    columns: dict[str, ColumnPart]
    label: ColumnPart
    parts: list[str] = field(default_factory=list)

    def merge(self, other: ProfilePart) -> ProfilePart:
        if set(self.columns) != set(other.columns):
            raise ProfileError(f"profile parts of different columns ({self.parts}, {other.parts})")
        return ProfilePart(
            schema=self.schema,
            rows=self.rows + other.rows,
            columns={name: _merge_column(part, other.columns[name]) for name, part in self.columns.items()},
            label=_merge_column(self.label, other.label),
            parts=[*self.parts, *other.parts],
        )


def profile_part(frame: pd.DataFrame, schema: Schema, *, name: str = "") -> ProfilePart:
    """Profile one part's rows (in time order within the part for an autocorrelated schema)."""
    missing = [c for c in [*schema.feature_names, schema.label] if c not in frame.columns]
    if missing:
        raise ProfileError(f"training data{f' part {name}' if name else ''} lacks columns {missing}")
    frame = time_ordered(frame, schema)
    dependent = schema.dependence == "autocorrelated"
    columns = {spec.name: column_part(spec, frame[spec.name], lag1=dependent) for spec in schema.columns}
    labels = frame[schema.label]
    label = level_part(canonical_labels(labels)) if schema.is_classification else numeric_part(labels)
    return ProfilePart(schema, len(frame), columns, label, [name] if name else [])


def merge_profile_parts(parts: Iterable[ProfilePart]) -> ProfilePart:
    """One part of them all, folded in the order given (the order sets the tie order of equal counts)."""
    merged: ProfilePart | None = None
    for part in parts:
        merged = part if merged is None else merged.merge(part)
    if merged is None:
        raise ProfileError("no profile parts to merge")
    return merged


def column_part(spec: ColumnSpec, values: pd.Series, *, lag1: bool = False) -> ColumnPart:
    """One feature of a part, as its kind and role need it (an ID is counted as text whatever its kind)."""
    if spec.role == ID:
        return level_part(canonical_labels(values) if spec.kind == NUMERIC else values)
    if spec.kind == NUMERIC:
        return numeric_part(values, lag1=lag1)
    return level_part(values, timestamp=spec.role == TIMESTAMP)


def finish_column(spec: ColumnSpec, part: ColumnPart) -> NumericProfile | CategoricalProfile:
    if isinstance(part, NumericPart):
        return finish_numeric(spec.name, part)
    return finish_categorical(
        spec.name, part, levels=spec.role in (FEATURE, ID), timestamp=spec.role == TIMESTAMP
    )


def numeric_part(values: pd.Series | np.ndarray, *, lag1: bool = False) -> NumericPart:
    """One part of a numeric column: what ``profile_numeric`` keeps of it, and its exact deciles."""
    present = np.sort(finite_values(values))
    count = len(present)
    distinct, counts = _sorted_unique(present)
    if len(distinct) <= EXACT_MAX_VALUES or count <= SKETCH_POINTS:
        component = Component(distinct, counts, count)
    else:
        positions = np.linspace(0, count - 1, SKETCH_POINTS)
        component = Component(np.interp(positions, np.arange(count), present), None, count)
    edges = decile_edges(present)
    mean = float(present.mean()) if count else None
    ordered = np.asarray(values, dtype=np.float64)
    return NumericPart(
        rows=len(values),
        count=count,
        mean=mean,
        m2=float(np.sum((present - mean) ** 2)) if count else 0.0,
        minimum=float(present[0]) if count else None,
        maximum=float(present[-1]) if count else None,
        components=[component],
        deciles=(edges, bin_shares(present, edges, presorted=True)),
        lag1=lag1_autocorrelation(ordered) if lag1 else 0.0,
        lag_pairs=max(0, count - 1) if lag1 and count >= 3 else 0,
        inflation=variance_inflation(missing_indicator(values)) if lag1 else 1.0,
    )


def _sorted_unique(present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(present, return_counts=True)`` of values already sorted, without sorting them again
    (the sort is most of a numeric column's cost)."""
    if not len(present):
        return present, np.zeros(0, dtype=np.intp)
    starts = np.flatnonzero(np.concatenate(([True], present[1:] != present[:-1])))
    return present[starts], np.diff(np.append(starts, len(present)))


def finish_numeric(name: str, part: NumericPart) -> NumericProfile:
    """The column's profile: exact values, or the merged sketch, and decile edges and shares."""
    components = part.components
    if len(components) == 1 and components[0].exact:
        values, counts = components[0].values, components[0].counts
    elif len(components) == 1 and part.deciles is not None:  # one part's own sketch
        values, counts = components[0].values, None
    else:
        values, counts = _mixture_sketch(components, part.count), None
    if part.deciles is not None:
        edges, shares = part.deciles
    elif counts is not None:
        edges, shares = _exact_deciles(values, counts, part.count)
    else:
        edges, shares = _mixture_deciles(components, part.count)
    return NumericProfile(
        name=name,
        count=part.count,
        missing=part.rows - part.count,
        mean=part.mean,
        std=float(np.sqrt(part.m2 / (part.count - 1))) if part.count > 1 else None,
        minimum=part.minimum,
        maximum=part.maximum,
        values=values,
        counts=counts,
        decile_edges=edges,
        decile_shares=shares,
        lag1=part.lag1,
        missing_inflation=part.inflation,
    )


def rank_error_bound(part: NumericPart) -> float:
    """Largest rank error of a merged sketch's quantiles against the empirical CDF of all its rows.

    A part's sketch CDF is within ``1/(SKETCH_POINTS - 1) + 1/n`` of its ``n`` rows' empirical CDF; the
    count-weighted mixture is within the weighted mean of those (exact components add nothing), and the
    merged quantile at ``p`` is where the mixture crosses ``p``. The merged sketch used as a CDF
    (interpolated between its points) adds one grid step, ``1/(SKETCH_POINTS - 1)``.
    """
    total = max(1, part.count)
    return sum(
        c.count / total * (1.0 / (SKETCH_POINTS - 1) + 1.0 / c.count) for c in part.components if not c.exact
    )


def _chan(a: NumericPart, b: NumericPart) -> tuple[float | None, float]:
    """Mean and sum of squared deviations of two parts together (Chan, Golub and LeVeque 1979)."""
    if not b.count:
        return a.mean, a.m2
    if not a.count:
        return b.mean, b.m2
    assert a.mean is not None and b.mean is not None
    count = a.count + b.count
    delta = b.mean - a.mean
    return a.mean + delta * b.count / count, a.m2 + b.m2 + delta * delta * a.count * b.count / count


def _extreme(pick, a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else pick(a, b)


def _weighted(a: float, wa: int, b: float, wb: int, default: float) -> float:
    if not wb:
        return a if wa else default
    if not wa:
        return b
    return (a * wa + b * wb) / (wa + wb)


def _merge_components(a: list[Component], b: list[Component]) -> list[Component]:
    """The exact components joined (a sketch once the union passes both caps), the sketches listed."""
    exact = [c for c in [*a, *b] if c.exact]
    sketches = [c for c in [*a, *b] if not c.exact]
    if not exact:
        return sketches
    values = np.concatenate([c.values for c in exact])
    counts = np.concatenate([c.counts for c in exact if c.counts is not None])
    distinct, where = np.unique(values, return_inverse=True)
    summed = np.bincount(where, weights=counts, minlength=len(distinct)).astype(np.int64)
    joined = Component(distinct, summed, int(summed.sum()))
    if len(distinct) > EXACT_MAX_VALUES and joined.count > SKETCH_POINTS:
        joined = Component(_exact_sketch(joined), None, joined.count)
    return [joined, *sketches]


def _sorted_at(values: np.ndarray, counts: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The values at 0-based positions ``index`` of the rows sorted (values repeated by their counts)."""
    return values[np.searchsorted(np.cumsum(counts), index, side="right")]


def _exact_sketch(component: Component) -> np.ndarray:
    """The ``SKETCH_POINTS`` quantiles ``numeric_part`` takes of the rows an exact component counts."""
    assert component.counts is not None
    positions = np.linspace(0, component.count - 1, SKETCH_POINTS)
    low = np.floor(positions).astype(np.int64)
    high = np.minimum(low + 1, component.count - 1)
    a = _sorted_at(component.values, component.counts, low)
    b = _sorted_at(component.values, component.counts, high)
    return a + (b - a) * (positions - low)


def _exact_deciles(values: np.ndarray, counts: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``decile_edges`` and ``bin_shares`` of the rows exact counts describe, without repeating them."""
    if count == 0:
        return np.empty(0), np.zeros(1)
    position = DECILES * (count - 1)
    low = np.floor(position).astype(np.int64)
    high = np.minimum(low + 1, count - 1)
    a, b = _sorted_at(values, counts, low), _sorted_at(values, counts, high)
    t = position - low
    edges = np.unique(np.where(t >= 0.5, b - (b - a) * (1 - t), a + (b - a) * t))  # numpy's linear rule
    cum = np.concatenate(([0], np.cumsum(counts)))
    below = cum[np.searchsorted(values, edges, side="left")]
    return edges, np.diff(np.concatenate(([0], below, [count]))) / count


def _mixture(components: list[Component], count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The count-weighted mixture of the components' CDFs at every knot: knots, ``F(t)``, ``F(t-)``.

    Between two knots each component's CDF is linear (a sketch) or flat (exact), so the mixture is too.
    """
    knots = np.unique(np.concatenate([c.values for c in components]))
    right, left = np.zeros(len(knots)), np.zeros(len(knots))
    for component in components:
        weight = component.count / count
        at, before = component.cdf(knots)
        right += weight * at
        left += weight * before
    # a weighted sum of CDFs can round past 1; above it, inverting at p = 1 missed the largest value
    np.minimum(right, 1.0, out=right)
    np.minimum(left, 1.0, out=left)
    right[-1] = 1.0
    return knots, right, left


def _invert(knots: np.ndarray, right: np.ndarray, left: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """The least ``x`` with ``F(x) >= p`` per ``p``, interpolated on the linear pieces between knots."""
    j = np.minimum(np.searchsorted(right, probs, side="left"), len(knots) - 1)
    out = knots[j].astype(np.float64)
    inside = (probs < left[j]) & (j > 0)  # on the linear piece before knot j
    i = j[inside]
    rise = left[i] - right[i - 1]
    frac = np.divide(probs[inside] - right[i - 1], rise, out=np.ones_like(rise), where=rise > 0)
    out[inside] = knots[i - 1] + np.clip(frac, 0.0, 1.0) * (knots[i] - knots[i - 1])
    return out


def _mixture_sketch(components: list[Component], count: int) -> np.ndarray:
    knots, right, left = _mixture(components, count)
    return _invert(knots, right, left, np.linspace(0.0, 1.0, SKETCH_POINTS))


def _mixture_deciles(components: list[Component], count: int) -> tuple[np.ndarray, np.ndarray]:
    """Decile edges where the mixture crosses each decile, and its shares of the bins between them."""
    knots, right, left = _mixture(components, count)
    edges = np.unique(_invert(knots, right, left, DECILES))
    below = np.zeros(len(edges))
    for component in components:
        below += component.count / count * component.cdf(edges)[1]
    return edges, np.diff(np.concatenate(([0.0], below, [1.0])))


# Categorical columns --------------------------------------------------------------------------------


def _merge_column(a: ColumnPart, b: ColumnPart) -> ColumnPart:
    if type(a) is not type(b):
        raise ProfileError("profile parts disagree on a column's kind")
    return a.merge(b)  # type: ignore[arg-type]
