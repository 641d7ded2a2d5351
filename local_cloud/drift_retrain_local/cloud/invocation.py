"""What Lambda's Invoke API returns, as the in-process runtime answers it and its callers read it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["InvocationResult"]


@dataclass(frozen=True)
class InvocationResult:
    """What Lambda's Invoke API returns: the payload bytes and, on an error, ``FunctionError``."""

    function: str
    request_id: str
    payload: bytes
    function_error: str | None = None
    duration_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.function_error is None

    def json(self) -> Any:
        return json.loads(self.payload) if self.payload else None
