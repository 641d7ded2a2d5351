"""The boto3 clients a Lambda uses: created on first use, never at import, and reused while warm.

Every handler holds one module-level :class:`LazyClients` and passes its clients to the layer, which never
creates one itself. A test or the local cloud replaces the object, or gives it a ``factory``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["LazyClients"]


def _default_client(service: str) -> Any:
    """A boto3 client; S3's signs with SigV4, so its pre-signed report links work in every region."""
    import boto3
    from botocore.config import Config

    return boto3.client(service, config=Config(signature_version="s3v4") if service == "s3" else None)


class LazyClients:
    """boto3 clients created on first use (never at import), shared across warm invocations.

    Parameters
    ----------
    factory : callable, optional
        ``factory(service_name)`` returns a client; default ``boto3.client`` (S3 with SigV4).
    """

    def __init__(self, factory: Callable[[str], Any] | None = None) -> None:
        self._factory = factory
        self._clients: dict[str, Any] = {}

    def _get(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = (self._factory or _default_client)(service)
        return self._clients[service]

    @property
    def s3(self) -> Any:
        return self._get("s3")

    @property
    def stepfunctions(self) -> Any:
        return self._get("stepfunctions")

    @property
    def sns(self) -> Any:
        return self._get("sns")

    @property
    def sagemaker_runtime(self) -> Any:
        return self._get("sagemaker-runtime")

    @property
    def sagemaker(self) -> Any:
        return self._get("sagemaker")

    @property
    def iam(self) -> Any:
        return self._get("iam")
