"""Features as the numbers SageMaker's built-in XGBoost reads: categories become stable integer codes.

The vocabulary of a categorical column is its (at most ``MAX_CATEGORIES`` most frequent) training
categories in sorted order, so fitting on training data and reading it back from that data's baseline
profile give the same codes; a category the model never saw becomes missing, which XGBoost handles.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from drift_retrain.engine.profile import MAX_CATEGORIES, CategoricalProfile
from drift_retrain.engine.schema import CATEGORICAL, Schema

__all__ = [
    "FeatureEncoder",
    "to_csv_rows",
]


class FeatureEncoder:
    """Maps a frame's feature columns (schema order) to a float matrix."""

    def __init__(self, schema: Schema, vocabularies: Mapping[str, list[str]]):
        self.schema = schema
        self.vocabularies = {name: list(vocabularies[name]) for name in schema.names_of(CATEGORICAL)}
        self._codes = {name: {c: i for i, c in enumerate(v)} for name, v in self.vocabularies.items()}

    @classmethod
    def fit(cls, frame: pd.DataFrame, schema: Schema) -> FeatureEncoder:
        vocabularies = {}
        for name in schema.names_of(CATEGORICAL):
            counts = pd.Series(frame[name], dtype=object).dropna().astype(str).value_counts(sort=True)
            vocabularies[name] = sorted(str(c) for c in counts.index[:MAX_CATEGORIES])
        return cls(schema, vocabularies)

    @classmethod
    def from_profile(cls, profile) -> FeatureEncoder:
        vocabularies = {}
        for name in profile.schema.names_of(CATEGORICAL):
            column = profile.columns[name]
            assert isinstance(column, CategoricalProfile)
            vocabularies[name] = sorted(column.categories)
        return cls(profile.schema, vocabularies)

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """``(rows, features)`` float64 matrix; missing values and unseen categories are NaN."""
        out = np.empty((len(frame), len(self.schema.columns)), dtype=np.float64)
        for j, spec in enumerate(self.schema.columns):
            values = frame[spec.name]
            if spec.kind == CATEGORICAL:
                text = pd.Series(values, dtype=object).astype(str).where(values.notna())
                out[:, j] = text.map(self._codes[spec.name]).to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                out[:, j] = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        return out


def to_csv_rows(matrix: np.ndarray, labels: np.ndarray | None = None) -> str:
    """Headerless CSV (label first when given), missing values as empty fields: the built-in
    algorithm's training and inference format."""
    if labels is not None:
        matrix = np.column_stack([np.asarray(labels, dtype=np.float64), matrix])
    frame = pd.DataFrame(matrix)
    return frame.to_csv(header=False, index=False, na_rep="", float_format="%.10g", lineterminator="\n")
