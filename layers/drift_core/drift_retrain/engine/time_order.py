"""The time order of training rows: by the schema's timestamp column, or the file's order."""

from __future__ import annotations

import pandas as pd

from drift_retrain.engine.roles import parse_times
from drift_retrain.engine.schema import Schema

__all__ = ["in_time_order", "time_order_of", "time_ordered"]


def time_ordered(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """Rows in time order when the rows are autocorrelated and a timestamp column says the order."""
    if schema.dependence != "autocorrelated":
        return frame
    return in_time_order(frame, schema)


def in_time_order(frame: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """Rows sorted by the schema's timestamp column (stable; rows without a time first, as the oldest),
    or as read when there is none: then the file's order is taken as time order."""
    column = schema.timestamp
    if column is None or column not in frame.columns:
        return frame
    times = parse_times(frame[column]).reset_index(drop=True)
    order = times.sort_values(kind="stable", na_position="first").index.to_numpy()
    return frame.iloc[order]


def time_order_of(schema: Schema) -> str:
    """What orders a table's rows in time, as training manifests and reports say it."""
    return f"timestamp column {schema.timestamp}" if schema.timestamp else "file order"
