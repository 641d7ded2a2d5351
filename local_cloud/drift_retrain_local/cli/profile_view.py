"""What ``drift-retrain profile`` prints: the inferred schema, each column's kind and role with the reason,
and a caution for each call worth checking (see ``drift_retrain.engine.kind_inference``)."""

from __future__ import annotations

from drift_retrain.echo import clip
from drift_retrain.engine.schema import Schema

__all__ = ["schema_lines"]


def schema_lines(schema: Schema) -> list[str]:
    """One line per column (kind, role, why), then the cautions, each with what to do."""
    lines = [
        f"  label {schema.label!r}: {schema.task}"
        + (f", classes {list(schema.classes)}" if schema.classes else "")
    ]
    markers = ", ".join(repr(m) for m in schema.missing_markers) or "none (only the empty cell)"
    lines.append(f"  missing markers: {markers}; numeric columns also read NA, null, None, NaN as missing")
    width = min(24, max(len(c.name) for c in schema.columns))
    for column in schema.columns:
        why = (
            column.kind_reason
            if column.role_reason == "default"
            else f"{column.kind_reason}; {column.role_reason}"
        )
        lines.append(
            f"  {clip(column.name, 60):<{width}}  {column.kind:<11} {column.role:<9} {clip(why, 160)}"
        )
    cautions = [c.caution for c in schema.columns if c.caution]
    for caution in cautions:
        lines.append(f"  WARNING: {caution}")
    if cautions:
        lines.append(
            "  (a schema file, --schema FILE, fixes a column's kind or role, and sets missing_markers)"
        )
    return lines
