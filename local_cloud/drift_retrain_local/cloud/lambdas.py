"""Lambda functions run in-process: the REAL handler of each function whenever anything invokes it.

moto's Lambda needs Docker to run code; without it, Invoke only echoes. This runtime answers
``lambda:Invoke`` itself through botocore's public ``before-send.lambda.Invoke`` event, before the request
leaves the client, for every client of the session it is installed on. moto's Step Functions interpreter
makes its Lambda client with ``boto3.client(...)`` (``moto/stepfunctions/parser/asl/utils/boto_client.py``,
``boto_client_for``), i.e. from boto3's default session, so installing on that session reaches the
``arn:aws:states:::lambda:invoke`` tasks as well as our own code.

Each function runs as Lambda would run it:

- its module is imported from its ``CodeUri`` (once per runtime: a warm execution environment), with the
  code directory and the layers' directories importable;
- the template's environment (``Globals`` merged) plus Lambda's own variables are applied for the duration
  of the call; ``os.environ`` is process-wide, so calls are serialised by one lock;
- the context has the function name, ARN, memory, a request id and the remaining time of its Timeout;
- what importing its module set up on the process's loggers (Powertools' ``Logger()`` and
  ``copy_config_to_registered_loggers``, which give the layer's ``drift_retrain`` loggers that function's
  handler, service name and Lambda context) is applied again at each of its invocations: every function shares
  the ``drift_retrain`` loggers here, so without this a line the layer logs for EvaluateCandidate would
  carry the service and function name of whichever function was imported last;
- an exception becomes Lambda's error payload ``{errorMessage, errorType, requestId, stackTrace}`` with the
  ``X-Amz-Function-Error: Unhandled`` header, so a state machine's Catch sees the exception's class name.
"""

from __future__ import annotations

import concurrent.futures
import importlib.util
import itertools
import json
import logging
import os
import re
import sys
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from aws_lambda_powertools.logging.formatter import BasePowertoolsFormatter
from botocore.awsrequest import AWSResponse

from drift_retrain_local.cloud.async_invoke import RETRY_DELAY_S, AsyncSettings, Send, failure_record
from drift_retrain_local.cloud.invocation import InvocationResult
from drift_retrain_local.cloud.lambda_http import client_error as _client_error
from drift_retrain_local.cloud.lambda_http import error_payload, killed_payload, marshal, timeout_payload
from drift_retrain_local.cloud.lambda_http import response as _response
from drift_retrain_local.sagemaker.failures import LAMBDA_OOM, LAMBDA_TIMEOUT, FailureInjector
from drift_retrain_local.stack.template import FunctionSpec

__all__ = ["LambdaContext", "LambdaRuntime", "invoke_with_retries"]

logger = logging.getLogger(__name__)

#: ``os.environ`` and ``sys.path`` are process-wide: one function call at a time changes them.
_PROCESS_LOCK = threading.RLock()
_RUNTIME_IDS = itertools.count(1)
_INVOKE_EVENT = "before-send.lambda.Invoke"


class InjectedLambdaFault(RuntimeError):
    """Raised in place of the handler when a ``lambda`` failure switch fires."""


class LambdaContext:
    """The context object the Python runtime passes to a handler (the attributes handlers and Powertools read)."""

    def __init__(self, function: FunctionSpec, request_id: str, *, client_context: Any = None) -> None:
        self.function_name = function.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = function.arn
        self.memory_limit_in_mb = function.memory_mb
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function.name}"
        now = datetime.now(UTC)
        self.log_stream_name = f"{now:%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
        self.identity = None
        self.client_context = client_context
        self.tenant_id = None
        self._deadline = time.monotonic() + function.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


#: One logger's set-up: its handlers, level and ``propagate``.
_LoggerSetup = tuple[tuple[logging.Handler, ...], int, bool]
#: A logger nobody configured (what a name not yet in the registry gets).
_UNCONFIGURED: _LoggerSetup = ((), logging.NOTSET, True)
#: The handlers the functions' imports installed (each function's own, swapped in at its invocations).
_FUNCTION_HANDLERS: weakref.WeakSet[logging.Handler] = weakref.WeakSet()


