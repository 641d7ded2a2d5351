"""The header row of a batch against the model's schema: a specific reason for each way it can differ."""

from __future__ import annotations

from drift_retrain.engine.schema import Schema
from drift_retrain.exceptions import InvalidBatchError

__all__ = ["check_header"]


def check_header(columns: list[str], schema: Schema | None, label: str | None) -> None:
    if any(name == "" for name in columns):
        position = columns.index("") + 1
        raise InvalidBatchError("missing_column_name", f"header: column {position} has no name")
    duplicates = sorted({c for c in columns if columns.count(c) > 1})
    if duplicates:
        raise InvalidBatchError("duplicate_columns", f"header: duplicate column names {duplicates}")
    if schema is None:
        if label is not None and label not in columns:
            raise InvalidBatchError(
                "missing_label", f"header: label column {label!r} not found (columns: {columns})"
            )
        return
    expected = schema.feature_names
    allowed = [*expected, schema.label]
    missing = [c for c in expected if c not in columns]
    extra = [c for c in columns if c not in allowed]
    if missing and extra:
        pairs = _rename_pairs(missing, extra, columns, allowed)
        detail = "; ".join(f"{old!r} looks renamed to {new!r}" for old, new in pairs)
        raise InvalidBatchError(
            "renamed_columns",
            f"header: expected columns {missing} are missing and {extra} are unexpected ({detail})",
            column=missing[0],
        )
    if missing:
        raise InvalidBatchError(
            "missing_columns", f"header: missing feature columns {missing}", column=missing[0]
        )
    if extra:
        raise InvalidBatchError(
            "extra_columns",
            f"header: unexpected columns {extra} (the model knows {allowed})",
            column=extra[0],
        )


def _rename_pairs(missing: list[str], extra: list[str], columns: list[str], allowed: list[str]):
    """Pair each missing name with the extra one that is most alike (same letters, else same position)."""
    pairs = []
    for old in missing:
        same_letters = [e for e in extra if _letters(e) == _letters(old)]
        if same_letters:
            pairs.append((old, same_letters[0]))
            continue
        position = allowed.index(old)
        at_position = columns[position] if position < len(columns) else None
        pairs.append((old, at_position if at_position in extra else extra[0]))
    return pairs


def _letters(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())
