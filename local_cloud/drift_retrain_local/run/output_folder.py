"""A run's output folder holds that run's files only: what an earlier run wrote there is removed first.

A second ``make demo`` otherwise left the first run's pages beside the new ones (a batch dropped from the
run kept its old report, linked from nowhere, looking current). Only the entries a run itself writes are
removed, never anything else in the folder, so ``--out`` may point at a folder that holds other files.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

__all__ = ["CHECK_DEMO_OUTPUTS", "RUN_OUTPUTS", "clear_outputs"]

#: What ``local run`` writes into its folder (``local demo`` adds ``data``).
RUN_OUTPUTS = (
    "reports",
    "quarantine",
    "training",
    "timeline.json",
    "timeline.html",
    "notifications.jsonl",
    "logs.txt",
)
#: What ``drift-retrain demo`` writes into its folder.
CHECK_DEMO_OUTPUTS = ("data", "profile", "reports")


def clear_outputs(out: str | Path, names: Iterable[str]) -> list[Path]:
    """Remove ``out/<name>`` for each of ``names`` that exists (a folder with its contents; a link, not
    what it points to); returns what was removed."""
    removed = []
    for name in names:
        path = Path(out) / name
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
        else:
            continue
        removed.append(path)
    return removed
