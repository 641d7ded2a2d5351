"""Mergeable partial summaries of a batch, and the check that runs once on their merge.

A batch read in one piece and a batch checked part by part on a Distributed Map take the same path:
each part is counted (``summarize_frame``/``summarize_source``, or ``summarize_range`` for a byte
range of a large CSV), the counts merge exactly
(``merge_summaries``), and the tests run once on the merge (``check_summary``). Names are resolved on
first use: ``drift`` counts through ``bins`` and ``columns`` while ``check`` tests through ``drift``,
so importing this package must not import ``check`` eagerly.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = [
    "PartialSummary",
    "check_summary",
    "merge_summaries",
    "summarize_frame",
    "summarize_range",
    "summarize_source",
]

_HOME = {
    "PartialSummary": "partial",
    "summarize_frame": "partial",
    "summarize_source": "partial",
    "summarize_range": "partial",
    "merge_summaries": "merge",
    "check_summary": "check",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
