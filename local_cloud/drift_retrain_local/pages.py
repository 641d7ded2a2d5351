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

from drift_retrain.reports.timeline import render_timeline_html

__all__ = ["write_timeline_page"]


def write_timeline_page(
    out: Path, timeline: Mapping[str, Any], title: str = "drift-retrain local run"
) -> Path:
    """Write ``<out>/timeline.html``; drift reports are read from ``<out>/<report key>``."""

    def load(key: str) -> dict[str, Any] | None:
        try:
            return json.loads((out / key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    path = out / "timeline.html"
    path.write_text(render_timeline_html(timeline, load, title=title), encoding="utf-8")
    return path
