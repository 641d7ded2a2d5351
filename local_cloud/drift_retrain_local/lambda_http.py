"""The HTTP responses the in-process Lambda runtime hands botocore for an Invoke (what the Lambda
service would answer on the wire), so clients parse them exactly as they parse AWS's."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

__all__ = ["RawBody", "client_error", "response"]


class RawBody:
    """The file-like ``raw`` body botocore reads an ``AWSResponse`` from (streaming Payload included)."""

    def __init__(self, body: bytes) -> None:
        self._body = body
        self._offset = 0

    def read(self, amt: int | None = None) -> bytes:
        end = len(self._body) if amt is None else self._offset + amt
        chunk = self._body[self._offset : end]
        self._offset += len(chunk)
        return chunk

    def stream(self, amt: int = 1024, **_: Any) -> Iterator[bytes]:
        while chunk := self.read(amt):
            yield chunk

    def close(self) -> None:
        self._offset = len(self._body)


def response(url: str, status: int, body: bytes, extra_headers: Mapping[str, str]) -> AWSResponse:
    headers = HTTPHeaders()
    headers["Content-Type"] = "application/json"
    headers["Content-Length"] = str(len(body))
    headers["X-Amz-Executed-Version"] = "$LATEST"
    for key, value in extra_headers.items():
        headers[key] = value
    return AWSResponse(url, status, headers, RawBody(body))


def client_error(url: str, code: str, message: str) -> AWSResponse:
    body = json.dumps({"Type": "User", "message": message}).encode()
    return response(url, 400, body, {"x-amzn-ErrorType": code})
