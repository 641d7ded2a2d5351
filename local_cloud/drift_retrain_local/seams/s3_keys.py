"""S3's key-length limit, which moto 5.2.5 does not enforce.

S3 refuses a key longer than 1,024 bytes of UTF-8 with ``400 KeyTooLongError`` ("Your key is too long").
moto stores any key, so a derived key that S3 would refuse (a quarantine copy of a key near the limit)
worked locally and failed on AWS. This module wraps moto's ``S3Backend.put_object``, ``copy_object`` and
``create_multipart_upload`` (the paths PutObject, CopyObject and a multipart upload or copy take) so
that they raise the same error first. Nothing else changes.

``check()`` fails loudly (``MotoHookMovedError``) if the pinned moto no longer has these methods.
"""

from __future__ import annotations

import functools
import inspect
import threading
from typing import Any

from drift_retrain.layout import MAX_KEY_BYTES
from drift_retrain_local.exceptions import MotoHookMovedError

__all__ = ["KEY_TOO_LONG", "check", "install", "uninstall"]

KEY_TOO_LONG = "KeyTooLongError"
#: Each wrapped backend method and the name of its destination-key argument.
_METHODS = {"put_object": "key_name", "copy_object": "dest_key_name", "create_multipart_upload": "key_name"}
_lock = threading.Lock()
_originals: dict[str, Any] = {}


def _backend_class():
    try:
        from moto.s3.exceptions import S3ClientError
        from moto.s3.models import S3Backend
    except ImportError as error:  # pragma: no cover - only when moto moves
        raise MotoHookMovedError(f"moto's S3 backend moved: {error}") from error
    return S3Backend, S3ClientError


def check() -> None:
    """Verify that each wrapped method exists and names its key argument as expected."""
    backend, _ = _backend_class()
    for method, argument in _METHODS.items():
        target = _originals.get(method) or getattr(backend, method, None)
        if target is None or argument not in inspect.signature(target).parameters:
            raise MotoHookMovedError(f"moto's S3Backend.{method} has no {argument!r} argument")


def _too_long(error_class: type) -> Exception:
    return error_class(KEY_TOO_LONG, "Your key is too long")


def _limited(original: Any, argument: str, error_class: type) -> Any:
    signature = inspect.signature(original)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        key = signature.bind_partial(*args, **kwargs).arguments.get(argument)
        if isinstance(key, str) and len(key.encode("utf-8")) > MAX_KEY_BYTES:
            raise _too_long(error_class)
        return original(*args, **kwargs)

    return wrapper


def install() -> None:
    with _lock:
        check()
        backend, error_class = _backend_class()
        for method, argument in _METHODS.items():
            if method not in _originals:
                _originals[method] = getattr(backend, method)
                setattr(backend, method, _limited(_originals[method], argument, error_class))


def uninstall() -> None:
    with _lock:
        backend, _ = _backend_class()
        for method, original in _originals.items():
            setattr(backend, method, original)
        _originals.clear()
