"""The HTTP responses the in-process Lambda runtime hands botocore for an Invoke (what the Lambda
service would answer on the wire), so clients parse them exactly as they parse AWS's, and the error
payloads Lambda writes for a handler's exception, a timeout and an out-of-memory kill."""

from __future__ import annotations

import json
import traceback
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from drift_retrain_local.stack.template import FunctionSpec

__all__ = [
    "RawBody",
    "client_error",
    "error_payload",
    "killed_payload",
    "marshal",
    "response",
    "timeout_payload",
]


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


def error_payload(error: BaseException, request_id: str) -> dict[str, Any]:
    """Lambda's Python runtime error payload for an exception raised by a handler."""
    frames = traceback.extract_tb(error.__traceback__)
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


def marshal(result: Any) -> bytes:
    try:
        return json.dumps(result).encode()
    except (TypeError, ValueError) as error:
        return json.dumps(
            {"errorMessage": f"Unable to marshal response: {error}", "errorType": "Runtime.MarshalError"}
        ).encode()


def timeout_payload(function: FunctionSpec, request_id: str) -> bytes:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps(
        {
            "errorMessage": f"{now} {request_id} Task timed out after {function.timeout_s:.2f} seconds",
            "errorType": "Sandbox.Timedout",
        }
    ).encode()


def killed_payload(request_id: str) -> bytes:
    """What Lambda reports when the runtime is killed for using more than its memory."""
    message = f"RequestId: {request_id} Error: Runtime exited with error: signal: killed"
    return json.dumps({"errorMessage": message, "errorType": "Runtime.ExitError"}).encode()
