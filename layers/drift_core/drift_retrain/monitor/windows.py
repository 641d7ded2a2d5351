"""When a stream's open rows become a window: pure rules on the listed parts and the ledger.

A window takes whole parts (one part is one capture file, or one object of a data stream), oldest first,
and closes

- at ``window_rows`` rows (it may hold a few more: the part that crosses the line is not split), or
- when its oldest part is ``window_minutes`` old and it holds at least ``min_rows`` rows (the stream
  went quiet; the scheduled rule checks this even when no capture file arrives).

The ledger (one JSON document per stream, written with ``If-Match``) says which parts each window took:
a part is in at most one window, and a window id is given once. :func:`close_windows` is the one
transition; the S3 side (:mod:`.ledger`) retries it when another writer got there first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from drift_retrain.monitor.keys import Stream, window_id

__all__ = [
    "LABEL_REVISION_STEP",
    "LEDGER_WINDOWS",
    "ListedPart",
    "WindowRules",
    "close_windows",
    "new_ledger",
    "next_revision",
    "plan_windows",
]

#: A window's labelled batch is written again (a new revision) when its labelled share has grown by this
#: much since the last revision, and once more when every row is labelled.
LABEL_REVISION_STEP = 0.25
#: Windows kept in the ledger (their parts, rows and label state); older ones live on as their CSVs.
LEDGER_WINDOWS = 200


@dataclass(frozen=True)
class WindowRules:
    window_rows: int
    window_minutes: float
    min_rows: int

    def __post_init__(self) -> None:
        if self.window_rows < 1 or self.min_rows < 1 or self.window_minutes <= 0:
            raise ValueError(f"window rules must be positive: {self}")


@dataclass(frozen=True)
class ListedPart:
    name: str
    rows: int
    written: datetime


def plan_windows(
    open_parts: Sequence[ListedPart], rules: WindowRules, now: datetime
) -> list[tuple[list[ListedPart], str]]:
    """The windows the open parts make now: ``(parts, reason)`` with reason ``rows`` or ``quiet``."""
    remaining = sorted(open_parts, key=lambda p: (p.written, p.name))
    windows: list[tuple[list[ListedPart], str]] = []
    while sum(p.rows for p in remaining) >= rules.window_rows:
        taken, rows = [], 0
        while rows < rules.window_rows:
            part = remaining.pop(0)
            taken.append(part)
            rows += part.rows
        windows.append((taken, "rows"))
    rows = sum(p.rows for p in remaining)
    if remaining and rows >= rules.min_rows:
        age = now - remaining[0].written
        if age >= timedelta(minutes=rules.window_minutes):
            windows.append((list(remaining), "quiet"))
    return windows


def new_ledger(stream: Stream) -> dict[str, Any]:
    named = {"data_stream": stream.name} if stream.is_data else {}
    return {
        "stream": {"endpoint": stream.endpoint, "variant": stream.variant, **named},
        "next_window": 1,
        "claimed": {},
        "windows": [],
    }


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def close_windows(
    ledger: dict[str, Any], listed: Sequence[ListedPart], rules: WindowRules, now: datetime
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ledger with the windows that close now, and those windows (empty when none closes).

    Claims of parts no longer listed (expired by the bucket's lifecycle) are dropped, so the ledger
    stays as small as the parts that exist.
    """
    claimed = dict(ledger.get("claimed") or {})
    open_parts = [p for p in listed if p.name not in claimed]
    planned = plan_windows(open_parts, rules, now)
    if not planned:
        return ledger, []
    number = int(ledger.get("next_window") or 1)
    closed = []
    for parts, reason in planned:
        wid = window_id(number)
        number += 1
        for part in parts:
            claimed[part.name] = wid
        closed.append(
            {
                "id": wid,
                "parts": [p.name for p in parts],
                "rows": sum(p.rows for p in parts),
                "opened": _iso(min(p.written for p in parts)),
                "closed": _iso(now),
                "reason": reason,
                "materialised": False,
                "labelled": {"revision": 0, "rows": 0},
            }
        )
    alive = {p.name for p in listed}
    updated = {
        **ledger,
        "next_window": number,
        "claimed": {name: wid for name, wid in claimed.items() if name in alive},
        "windows": [*(ledger.get("windows") or []), *closed][-LEDGER_WINDOWS:],
    }
    return updated, closed


def next_revision(labelled: int, rows: int, previous: dict[str, int], min_labelled: int) -> bool:
    """Whether ``labelled`` joined rows of a ``rows``-row window make a new labelled revision."""
    if labelled < min(min_labelled, rows) or labelled <= int(previous.get("rows") or 0):
        return False
    if not previous.get("revision"):
        return True
    grown = (labelled - int(previous["rows"])) / max(rows, 1)
    return grown >= LABEL_REVISION_STEP or labelled >= rows
