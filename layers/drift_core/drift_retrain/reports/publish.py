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
    s3: Any,
    bucket: str,
    json_key: str,
    render: Callable[[Mapping[str, Any]], str],
    report: Mapping[str, Any],
    *,
    write_once: bool = False,
) -> str | None:
    """Render ``report`` and put it at the JSON key with ``.html``; the key, or ``None`` when it failed.

    ``write_once``: a page already there is kept (a write-once report keeps the page it was shown with).
    """
    key = html_key(json_key)
    try:
        if write_once and storage.exists(s3, bucket, key):
            return key
        page = render(report)
        body = page.encode("utf-8")
        if write_once:
            storage.put_new(s3, bucket, key, body, HTML_CONTENT_TYPE)
        else:
            storage.put_bytes(s3, bucket, key, body, HTML_CONTENT_TYPE)
    except StorageError:
        logger.exception("Report page not written", extra={"key": key})
        return None
    except Exception:  # a rendering bug: the JSON report stands, the page is missing
        logger.exception("Report page could not be rendered", extra={"key": key})
        return None
    return key
