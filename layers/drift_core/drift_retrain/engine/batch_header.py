"""The header row of a batch against the model's schema: a specific reason for each way it can differ.

Every check is linear in the number of columns (sets and counters, never ``list.count`` in a loop),
so a header of hundreds of thousands of names is refused in milliseconds, and the column count is
capped before any row is parsed (``too_many_columns``). A column the model does not know is not an
error: the known columns are checked and the extra one is named in the report's ``input_warnings``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from drift_retrain.echo import echo
from drift_retrain.engine.schema import Schema
from drift_retrain.exceptions import InvalidBatchError

__all__ = ["DELIMITERS", "HeaderCheck", "check_column_count", "check_header"]

#: Separators a spreadsheet writes instead of commas, and how the message names them.
DELIMITERS = {";": "semicolons (';')", "\t": "tabs", "|": "pipes ('|')"}
_AS_CSV = "save it as CSV with commas (in Excel: 'CSV UTF-8 (Comma delimited)')"


@dataclass
class HeaderCheck:
    """The columns to read (the schema's, in file order) and warnings about the others."""

    used: list[str]
    warnings: list[dict] = field(default_factory=list)


def check_column_count(fields: int, max_columns: int) -> None:
    """``too_many_columns`` before the header is even split (its field count comes from the scan)."""
    if fields > max_columns:
        raise InvalidBatchError(
            "too_many_columns",
            f"header: {fields:,} columns, over MAX_COLUMNS={max_columns:,}: a batch holds the model's "
            "columns (a wide export, or a file that is not a table?)",
        )


def check_header(columns: list[str], schema: Schema | None, label: str | None) -> HeaderCheck:
    _check_format(columns, schema, label)
    if "" in columns:
        position = columns.index("") + 1
        raise InvalidBatchError("missing_column_name", f"header: column {position} has no name")
    counts = Counter(columns)
    duplicates = sorted(name for name, n in counts.items() if n > 1)
    if duplicates:
        raise InvalidBatchError("duplicate_columns", f"header: duplicate column names {echo(duplicates)}")
    if schema is None:
        if label is not None and label not in counts:
            raise InvalidBatchError(
                "missing_label", f"header: label column {label!r} not found (columns: {echo(columns)})"
            )
        return HeaderCheck(list(columns))
    expected = schema.feature_names
    allowed = {*expected, schema.label}
    missing = [c for c in expected if c not in counts]
    extra = [c for c in columns if c not in allowed]
    if missing and extra:
        pairs = _rename_pairs(missing, extra, columns, [*expected, schema.label])
        detail = "; ".join(f"{echo(old)} looks renamed to {echo(new)}" for old, new in pairs)
        raise InvalidBatchError(
            "renamed_columns",
            f"header: expected columns {echo(missing)} are missing and {echo(extra)} are unexpected ({detail})",
            column=missing[0],
        )
    if missing:
        raise InvalidBatchError(
            "missing_columns", f"header: missing feature columns {echo(missing)}", column=missing[0]
        )
    if schema.label not in counts:
        renamed = [e for e in extra if _letters(e) == _letters(schema.label)]
        if renamed:
            raise InvalidBatchError(
                "renamed_columns",
                f"header: the label column {echo(schema.label)} looks renamed to {echo(renamed[0])}; "
                "rename it back (a batch without its label is checked without the concept test)",
                column=schema.label,
            )
    used = [c for c in columns if c in allowed]
    warnings = []
    if extra:
        warnings.append(
            {
                "code": "extra_columns",
                "columns": [echo(c) for c in extra[:20]],
                "count": len(extra),
                "message": f"header: {len(extra):,} columns the model does not know were not checked: "
                f"{echo(extra[:20])}",
            }
        )
    return HeaderCheck(used, warnings)


def _check_format(columns: list[str], schema: Schema | None, label: str | None) -> None:
    """Excel's ``sep=`` first line, and files separated by something other than commas, by name."""
    line = ",".join(columns)
    if line.lower().startswith("sep=") and len(line) <= 6:
        raise InvalidBatchError(
            "excel_sep_line",
            f"line 1 is Excel's separator hint {echo(line)}, not a header: remove that line (the header "
            "must be the first line)",
            line=1,
        )
    wanted = {*(schema.feature_names if schema else ()), *(x for x in (label, schema and schema.label) if x)}
    for delimiter, name in DELIMITERS.items():
        if delimiter not in line:
            continue
        parts = [p.strip() for p in line.split(delimiter)]
        if len(parts) <= len(columns):
            continue
        if (not wanted and len(columns) == 1) or len(wanted & set(parts)) > len(wanted & set(columns)):
            raise InvalidBatchError(
                "wrong_delimiter",
                f"header: the file is separated by {name}, not commas ({len(parts)} names such as "
                f"{echo(parts[:3])}): {_AS_CSV}",
                line=1,
            )


def _rename_pairs(missing: list[str], extra: list[str], columns: list[str], allowed: list[str]):
    """Pair each missing name with the extra one that is most alike (same letters, else same position)."""
    by_letters: dict[str, str] = {}
    for e in extra:
        by_letters.setdefault(_letters(e), e)
    extra_set = set(extra)
    position_of = {name: i for i, name in enumerate(allowed)}
    pairs = []
    for old in missing[:20]:
        same = by_letters.get(_letters(old))
        if same is not None:
            pairs.append((old, same))
            continue
        position = position_of[old]
        at_position = columns[position] if position < len(columns) else None
        pairs.append((old, at_position if at_position in extra_set else extra[0]))
    return pairs


def _letters(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())
