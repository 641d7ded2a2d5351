"""AWS API faults on the wire: S3 500s and SlowDown, SageMaker throttling, answered before a request leaves.

A :class:`ApiFaultInjector` answers botocore's public ``before-send`` event (the hook the in-process
Lambda runtime uses too) for every client of the session it is installed on: the Lambdas' clients and
the clients of moto's Step Functions interpreter. An armed switch matches an operation (``s3``,
``GetObject``), optionally an object key prefix, and fires a bounded number of times; the request then
gets AWS's error response instead of reaching the embedded AWS. Each attempt of botocore's own retries
goes through ``before-send`` again, so ``times`` decides whether the retries absorb the fault or run
out::

    faults = ApiFaultInjector()
    faults.fail("s3", "GetObject", key_prefix="incoming/", error=S3_SLOW_DOWN, times=2)   # absorbed
    faults.fail("s3", "PutObject", key_prefix="training/", error=S3_INTERNAL_ERROR)        # exhausted
    faults.fail("sagemaker", "CreateTrainingJob", error=THROTTLING, times=1, unretried_only=True)

``unretried_only`` limits a switch to clients that never retry. Step Functions' service integrations are
such clients (moto's interpreter makes them with ``total_max_attempts=1``: on AWS the state's Retry is
the only retry), so the fault reaches the definition's Retry rather than a Lambda's botocore retries.

The local SageMaker's job threads read and write S3 through sessions of their own: SageMaker's own
storage is not faulted here (:mod:`drift_retrain_local.sagemaker.failures` fails the jobs themselves).
"""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from drift_retrain_local.cloud.lambda_http import RawBody

__all__ = [
    "S3_INTERNAL_ERROR",
    "S3_SLOW_DOWN",
    "THROTTLING",
    "ApiError",
    "ApiFault",
    "ApiFaultInjector",
]

_EVENT = "before-send"
_IDS = itertools.count(1)


@dataclass(frozen=True)
class ApiError:
    """An error response as the service sends it: HTTP status, error code, message."""

    status: int
    code: str
    message: str


#: S3's answer to a request rate it cannot take (botocore retries it, with backoff).
S3_SLOW_DOWN = ApiError(503, "SlowDown", "Please reduce your request rate.")
#: S3's transient server error (botocore retries it).
S3_INTERNAL_ERROR = ApiError(500, "InternalError", "We encountered an internal error. Please try again.")
#: The throttling error of JSON-protocol services such as SageMaker (not in SageMaker's API model).
THROTTLING = ApiError(400, "ThrottlingException", "Rate exceeded")


@dataclass
class ApiFault:
    """One armed switch; ``fired`` counts the requests it answered."""

    service: str
    operation: str
    key_prefix: str | None
    error: ApiError
    remaining: int | None  # None: every matching request
    unretried_only: bool
    fired: int = 0

    def matches(self, service: str, operation: str, key: str | None, unretried: bool) -> bool:
        if (service, operation) != (self.service, self.operation):
            return False
        if self.unretried_only and not unretried:
            return False
        if self.key_prefix is not None and not (key or "").startswith(self.key_prefix):
            return False
        return self.remaining is None or self.remaining > 0


class ApiFaultInjector:
    """Named API fault switches, safe to use from the threads of Lambdas and executions."""

    def __init__(self) -> None:
        self._faults: list[ApiFault] = []
        self._lock = threading.Lock()
        self._unique_id = f"drift-retrain-local-api-faults-{next(_IDS)}"
        self._emitters: list[Any] = []

    # --- arming ---------------------------------------------------------------------------------------
    def fail(
        self,
        service: str,
        operation: str,
        *,
        error: ApiError,
        key_prefix: str | None = None,
        times: int | None = None,
        unretried_only: bool = False,
    ) -> ApiFault:
        """Answer ``operation`` of ``service`` (botocore's service id and operation name) with ``error``,
        ``times`` times (``None``: every time), only for object keys under ``key_prefix`` when given."""
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every matching request)")
        fault = ApiFault(service, operation, key_prefix, error, times, unretried_only)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        """Disarm every switch."""
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> list[ApiFault]:
        with self._lock:
            return list(self._faults)

    # --- botocore hook --------------------------------------------------------------------------------
    def install(self, session: Any) -> None:
        """Answer the requests of every client created from ``session`` from now on (register before
        creating clients: a botocore client copies the session's handlers when it is created)."""
        events = session.events if hasattr(session, "events") else session.get_component("event_emitter")
        events.register(_EVENT, self._on_send, unique_id=self._unique_id)
        self._emitters.append(events)

    def uninstall(self) -> None:
        for events in self._emitters:
            events.unregister(_EVENT, unique_id=self._unique_id)
        self._emitters.clear()

    def _on_send(self, request: Any, event_name: str = "", **_: Any) -> AWSResponse | None:
        _, _, rest = event_name.partition(".")
        service, _, operation = rest.partition(".")
        key = _object_key(request.url) if service == "s3" else None
        unretried = _never_retries(getattr(request, "context", None) or {})
        with self._lock:
            for fault in self._faults:
                if fault.matches(service, operation, key, unretried):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    fault.fired += 1
                    return _error_response(request.url, service, fault.error)
        return None


def _object_key(url: str) -> str | None:
    """The object key of a path-style S3 URL (the embedded AWS is addressed by IP or localhost)."""
    parts = urlsplit(url)
    path = unquote(parts.path).lstrip("/")
    hostname = parts.hostname or ""
    if hostname == "localhost" or hostname.replace(".", "").isdigit():
        _, _, key = path.partition("/")
        return key or None
    return path or None  # virtual-hosted style: the bucket is in the host name


def _never_retries(context: dict[str, Any]) -> bool:
    """The request's client makes one attempt only (``total_max_attempts=1``)."""
    config = context.get("client_config")
    retries = getattr(config, "retries", None) or {}
    return retries.get("total_max_attempts") == 1 or retries.get("max_attempts") == 0


def _error_response(url: str, service: str, error: ApiError) -> AWSResponse:
    request_id = uuid.uuid4().hex[:16].upper()
    headers = HTTPHeaders()
    if service == "s3":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{error.code}</Code><Message>{error.message}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        ).encode()
        headers["Content-Type"] = "application/xml"
        headers["x-amz-request-id"] = request_id
    else:
        body = json.dumps({"__type": error.code, "message": error.message}).encode()
        headers["Content-Type"] = "application/x-amz-json-1.1"
        headers["x-amzn-ErrorType"] = error.code
        headers["x-amzn-RequestId"] = request_id
    headers["Content-Length"] = str(len(body))
    return AWSResponse(url, error.status, headers, RawBody(body))
