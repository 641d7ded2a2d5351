"""One function of the template as the local stack runs it: what :mod:`.template` resolves and
:mod:`drift_retrain_local.cloud.lambdas` runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["FunctionSpec"]


@dataclass(frozen=True)
class FunctionSpec:
    """One ``AWS::Serverless::Function`` as the local stack runs it (everything resolved)."""

    logical_id: str
    name: str
    arn: str
    handler: str
    code_dir: Path
    runtime: str
    memory_mb: int
    timeout_s: int
    environment: dict[str, str]
    layers: tuple[str, ...]
    layer_dirs: tuple[Path, ...]
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: ``EventInvokeConfig`` (asynchronous retries and destinations), as the template sets it.
    event_invoke: dict[str, Any] = field(default_factory=dict)
