"""The one writer of every JSON document the service produces: strict JSON that any parser accepts.

Python's ``json`` writes NaN and infinities as bare ``NaN`` / ``Infinity`` tokens, which strict parsers
(``jq``, Java, Go, Step Functions, JavaScript's ``JSON.parse``) refuse. A batch of values near 1e308 makes a
mean or a standard deviation overflow, so such numbers do reach reports. Here each non-finite number
becomes ``null``, and a document that is an object says where and what it was under
:data:`NON_FINITE_KEY` (a JSON Pointer to the original text): ``{"/features/1/batch/std": "Infinity"}``.
The write itself uses ``allow_nan=False``, so nothing non-finite can slip through.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["NON_FINITE_KEY", "dump_bytes", "dumps", "json_safe", "strict", "write_file"]

#: The key, on a document's top level, listing the numbers written as ``null`` because they were not finite.
NON_FINITE_KEY = "non_finite_values"


def _name(number: float) -> str:
    return "NaN" if math.isnan(number) else "Infinity" if number > 0 else "-Infinity"


def _pointer_part(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _clean(value: Any, path: str, found: dict[str, str] | None) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _clean(v, f"{path}/{_pointer_part(str(k))}", found) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v, f"{path}/{i}", found) for i, v in enumerate(value)]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()  # numpy scalars
    if isinstance(value, float) and not math.isfinite(value):
        if found is not None:
            found[path] = _name(value)
        return None
    return value


def json_safe(value: Any) -> Any:
    """``value`` with non-finite floats as ``None`` and numpy scalars as Python ones (no annotation):
    for payloads whose shape a consumer fixes, such as a Lambda's answer to Step Functions."""
    return _clean(value, "", None)


def strict(document: Any) -> Any:
    """``document`` as :func:`json_safe` makes it, plus :data:`NON_FINITE_KEY` on an object that held a
    non-finite number (merged with one the document already carries)."""
    found: dict[str, str] = {}
    cleaned = _clean(document, "", found)
    if found and isinstance(cleaned, dict):
        cleaned[NON_FINITE_KEY] = {**(cleaned.get(NON_FINITE_KEY) or {}), **found}
    return cleaned


def dumps(document: Any, *, indent: int | None = 2, compact: bool = False, sort_keys: bool = False) -> str:
    """Strict JSON text of ``document``: indented by ``indent``, or on one line (``indent=None``), without
    spaces when ``compact``."""
    separators = (",", ":") if compact else None
    return json.dumps(
        strict(document),
        indent=indent,
        separators=separators,
        sort_keys=sort_keys,
        allow_nan=False,
        default=str,
    )


def dump_bytes(document: Any, *, indent: int | None = 2, compact: bool = False) -> bytes:
    """:func:`dumps` as UTF-8 bytes, for S3."""
    return dumps(document, indent=indent, compact=compact).encode("utf-8")


def write_file(path: str | Path, document: Any, *, indent: int | None = 2) -> Path:
    """Write ``document`` to ``path`` (folders created), ending with a newline; returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(dumps(document, indent=indent) + "\n", encoding="utf-8")
    return target
