"""What an on-call engineer does with a refused batch: where its copy and reason are, and how to fix it.

The detector copies a refused object to ``quarantine/files/<key>`` in the same bucket and writes its record
(the reason) to ``quarantine/records/<key>.json`` (:func:`drift_retrain.aws.objects.quarantine_object`, keys
from :func:`drift_retrain.layout.quarantine_keys`, the one source); the page derives both from the report's
``source`` so it needs nothing the report JSON does not already hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drift_retrain.engine.read_reasons import READ_REASONS
from drift_retrain.layout import quarantine_keys
from drift_retrain.reports.page import esc

__all__ = ["quarantine_panel", "quarantine_paths"]


def quarantine_paths(source: Any) -> tuple[str, str] | None:
    """(copy, record) of an S3 source; ``None`` for a local file (a local check copies nothing)."""
    text = str(source or "")
    if not text.startswith("s3://") or "/" not in text[5:]:
        return None
    bucket, _, key = text[5:].partition("/")
    copy, record = quarantine_keys(key)
    return f"s3://{bucket}/{copy}", f"s3://{bucket}/{record}"


def quarantine_panel(report: Mapping[str, Any]) -> str:
    """The refused batch's quarantine copy, the reason code in words, and the next step."""
    code = str(report.get("error_code") or "")
    meaning = READ_REASONS.get(code)
    paths = quarantine_paths(report.get("source"))
    where = (
        f"<li>Copy: <code>{esc(paths[0])}</code>; reason: <code>{esc(paths[1])}</code>. "
        "The original object is left as it was.</li>"
        if paths
        else "<li>A local file: nothing was copied.</li>"
    )
    reason = f"<li>Reason code <code>{esc(code)}</code>" + (f": {esc(meaning)}" if meaning else "") + ".</li>"
    fix = (
        "<li>To fix: correct the file at the place the message names, then upload it again under a new key "
        "(the quarantined copy is kept for the record).</li>"
    )
    return f'<h2>Quarantine</h2><div class="panel" id="quarantine"><ul>{where}{reason}{fix}</ul></div>'