@dataclass
class _Loaded:
    module: ModuleType
    handler: Callable[[Any, Any], Any]
    #: The loggers importing the module configured, as it left them (applied during each invocation).
    loggers: dict[str, _LoggerSetup] = field(default_factory=dict)


def _logger_setups() -> dict[str, _LoggerSetup]:
    """Every registered logger's set-up (placeholders have none)."""
    return {
        name: (tuple(logger.handlers), logger.level, logger.propagate)
        for name, logger in list(logging.root.manager.loggerDict.items())
        if isinstance(logger, logging.Logger)
    }


def _is_function_handler(handler: logging.Handler) -> bool:
    """A handler some function's Powertools Logger installed: through this runtime, or by an import of a
    handler module outside it (a test importing ``app.py`` directly) that left it on the layer's loggers."""
    return handler in _FUNCTION_HANDLERS or isinstance(handler.formatter, BasePowertoolsFormatter)


def _apply_setups(setups: dict[str, _LoggerSetup]) -> None:
    """Give each logger its set-up; a handler no function installed (a test's or a run's collector)
    stays where it is."""
    for name, (handlers, level, propagate) in setups.items():
        logger = logging.getLogger(name)
        others = [h for h in logger.handlers if not _is_function_handler(h) and h not in handlers]
        logger.handlers = [*handlers, *others]
        logger.setLevel(level)
        logger.propagate = propagate


@contextmanager
def _function_logging(loaded: _Loaded) -> Iterator[None]:
    """The function's own logging set-up for the duration of one invocation, then what was there."""
    saved = {name: _logger_setups().get(name, _UNCONFIGURED) for name in loaded.loggers}
    _apply_setups(loaded.loggers)
    try:
        yield
    finally:
        _apply_setups(saved)


@dataclass
class _Pending:
    futures: set[concurrent.futures.Future[InvocationResult]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)


