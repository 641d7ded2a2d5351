"""Writing a report's HTML next to its JSON in S3, without ever failing the step that wrote the JSON.

The JSON is the record the workflow reads; the page is for people. A rendering bug must not stop a
retrain or lose a report, so it is logged and the step goes on (the page is simply missing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from drift_retrain.aws import storage
from drift_retrain.aws.exceptions import StorageError
from drift_retrain.reports.links import html_key

__all__ = ["HTML_CONTENT_TYPE", "publish_html"]

logger = logging.getLogger(__name__)

HTML_CONTENT_TYPE = "text/html; charset=utf-8"


def publish_html(
    s3: Any, bucket: str, json_key: str, render: Callable[[Mapping[str, Any]], str], report: Mapping[str, Any]
) -> str | None:
    """Render ``report`` and put it at the JSON key with ``.html``; the key, or ``None`` when it failed."""
    key = html_key(json_key)
    try:
        page = render(report)
        storage.put_bytes(s3, bucket, key, page.encode("utf-8"), HTML_CONTENT_TYPE)
    except StorageError:
        logger.exception("Report page not written", extra={"key": key})
        return None
    except Exception:  # a rendering bug: the JSON report stands, the page is missing
        logger.exception("Report page could not be rendered", extra={"key": key})
        return None
    return key
