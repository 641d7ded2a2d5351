"""Reading settings from a Lambda's environment: one helper, one error type for every function.

An unset or empty variable keeps the default; a value that does not parse is a ``ConfigError`` naming
the variable and the value (never a bare ``ValueError`` from ``int()`` deep in a handler).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from drift_retrain.exceptions import ConfigError

__all__ = ["env_value"]


def env_value[T](environ: Mapping[str, str], name: str, default: T, kind: Callable[[str], Any] = str) -> T:
    """``kind(environ[name])``, or ``default`` when the variable is unset or blank."""
    raw = str(environ.get(name, "") or "").strip()
    if not raw:
        return default
    try:
        return kind(raw)
    except (TypeError, ValueError) as exc:
        kind_name = getattr(kind, "__name__", "value")
        raise ConfigError(f"{name}={raw!r} is not a valid {kind_name}: {exc}") from exc
