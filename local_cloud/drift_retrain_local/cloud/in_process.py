"""Clients in this process reach the embedded AWS without a socket.

moto's server is a WSGI application behind werkzeug's development server, which answers each request on a
new connection and a new thread. A client in this process (ours, the Lambda handlers', moto's own Step
Functions tasks) would write every request to a loopback socket, wait for that thread to parse it, and
parse the answer back. Here botocore's HTTP session hands the request to the same application on the
caller's thread instead, with the WSGI environ the server would have built (werkzeug's ``make_environ``,
with moto's handler keeping S3 metadata headers' underscores), and returns what the application answers.
So routing, headers, bodies and errors are what they are over the socket. Clients in other processes
(``sam local invoke``'s containers, a user's AWS CLI against ``local serve``) still use the socket.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterable
from io import BytesIO
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HeadersDict
from botocore.httpsession import URLLib3Session
from moto.core.botocore_stubber import MockRawResponse
from moto.core.request import (
    PRESERVED_HEADER_NAMES_ENVIRON_KEY,
    environ_key_for_header,
    should_preserve_original_header_name,
)
from werkzeug.exceptions import InternalServerError

__all__ = ["InProcessTransport"]

_log = logging.getLogger(__name__)
_LOOPBACK = ("127.0.0.1", "localhost")
_lock = threading.Lock()
#: botocore's own ``send``, taken before anything here replaces it.
_urllib3_send = URLLib3Session.send
#: The transport installed now (one embedded AWS per process), read without a lock on every request.
_installed: InProcessTransport | None = None


def _latin1(text: str) -> str:
    """WSGI's "bytes as latin-1" strings, as werkzeug's server makes them from the request line."""
    return text.encode("utf-8").decode("latin-1")


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _body(request: AWSPreparedRequest) -> bytes:
    """The bytes the client would have written: a file's remaining bytes, a generator's chunks joined."""
    body = request.body
    if body is None:
        return b""
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else data
    return b"".join(chunk.encode("utf-8") if isinstance(chunk, str) else chunk for chunk in body)


def _environ(
    request: AWSPreparedRequest, url: SplitResult, body: bytes, server: tuple[str, int]
) -> dict[str, Any]:
    """werkzeug's ``WSGIRequestHandler.make_environ`` (with moto's ``MotoRequestHandler``) for this
    request to ``url``, as urllib3 would have sent it (a ``Host`` and ``Accept-Encoding: identity``
    added)."""
    target = url.path or "/"
    if url.query:
        target = f"{target}?{url.query}"
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": _latin1(unquote(url.path or "/")),
        "QUERY_STRING": _latin1(url.query),
        "REQUEST_URI": _latin1(target),
        "RAW_URI": _latin1(target),
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": 0,
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    headers = [(_text(name), _text(value)) for name, value in request.headers.items()]
    present = {name.lower() for name, _ in headers}
    if "host" not in present:
        headers.insert(0, ("Host", url.netloc))
    if "accept-encoding" not in present:
        headers.append(("Accept-Encoding", "identity"))
    chunked = "chunked" in {
        part.strip().lower()
        for name, value in headers
        if name.lower() == "transfer-encoding"
        for part in value.split(",")
    }
    if body and not chunked and "content-length" not in present:
        headers.append(("Content-Length", str(len(body))))
    for name, value in headers:
        if "_" in name:  # werkzeug's server drops these
            continue
        key, value = environ_key_for_header(name), value.replace("\r\n", "")
        if key.startswith("HTTP_") and key in environ:
            value = f"{environ[key]},{value}"
        environ[key] = value
    # moto's handler: S3 metadata names keep their underscores, never standing in for a dashed header.
    dashed = {environ_key_for_header(name) for name, _ in headers if "_" not in name}
    names: dict[str, str] = {}
    values: dict[str, list[str]] = {}
    for name, value in headers:
        key = environ_key_for_header(name)
        if should_preserve_original_header_name(name) and key not in dashed:
            names.setdefault(key, name)
            values.setdefault(key, []).append(value.replace("\r\n", ""))
    for key, key_values in values.items():
        environ[key] = ",".join(key_values)
    environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = names
    if chunked:
        environ["wsgi.input_terminated"] = True  # the server would have de-chunked the body
    return environ


class InProcessTransport:
    """Answer requests to ``server`` (``(host, port)`` of the embedded AWS) from ``app``, in this
    process, while installed (at most one at a time, as there is one embedded AWS per process)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], server: tuple[str, int]) -> None:
        self.app = app
        self.server = server

    def serves(self, url: SplitResult) -> bool:
        return url.scheme == "http" and url.hostname in _LOOPBACK and url.port == self.server[1]

    def answer(self, request: AWSPreparedRequest, url: SplitResult) -> AWSResponse:
        """The application's answer, as werkzeug's server would send it (a crash is a 500, logged)."""
        body = _body(request)
        environ = _environ(request, url, body, self.server)
        try:
            status, headers, content = self._run(self.app, environ)
        except Exception:
            _log.exception("Error on request %s %s", request.method, request.url)
            status, headers, content = self._run(InternalServerError(), environ)
        if request.method == "HEAD":
            content = b""
        code = int(status.split(None, 1)[0])
        return AWSResponse(request.url, code, HeadersDict(headers), MockRawResponse(content))

    @staticmethod
    def _run(app: Callable[..., Iterable[bytes]], environ: dict[str, Any]) -> tuple[str, list, bytes]:
        started: list[Any] = []
        written: list[bytes] = []

        def start_response(status: str, headers: list, exc_info: Any = None) -> Callable[[bytes], None]:
            started[:] = [status, headers]
            return written.append

        result = app(environ, start_response)
        try:
            written.extend(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        return started[0], started[1], b"".join(written)

    # ----------------------------------------------------------------------------------- install
    def install(self) -> None:
        global _installed
        with _lock:
            if _installed is not None:
                raise RuntimeError("an in-process transport is already installed")
            _installed = self
            URLLib3Session.send = _send  # type: ignore[method-assign]

    def uninstall(self) -> None:
        global _installed
        with _lock:
            if _installed is self:
                _installed = None
                URLLib3Session.send = _urllib3_send  # type: ignore[method-assign]


def _send(session: URLLib3Session, request: AWSPreparedRequest) -> AWSResponse:
    """botocore's ``URLLib3Session.send``, except for a request to the installed embedded AWS."""
    transport = _installed
    if transport is not None:
        url = urlsplit(request.url)
        if transport.serves(url):
            return transport.answer(request, url)
    return _urllib3_send(session, request)
