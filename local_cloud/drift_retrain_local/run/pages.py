"""The local run's pages: ``timeline.html`` next to ``timeline.json``, rendered by the layer's renderer.

The drift and evaluation pages themselves were written by the Lambdas (``reports/**/*.html``) and copied
out of the bucket with the JSON; the timeline links to them by relative path, so the folder can be
zipped, moved or opened offline.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from drift_retrain.reports.timeline import ReportLoader, render_timeline_html

__all__ = ["report_loader", "write_timeline_page"]


def report_loader(out: Path) -> ReportLoader:
    """Reads a report the run copied out, ``<out>/<report key>`` (``None`` when it is not there)."""

    def load(key: str) -> dict[str, Any] | None:
        try:
            return json.loads((out / key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    return load


def write_timeline_page(
    out: Path, timeline: Mapping[str, Any], title: str = "drift-retrain local run"
) -> Path:
    """Write ``<out>/timeline.html``; drift reports are read from ``<out>/<report key>``."""
    path = out / "timeline.html"
    path.write_text(render_timeline_html(timeline, report_loader(out), title=title), encoding="utf-8")
    return path
