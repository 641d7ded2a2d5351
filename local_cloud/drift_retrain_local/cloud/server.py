"""The embedded AWS: moto's server in this process, with Step Functions execution on.

Every boto3 client made while it runs (ours, the Lambda handlers', moto's own ASL interpreter's) reaches it
through the standard environment: ``AWS_ENDPOINT_URL``, dummy credentials and a region. Leaving the context
restores the environment and boto3's default session, resets moto's state and stops the server.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import socket
import threading
import urllib.request
from types import TracebackType
from typing import Any

import boto3
import botocore.session
from botocore.loaders import Loader, create_loader
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.server import ThreadedMotoServer

from drift_retrain_local.cloud.in_process import InProcessTransport
from drift_retrain_local.stack.template import DEFAULT_ACCOUNT_ID, DEFAULT_REGION

__all__ = ["EmbeddedAws", "shared_loader"]

_werkzeug_logger = logging.getLogger("werkzeug")
_running: list[EmbeddedAws] = []
_running_lock = threading.Lock()
#: Guards the shared loader's search path while a session is made and the path tidied.
_loader_lock = threading.Lock()


class _RememberingDispatcher(DomainDispatcherApplication):
    """moto's dispatcher, remembering which backend serves each host.

    moto finds a host's backend by listing its package folder (a ``stat`` per service) and then matching
    a few hundred URL patterns, on every request and under one lock. The answer depends on the host
    alone, so it is worked out once per host.
    """

    def __init__(self, create_app: Any) -> None:
        super().__init__(create_app)
        self._backends: dict[str | None, Any] = {}

    def get_backend_for_host(self, host: str | None) -> Any:
        try:
            return self._backends[host]
        except KeyError:
            backend = self._backends[host] = super().get_backend_for_host(host)
            return backend


def _stop_promptly(server: ThreadedMotoServer) -> None:
    """moto's ``stop``, without waiting for the server loop's next poll.

    ``socketserver`` looks for a shutdown request between waits of up to half a second on its socket, so
    every stop took 0.5 s of idle time (a test module's teardown, a local run's end). A connection ends
    that wait at once; one that lands before the request is seen is an empty request, answered and closed.
    """
    host, port = server.get_host_and_port()
    host = "127.0.0.1" if host in ("0.0.0.0", "") else host  # listening on every interface (local serve)
    stopping = threading.Thread(target=server.stop, name="moto-server-stop")
    stopping.start()
    while stopping.is_alive():
        with contextlib.suppress(OSError):  # refused once the loop has ended and closed the socket
            socket.create_connection((host, port), timeout=0.1).close()
        stopping.join(0.01)


@functools.cache
def shared_loader(search_path_string: str | None = None) -> Loader:
    """botocore's ``create_loader``, once per search path for the whole process.

    A new botocore session reads and parses the JSON model of every service it makes a client for
    (SageMaker's alone is megabytes): about 0.1 s per service per session. The models are botocore's
    installed data and never change in a process, so sessions share one loader and its cache: each run's
    fresh default session here, and (``tests/conftest.py``) each test's ``mock_aws`` session.
    """
    return create_loader(search_path_string)


def _fresh_session() -> boto3.Session:
    """A new default-session-to-be, reading service models through :func:`shared_loader`."""
    loader = shared_loader(os.environ.get("AWS_DATA_PATH"))
    core = botocore.session.Session()
    core.register_component("data_loader", loader)
    with _loader_lock:
        session = boto3.Session(botocore_session=core)
        # boto3 adds its resource folder to the loader's search path once per session: keep it once.
        loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))
    return session


@functools.cache
def _moto_application() -> DomainDispatcherApplication:
    """The WSGI application moto's server runs, one per process: it builds each service's routes on
    first use, and moto's backends (what the routes serve) are process-wide anyway."""
    return _RememberingDispatcher(create_backend_app)


#: Variables that could send a client elsewhere than the embedded AWS (or to a real profile).
_CLEARED_PREFIXES = ("AWS_ENDPOINT_URL_",)
_CLEARED = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_ROLE_ARN")


class EmbeddedAws:
    """moto's ThreadedMotoServer on a free loopback port, as a context manager.

    Parameters
    ----------
    region : str
        Region of every client (``AWS_REGION`` / ``AWS_DEFAULT_REGION``).
    execute_state_machines : bool
        Turn on moto's ASL interpreter (``stepfunctions.execute_state_machine``), so executions really run.
    host, port : str, int
        Where the server listens (default: a free loopback port; ``local serve`` listens on every interface).
    in_process : bool
        Clients in this process reach the server's application without a socket (the default;
        :mod:`.in_process`). Other processes always use the socket.

    Examples
    --------
    >>> with EmbeddedAws() as aws:                      # doctest: +SKIP
    ...     boto3.client("s3").list_buckets()
    """

    def __init__(
        self,
        region: str = DEFAULT_REGION,
        *,
        execute_state_machines: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        in_process: bool = True,
    ) -> None:
        self.region = region
        self.in_process = in_process
        self.host = host
        self.port = port
        self.account_id = DEFAULT_ACCOUNT_ID
        self.execute_state_machines = execute_state_machines
        self._server: ThreadedMotoServer | None = None
        self._saved_env: dict[str, str | None] = {}
        self._saved_session: boto3.Session | None = None
        self.endpoint_url = ""
        self._transport: InProcessTransport | None = None
        self._werkzeug_level = logging.NOTSET

    # ------------------------------------------------------------------------------------------------ life
    def start(self) -> EmbeddedAws:
        if self._server is not None:
            return self
        with _running_lock:
            if _running:
                raise RuntimeError(
                    "an embedded AWS is already running in this process (moto's backends are process-wide)"
                )
            _running.append(self)
        self._werkzeug_level = _werkzeug_logger.level
        _werkzeug_logger.setLevel(logging.WARNING)  # no access log line per request
        server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        try:
            server.start()
        except BaseException:
            with _running_lock:
                _running.remove(self)
            _werkzeug_logger.setLevel(self._werkzeug_level)
            raise
        self._server = server
        host, port = server.get_host_and_port()
        # Listening on every interface (``local serve``), this process still calls in over loopback.
        self.endpoint_url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"
        try:
            if self.in_process:
                self._transport = InProcessTransport(_moto_application(), (host, port))
                self._transport.install()
            self._apply_environment(port)
            self._moto_api("reset")
            self._moto_api(
                "config", {"stepfunctions": {"execute_state_machine": self.execute_state_machines}}
            )
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        try:
            self._moto_api("config", {"stepfunctions": {"execute_state_machine": False}})
            self._moto_api("reset")
        finally:
            if self._transport is not None:
                self._transport.uninstall()
                self._transport = None
            self._restore_environment()
            _stop_promptly(self._server)
            self._server = None
            _werkzeug_logger.setLevel(self._werkzeug_level)
            with _running_lock:
                _running.remove(self)

    def __enter__(self) -> EmbeddedAws:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # ------------------------------------------------------------------------------------------- clients
    @property
    def session(self) -> boto3.Session:
        """boto3's default session while the server runs (moto's interpreter makes its clients from it)."""
        if boto3.DEFAULT_SESSION is None:
            boto3.DEFAULT_SESSION = _fresh_session()
        return boto3.DEFAULT_SESSION  # type: ignore[return-value]

    def client(self, service: str, **kwargs: Any) -> Any:
        """A client of the embedded AWS (from the default session, so the Lambda hook applies)."""
        return self.session.client(service, **kwargs)

    # ----------------------------------------------------------------------------------------- internals
    def _apply_environment(self, port: int) -> None:
        wanted: dict[str, str | None] = {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            # No shared config or credentials file can point a client elsewhere.
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            # moto's ASL interpreter sends its service calls to localhost:$MOTO_PORT.
            "MOTO_PORT": str(port),
            # A proxy from the environment must not intercept loopback calls.
            "NO_PROXY": ",".join(filter(None, [os.environ.get("NO_PROXY"), "127.0.0.1,localhost"])),
        }
        for name in list(os.environ):
            if name.startswith(_CLEARED_PREFIXES) or name in _CLEARED:
                wanted[name] = None
        for name, value in wanted.items():
            self._saved_env.setdefault(name, os.environ.get(name))
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        # A fresh default session: credentials and region resolved from the variables above.
        self._saved_session = boto3.DEFAULT_SESSION
        boto3.DEFAULT_SESSION = _fresh_session()

    def _restore_environment(self) -> None:
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()
        boto3.DEFAULT_SESSION = self._saved_session
        self._saved_session = None

    def _moto_api(self, action: str, body: dict[str, Any] | None = None) -> None:
        """moto's documented control API (``/moto-api/reset``, ``/moto-api/config``)."""
        request = urllib.request.Request(
            f"{self.endpoint_url}/moto-api/{action}",
            data=json.dumps(body or {}).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
