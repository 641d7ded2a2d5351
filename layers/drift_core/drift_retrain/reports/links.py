"""Where a person opens a report: the S3 console page, and a pre-signed download that needs no console.

The console link works for anyone with access to the bucket. The pre-signed link opens the HTML directly
(an inbox, a chat tool, a phone) and expires: ``REPORT_LINK_EXPIRY_SECONDS`` (0 or unset: no pre-signed
link). It is signed with the Lambda's role, so it works only when that role may ``s3:GetObject`` the
report, and stops working when the role's session credentials expire, whichever comes first.
"""

from __future__ import annotations

import logging
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError

from drift_retrain.env import env_value

__all__ = [
    "EXPIRY_VARIABLE",
    "MAX_EXPIRY_SECONDS",
    "ReportLinks",
    "execution_url",
    "html_key",
    "link_expiry",
    "page_href",
    "report_links",
    "s3_console_url",
]

logger = logging.getLogger(__name__)

EXPIRY_VARIABLE = "REPORT_LINK_EXPIRY_SECONDS"
#: SigV4 pre-signed URLs live at most 7 days.
MAX_EXPIRY_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class ReportLinks:
    """The console page of a report and, when enabled, a pre-signed URL with its lifetime."""

    console: str | None
    presigned: str | None = None
    expires_seconds: int = 0

    def lines(self, label: str) -> list[str]:
        """``label: console URL`` and the download line, for a plain-text message."""
        lines = [f"{label}: {self.console}"] if self.console else []
        if self.presigned:
            lines.append(f"{label}, direct link (valid {_hours(self.expires_seconds)}): {self.presigned}")
        return lines


def _hours(seconds: int) -> str:
    return f"{seconds // 3600} h" if seconds >= 3600 and seconds % 3600 == 0 else f"{seconds // 60} min"


def html_key(json_key: str) -> str:
    """``reports/drift/<id>.json`` -> ``reports/drift/<id>.html``: the page sits next to its JSON."""
    return (json_key[: -len(".json")] if json_key.endswith(".json") else json_key) + ".html"


def page_href(from_key: str, to_key: str) -> str:
    """The relative link from one report's page to another's (both given by their bucket keys, JSON or
    HTML): it resolves the same in the bucket and in a local run's copy of ``reports/``, wherever that
    folder is moved, so the pages never name a bucket, a console or a host."""
    target = html_key(to_key)
    return quote(posixpath.relpath(target, posixpath.dirname(html_key(from_key)) or "."))


def s3_console_url(bucket: str | None, key: str | None, region: str | None) -> str | None:
    """The S3 console's page for one object (a person signs in, then opens or downloads it)."""
    if not bucket or not key:
        return None
    suffix = f"region={region}&" if region else ""
    return f"https://s3.console.aws.amazon.com/s3/object/{bucket}?{suffix}prefix={quote(key)}"


def execution_url(execution_arn: str | None, region: str | None) -> str | None:
    """The Step Functions console's page for one execution."""
    if not execution_arn or not region:
        return None
    return f"https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{execution_arn}"


def link_expiry(environ: Mapping[str, str]) -> int:
    """Seconds a pre-signed report link lives (0: none), capped at 7 days."""
    return max(0, min(env_value(environ, EXPIRY_VARIABLE, 0, int), MAX_EXPIRY_SECONDS))


def report_links(s3: Any, bucket: str | None, key: str | None, *, expiry: int = 0) -> ReportLinks:
    """Links to ``s3://bucket/key``; the region comes from the client. Signing is local (no AWS call);
    a signing failure drops only the pre-signed link."""
    region = getattr(getattr(s3, "meta", None), "region_name", None)
    console = s3_console_url(bucket, key, region)
    if not expiry or s3 is None or not bucket or not key:
        return ReportLinks(console)
    try:
        url = s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=int(expiry)
        )
    except (BotoCoreError, ClientError):
        logger.exception("Could not pre-sign the report link", extra={"key": key})
        return ReportLinks(console)
    return ReportLinks(console, url, int(expiry))