class LambdaRuntime:
    """Runs the template's functions in this process.

    Parameters
    ----------
    functions : Iterable[FunctionSpec]
        The functions of the stack (``StackTemplate.functions()``).
    region : str
        ``AWS_REGION`` inside the function.
    max_async_workers : int
        Threads for ``InvocationType=Event`` invocations (they still run one at a time: see the module doc).
    failures : FailureInjector, optional
        Armed ``lambda`` switches make an invocation raise before its handler runs (a crash).
    """

    def __init__(
        self,
        functions: Iterable[FunctionSpec],
        region: str,
        *,
        max_async_workers: int = 2,
        failures: FailureInjector | None = None,
    ) -> None:
        self.functions = {function.name: function for function in functions}
        self.failures = failures
        self.region = region
        #: Sends asynchronous invocation records to destinations (set by the local cloud; None: dropped).
        self.on_failure: Send | None = None
        self.invocations: list[InvocationResult] = []
        self._id = next(_RUNTIME_IDS)
        self._loaded: dict[str, _Loaded] = {}
        self._sessions: list[Any] = []
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=max_async_workers, thread_name_prefix="local-lambda"
        )
        self._pending = _Pending()

    def add(self, functions: Iterable[FunctionSpec]) -> None:
        """Run these functions too (a second stack deployed into the same local cloud)."""
        for function in functions:
            if function.name in self.functions:
                raise ValueError(f"a local function named {function.name!r} already exists")
            self.functions[function.name] = function

    # --------------------------------------------------------------------------------------------- lookup
    def resolve(self, function_name: str) -> FunctionSpec | None:
        """The function for a name, a full or partial ARN, with or without a qualifier."""
        name = function_name
        if ":function:" in name:
            name = name.split(":function:", 1)[1]
        name = name.split(":", 1)[0]
        return self.functions.get(name)

    # -------------------------------------------------------------------------------------------- invoke
    def invoke(
        self,
        function_name: str,
        payload: Any = None,
        *,
        client_context: Any = None,
        request_id: str | None = None,
    ) -> InvocationResult:
        """Run the function's handler synchronously (``InvocationType=RequestResponse``).

        ``payload`` may be bytes/str (JSON text, as on the wire) or any JSON-serialisable value;
        ``request_id`` is kept across the retries of one asynchronous invocation, as on AWS.
        """
        function = self.resolve(function_name)
        if function is None:
            raise KeyError(f"no local function {function_name!r}")
        if isinstance(payload, (bytes, bytearray)):
            event = json.loads(payload or b"{}")
        elif isinstance(payload, str):
            event = json.loads(payload or "{}")
        else:
            event = payload if payload is not None else {}
        request_id = request_id or str(uuid.uuid4())
        started = time.monotonic()
        with _PROCESS_LOCK:
            context = LambdaContext(function, request_id, client_context=client_context)
            try:
                injected = self.failures.check_lambda(function.logical_id) if self.failures else None
                with self._function_environment(function, context):
                    loaded = self._load(function)
                    if injected and injected[0] not in (LAMBDA_TIMEOUT, LAMBDA_OOM):
                        raise InjectedLambdaFault(injected[1])
                    with _function_logging(loaded):
                        result = None if injected else loaded.handler(event, context)
                body = marshal(result)
                error_kind = None
                if injected and injected[0] == LAMBDA_OOM:
                    body, error_kind = killed_payload(request_id), "Unhandled"
                elif (
                    injected and injected[0] == LAMBDA_TIMEOUT
                ) or context.get_remaining_time_in_millis() == 0:
                    body = timeout_payload(function, request_id)
                    error_kind = "Unhandled"
            except Exception as error:
                logger.info("%s raised %s: %s", function.name, type(error).__name__, error)
                body = json.dumps(error_payload(error, request_id)).encode()
                error_kind = "Unhandled"
        outcome = InvocationResult(function.name, request_id, body, error_kind, time.monotonic() - started)
        self.invocations.append(outcome)
        return outcome

    def invoke_async(
        self, function_name: str, payload: Any = None
    ) -> concurrent.futures.Future[InvocationResult]:
        """``InvocationType=Event``: queue the call and return at once; :meth:`wait_idle` waits for it.

        Failed attempts are retried and then recorded on the on-failure destination, as on AWS
        (:mod:`drift_retrain_local.cloud.async_invoke`; records go through :attr:`on_failure`).
        """
        future = self._executor.submit(invoke_with_retries, self, function_name, payload, self.on_failure)
        with self._pending.lock:
            self._pending.futures.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: concurrent.futures.Future[InvocationResult]) -> None:
        with self._pending.lock:
            self._pending.futures.discard(future)

    def busy(self) -> bool:
        """True while an invocation runs (any kind) or an asynchronous one is queued."""
        with self._pending.lock:
            if self._pending.futures:
                return True
        if not _PROCESS_LOCK.acquire(blocking=False):  # every invocation runs under this lock
            return True
        _PROCESS_LOCK.release()
        return False

    def wait_idle(self, timeout: float) -> None:
        """Wait until no asynchronous invocation is queued or running; ``TimeoutError`` after ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            with self._pending.lock:
                pending = set(self._pending.futures)
            if not pending:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"{len(pending)} asynchronous Lambda invocation(s) still running")
            concurrent.futures.wait(pending, timeout=remaining)

    def close(self) -> None:
        self.uninstall()
        self._executor.shutdown(wait=True, cancel_futures=True)

    # --------------------------------------------------------------------------------------- botocore hook
    def install(self, session: Any) -> None:
        """Answer ``lambda:Invoke`` of every client created from ``session`` (boto3 or botocore session).

        Register before creating clients: a botocore client copies the session's handlers when created.
        """
        events = session.events if hasattr(session, "events") else session.get_component("event_emitter")
        events.register(_INVOKE_EVENT, self._on_invoke, unique_id=f"drift-retrain-local-lambda-{self._id}")
        self._sessions.append(events)

    def uninstall(self) -> None:
        for events in self._sessions:
            events.unregister(_INVOKE_EVENT, unique_id=f"drift-retrain-local-lambda-{self._id}")
        self._sessions.clear()

    def _on_invoke(self, request: Any, **_: Any) -> AWSResponse | None:
        parts = urlsplit(request.url)
        # /2015-03-31/functions/{FunctionName}/invocations
        segments = parts.path.split("/")
        if len(segments) < 4 or segments[-1] != "invocations":
            return None
        function_name = unquote(segments[-2])
        if self.resolve(function_name) is None:
            return None  # not ours: moto answers (e.g. ResourceNotFoundException)
        qualifier = parse_qs(parts.query).get("Qualifier", [None])[0]
        if qualifier not in (None, "$LATEST"):
            return None
        headers = {key.lower(): value for key, value in request.headers.items()}
        invocation_type = _text(headers.get("x-amz-invocation-type")) or "RequestResponse"
        body = request.body or b""
        if hasattr(body, "read"):
            body = body.read()
        if isinstance(body, str):
            body = body.encode()
        try:
            json.loads(body or b"{}")
        except ValueError as error:
            return _client_error(
                request.url,
                "InvalidRequestContentException",
                f"Could not parse request body into json: {error}",
            )
        if invocation_type == "DryRun":
            return _response(request.url, 204, b"", {})
        if invocation_type == "Event":
            self.invoke_async(function_name, body)
            return _response(request.url, 202, b"", {})
        result = self.invoke(function_name, body)
        extra = {"X-Amz-Function-Error": result.function_error} if result.function_error else {}
        extra["x-amzn-RequestId"] = result.request_id
        return _response(request.url, 200, result.payload, extra)

    # --------------------------------------------------------------------------------------- environment
    @contextmanager
    def _function_environment(self, function: FunctionSpec, context: LambdaContext) -> Iterator[None]:
        variables = {
            **function.environment,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": context.log_group_name,
            "AWS_LAMBDA_LOG_STREAM_NAME": context.log_stream_name,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
            "LAMBDA_TASK_ROOT": str(function.code_dir),
            "_HANDLER": function.handler,
            # There is no X-Ray daemon locally; Tracer would otherwise try to send segments.
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
        paths = [str(function.code_dir), *(str(path) for path in function.layer_dirs)]
        saved = {name: os.environ.get(name) for name in variables}
        added = [path for path in paths if path not in sys.path]
        os.environ.update(variables)
        sys.path[0:0] = added
        try:
            yield
        finally:
            for path in added:
                sys.path.remove(path)
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def _load(self, function: FunctionSpec) -> _Loaded:
        loaded = self._loaded.get(function.name)
        if loaded is not None:
            return loaded
        module_path, _, attribute = function.handler.rpartition(".")
        source = function.code_dir.joinpath(*module_path.split(".")).with_suffix(".py")
        # A unique module name per runtime and function: every function's module is app.py, a new runtime
        # (a new local cloud) is a cold start whose module-level clients point at the new endpoint, and two
        # stacks' functions of the same logical id are two functions.
        name = f"_drift_retrain_local_fn_{self._id}_{re.sub(r'[^A-Za-z0-9_]', '_', function.name)}"
        spec = importlib.util.spec_from_file_location(name, source)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {function.handler} from {function.code_dir}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        before = _logger_setups()
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        # kept, and applied again at each of its invocations (another function's import changes them)
        changed = {n: setup for n, setup in _logger_setups().items() if setup != before.get(n, _UNCONFIGURED)}
        existing = {h for handlers, _, _ in before.values() for h in handlers}
        _FUNCTION_HANDLERS.update(h for hs, _, _ in changed.values() for h in hs if h not in existing)
        loaded = _Loaded(module, getattr(module, attribute), changed)
        self._loaded[function.name] = loaded
        return loaded


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode()
    return value


def invoke_with_retries(
    runtime: LambdaRuntime, function_name: str, payload: bytes, send: Send | None
) -> InvocationResult:
    """Run one asynchronous invocation to its end: success, or retries exhausted and the record sent.

    Returns the last attempt's result (what a test or the event router waits for).
    """
    function = runtime.resolve(function_name)
    if function is None:
        raise KeyError(f"no local function {function_name!r}")
    settings = AsyncSettings.of(function)
    request_id = str(uuid.uuid4())
    attempts = 0
    while True:
        result = runtime.invoke(function_name, payload, request_id=request_id)
        attempts += 1
        if result.ok or attempts > settings.retry_attempts:
            break
        time.sleep(RETRY_DELAY_S)
    if result.ok:
        return result
    if settings.on_failure is None or send is None:
        logger.warning("%s: asynchronous event dropped after %d attempts", function.name, attempts)
        return result
    event = json.loads(payload or b"{}")
    send(settings.on_failure, failure_record(function, request_id, event, result, attempts))
    return result
