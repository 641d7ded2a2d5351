"""SNS deliveries signed with one key per process instead of a new key for every subscription.

moto 5.2.5 makes a 2,048-bit RSA key for each subscription the first time it delivers a message
(``Subscription.private_key``, cached per subscription). That costs about a tenth of a second of CPU,
which every local run paid, and every test that subscribes a queue. This module makes the key once per
process and gives it to every subscription. Messages are still signed as moto signs them (SignatureVersion
2, with the certificate moto keeps for the SigningCertURL); only the key is shared. No local key could
match AWS's certificates anyway.

``check()`` fails loudly (``MotoHookMovedError``) if the pinned moto no longer signs with that method.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.seams.lookup import attribute, source

__all__ = ["check", "install", "signing_key", "uninstall"]

_lock = threading.Lock()
#: moto's own ``Subscription.private_key`` while the seam is installed.
_original: Any = None


def _subscription_class() -> Any:
    return attribute("moto.sns.models", "Subscription")


def check() -> None:
    """Verify that moto still signs each delivery with ``self.private_key()``."""
    attribute("moto.sns.models", "Subscription", "private_key")
    if "self.private_key()" not in source(attribute("moto.sns.models", "Subscription", "get_post_data")):
        raise MotoHookMovedError("moto's SNS Subscription no longer signs with private_key()")


@functools.cache
def signing_key() -> Any:
    """The process's signing key, made on first use."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _shared_key(self: Any) -> Any:
    return signing_key()


def install() -> None:
    global _original
    with _lock:
        check()
        if _original is None:
            subscription = _subscription_class()
            _original = subscription.private_key
            subscription.private_key = _shared_key


def uninstall() -> None:
    global _original
    with _lock:
        if _original is not None:
            _subscription_class().private_key = _original
            _original = None
