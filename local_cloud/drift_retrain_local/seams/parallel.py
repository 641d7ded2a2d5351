"""Fix for one bug in moto 5.2.5's ASL interpreter: a Parallel branch failing with a ``States.*`` error.

AWS re-raises a failed branch's error from the Parallel state under its own name, so a Catch on the
Parallel state sees ``States.TaskFailed`` (a failed ``.sync`` job) and handles it. moto wraps the name in
``CustomErrorName`` (``state_parallel/branches_decl.py``), which refuses names starting with ``States.``:
the ``ValueError`` ends the whole execution as FAILED, skipping the Catch (no failure notification, the
endpoint lock never released). This module makes ``branches_decl`` build a ``StatesErrorName`` for those
names instead. Nothing else changes.

``check()`` fails loudly (``MotoHookMovedError``) if the pinned moto no longer has this shape.
"""

from __future__ import annotations

import threading
from typing import Any

from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.seams.lookup import source

__all__ = ["check", "install", "uninstall"]

_PREFIX = "States."
_lock = threading.Lock()
_original: Any = None


def _modules():
    try:
        from moto.stepfunctions.parser.asl.component.common.error_name import custom_error_name, error_name
        from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
            StatesErrorName,
        )
        from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl
    except ImportError as error:  # pragma: no cover - only when moto moves
        raise MotoHookMovedError(f"moto's ASL error-name modules moved: {error}") from error
    return branches_decl, custom_error_name.CustomErrorName, StatesErrorName, error_name.ErrorName


def check() -> None:
    """Verify that ``branches_decl`` still names a failed branch's error with ``CustomErrorName``."""
    branches_decl, custom, _, _ = _modules()
    if getattr(branches_decl, "CustomErrorName", None) not in (custom, _error_name):
        raise MotoHookMovedError("moto's branches_decl no longer imports CustomErrorName")
    if "CustomErrorName(error_name=exit_error_name)" not in source(branches_decl):
        raise MotoHookMovedError("moto's Parallel no longer wraps a branch's error in CustomErrorName")


def _error_name(error_name: str | None):
    """``CustomErrorName`` for custom names; for ``States.*`` names the error-name class AWS would use."""
    _, custom, states, base = _modules()
    if error_name is not None and error_name.startswith(_PREFIX):
        try:
            return states.from_name(error_name)
        except ValueError:  # a States.* name moto does not model: keep the name as it is
            return base(error_name=error_name)
    return custom(error_name=error_name)


def install() -> None:
    global _original
    with _lock:
        check()
        branches_decl, _, _, _ = _modules()
        if _original is None:
            _original = branches_decl.CustomErrorName
            branches_decl.CustomErrorName = _error_name


def uninstall() -> None:
    global _original
    with _lock:
        if _original is not None:
            branches_decl, _, _, _ = _modules()
            branches_decl.CustomErrorName = _original
            _original = None
