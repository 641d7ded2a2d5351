"""Echoing input back to people: a value quoted in an error, a report or a notification is capped.

A 10 MB cell must not become a 10 MB error file or an SNS message cut mid-word: every value taken from
the input is shown by its first ``ECHO_LIMIT`` characters and its full length.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ECHO_LIMIT", "MESSAGE_LIMIT", "clip", "echo"]

#: Characters of one input value (a cell, a column name) shown in a message or a report.
ECHO_LIMIT = 200
#: Characters of a whole error message built from input (a header listing thousands of columns).
MESSAGE_LIMIT = 2000


def clip(text: Any, limit: int = ECHO_LIMIT) -> str:
    """``text`` as a string of at most about ``limit`` characters, saying how long it really was."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def echo(value: Any, limit: int = ECHO_LIMIT) -> str:
    """``repr`` of an input value, capped: the form messages quote cells and names in."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}… ({len(value):,} characters)"
    return clip(repr(value), limit)
