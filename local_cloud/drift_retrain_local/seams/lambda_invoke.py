"""Lambda Invoke over HTTP, answered by the in-process runtime (moto 5.2.5, pinned).

Clients in the local cloud's own process never reach moto for an Invoke: the runtime answers them
through botocore's ``before-send`` event (:mod:`drift_retrain_local.cloud.lambdas`). A client in another
process (``drift-retrain redrive`` or ``repair`` against ``drift-retrain local serve``) sends a real HTTP
request, and moto without Docker only echoes it. This seam wraps ``LambdaBackend.invoke`` (what moto's
``LambdaResponse.invoke`` calls with the function name, qualifier, body and headers) so the stack's
functions run for real there too; any other function is left to moto.

``check()`` fails loudly (``MotoHookMovedError``) if the pinned moto no longer has this shape.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.seams.lookup import source

if TYPE_CHECKING:
    from drift_retrain_local.cloud.lambdas import LambdaRuntime

__all__ = ["check", "install", "uninstall"]

_lock = threading.Lock()
_original: Callable[..., Any] | None = None
_runtime: LambdaRuntime | None = None


def _backend_class() -> type:
    try:
        from moto.awslambda.models import LambdaBackend
    except ImportError as error:  # pragma: no cover - only when moto moves
        raise MotoHookMovedError(
            f"moto.awslambda.models.LambdaBackend cannot be imported: {error}"
        ) from error
    return LambdaBackend


def check() -> None:
    """Verify ``LambdaBackend.invoke`` and its caller are as moto 5.2.5 has them."""
    method = getattr(_backend_class(), "invoke", None)
    if method is None:
        raise MotoHookMovedError("moto.awslambda.models.LambdaBackend.invoke is gone")
    parameters = list(inspect.signature(method).parameters)
    if parameters != ["self", "function_name", "qualifier", "body", "headers", "response_headers"]:
        raise MotoHookMovedError(f"LambdaBackend.invoke has a new signature: {parameters}")
    from moto.awslambda.responses import LambdaResponse

    if "self.backend.invoke(" not in source(LambdaResponse.invoke):
        raise MotoHookMovedError("moto's LambdaResponse.invoke no longer calls LambdaBackend.invoke")


def _invoke(
    self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
) -> Any:
    runtime = _runtime
    if runtime is None or runtime.resolve(function_name) is None or qualifier not in (None, "$LATEST"):
        assert _original is not None
        return _original(self, function_name, qualifier, body, headers, response_headers)
    payload = body if isinstance(body, bytes) else str(body or "").encode()
    if (headers.get("X-Amz-Invocation-Type") or "RequestResponse") == "Event":
        runtime.invoke_async(function_name, payload)
        return b""
    result = runtime.invoke(function_name, payload)
    if result.function_error:
        response_headers["x-amz-function-error"] = result.function_error
    return result.payload


def install(runtime: LambdaRuntime) -> None:
    """Answer HTTP Invokes of ``runtime``'s functions with ``runtime`` (one runtime per process)."""
    global _original, _runtime
    check()
    backend = _backend_class()
    with _lock:
        if _original is not None:
            raise RuntimeError("another local cloud already answers Lambda Invoke over HTTP")
        _original = backend.invoke
        _runtime = runtime
        backend.invoke = _invoke


def uninstall() -> None:
    global _original, _runtime
    with _lock:
        if _original is not None:
            _backend_class().invoke = _original
        _original = None
        _runtime = None
