"""Finding a moto internal by name, failing loudly (``MotoHookMovedError``) when it has moved."""

from __future__ import annotations

import functools
import importlib
import inspect
from typing import Any

from drift_retrain_local.exceptions import MotoHookMovedError

__all__ = ["attribute", "module", "source"]


def module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError as error:  # pragma: no cover - only when moto moves
        raise MotoHookMovedError(f"{name} cannot be imported: {error}") from error


def attribute(module_name: str, *path: str) -> Any:
    target: Any = module(module_name)
    for name in path:
        if not hasattr(target, name):
            raise MotoHookMovedError(f"{module_name}.{'.'.join(path)} is gone (looked for {name!r})")
        target = getattr(target, name)
    return target


@functools.cache
def source(target: Any) -> str:
    """``inspect.getsource(target)``, read once per process: the checks run at every local cloud's start,
    and finding a class's source parses its whole module (about a second for moto's SageMaker models).
    The installed moto cannot change under a running process."""
    return inspect.getsource(target)
