"""Failure injection for the local cloud: make a training job, a transform job, an endpoint update, the
requests one endpoint variant serves, or a Lambda invocation fail on purpose, for tests and demos.

Nothing is global: the local cloud owns one :class:`FailureInjector` and hands it to each job it runs;
a test (or the future ``--inject`` CLI flag) arms switches on it. A switch matches job names with a
shell-style pattern and fires a bounded number of times (``times=None``: every matching job)::

    injector = FailureInjector()
    injector.fail_training()                                  # every training job fails
    injector.fail_transform("*champion*", times=1)            # the next champion transform fails
    injector.fail_training(reason=CAPACITY_ERROR, times=1)    # exercises the capacity retry path
    FailureInjector.from_specs(["training", "transform:*candidate*"])   # the CLI form
    injector.fail_lambda("DetectDriftFunction", how=LAMBDA_TIMEOUT)   # every attempt times out

Switches are checked when a job starts, before it reads any data, and the job then ends ``Failed``
with the switch's reason, exactly like a job that failed on AWS. A ``variant`` switch is checked on every
request the variant serves; its pattern matches ``ENDPOINT/VARIANT`` (:func:`variant_target`).
"""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "CAPACITY_ERROR",
    "ENDPOINT_UPDATE",
    "KINDS",
    "LAMBDA",
    "LAMBDA_FAULTS",
    "LAMBDA_OOM",
    "LAMBDA_TIMEOUT",
    "TRAINING",
    "TRANSFORM",
    "VARIANT",
    "FailureInjector",
    "InjectedFailure",
    "variant_target",
]

TRAINING = "training"
TRANSFORM = "transform"
#: Reserved for the endpoint step: a blue/green update that rolls back.
ENDPOINT_UPDATE = "endpoint-update"
#: A Lambda invocation raises before its handler runs (pattern: the function's logical ID).
LAMBDA = "lambda"
#: The invocation ends as Lambda ends one that ran past its Timeout (``Sandbox.Timedout``).
LAMBDA_TIMEOUT = "lambda-timeout"
#: The invocation ends as Lambda ends one killed for using more than its memory (``Runtime.ExitError``).
LAMBDA_OOM = "lambda-oom"
LAMBDA_FAULTS = (LAMBDA, LAMBDA_TIMEOUT, LAMBDA_OOM)
#: The requests an endpoint variant serves fail (pattern: ``ENDPOINT/VARIANT``).
VARIANT = "variant"
KINDS = (TRAINING, TRANSFORM, ENDPOINT_UPDATE, *LAMBDA_FAULTS, VARIANT)

#: SageMaker's wording when no instance is available; the state machine retries these.
CAPACITY_ERROR = (
    "CapacityError: Unable to provision requested ML compute capacity. Please retry using a different ML "
    "instance type. (injected by the local cloud)"
)

_DEFAULT_REASONS = {
    TRAINING: "AlgorithmError: injected training failure (local cloud FailureInjector)",
    TRANSFORM: "ClientError: injected transform failure (local cloud FailureInjector)",
    ENDPOINT_UPDATE: "injected endpoint update failure (local cloud FailureInjector): roll back",
    LAMBDA: "injected Lambda fault (local cloud FailureInjector)",
    LAMBDA_TIMEOUT: "injected Lambda timeout (local cloud FailureInjector)",
    LAMBDA_OOM: "injected Lambda out-of-memory (local cloud FailureInjector)",
    VARIANT: "injected model server failure (local cloud FailureInjector)",
}


def variant_target(endpoint: str, variant: str) -> str:
    """The name a ``variant`` switch's pattern matches: ``ENDPOINT/VARIANT``."""
    return f"{endpoint}/{variant}"


@dataclass
class InjectedFailure:
    """One armed switch."""

    kind: str
    pattern: str
    reason: str
    remaining: int | None  # None: unlimited
    fired: int = 0


class FailureInjector:
    """Named failure switches, safe to use from the threads of parallel jobs."""

    def __init__(self) -> None:
        self._switches: list[InjectedFailure] = []
        self._lock = threading.Lock()

    # --- arming ---------------------------------------------------------------------------------------
    def arm(
        self, kind: str, pattern: str = "*", *, reason: str | None = None, times: int | None = None
    ) -> InjectedFailure:
        """Make jobs of ``kind`` whose name matches ``pattern`` fail (``times`` times, or always)."""
        if kind not in KINDS:
            raise ValueError(f"unknown failure kind {kind!r}; expected one of {', '.join(KINDS)}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None for every matching job)")
        switch = InjectedFailure(kind, pattern, reason or _DEFAULT_REASONS[kind], times)
        with self._lock:
            self._switches.append(switch)
        return switch

    def fail_training(
        self, pattern: str = "*", *, reason: str | None = None, times: int | None = None
    ) -> InjectedFailure:
        """Training jobs matching ``pattern`` end ``Failed``."""
        return self.arm(TRAINING, pattern, reason=reason, times=times)

    def fail_transform(
        self, pattern: str = "*", *, reason: str | None = None, times: int | None = None
    ) -> InjectedFailure:
        """Transform jobs matching ``pattern`` end ``Failed``."""
        return self.arm(TRANSFORM, pattern, reason=reason, times=times)

    def roll_back_update(
        self, pattern: str = "*", *, reason: str | None = None, times: int | None = None
    ) -> InjectedFailure:
        """Endpoint updates matching ``pattern`` (endpoint name) roll back (used by the endpoint step)."""
        return self.arm(ENDPOINT_UPDATE, pattern, reason=reason, times=times)

    def fail_lambda(
        self,
        pattern: str = "*",
        *,
        reason: str | None = None,
        times: int | None = None,
        how: str = LAMBDA,
    ) -> InjectedFailure:
        """Invocations of the functions whose logical ID matches ``pattern`` fail before the handler runs:
        ``how`` is a crash (``lambda``, an Unhandled error), a timeout (``lambda-timeout``) or an
        out-of-memory kill (``lambda-oom``)."""
        if how not in LAMBDA_FAULTS:
            raise ValueError(f"unknown Lambda fault {how!r}; expected one of {', '.join(LAMBDA_FAULTS)}")
        return self.arm(how, pattern, reason=reason, times=times)

    def check_lambda(self, logical_id: str) -> tuple[str, str] | None:
        """``(kind, reason)`` of the Lambda fault that fires for this invocation, else ``None``."""
        for kind in LAMBDA_FAULTS:
            reason = self.check(kind, logical_id)
            if reason:
                return kind, reason
        return None

    def fail_variant(
        self,
        endpoint: str = "*",
        variant: str = "*",
        *,
        reason: str | None = None,
        times: int | None = None,
    ) -> InjectedFailure:
        """Requests served by ``variant`` of ``endpoint`` (shell patterns) get a ModelError with status 500,
        as when the variant's model server crashes; the other variants keep serving."""
        return self.arm(VARIANT, variant_target(endpoint, variant), reason=reason, times=times)

    @classmethod
    def from_specs(cls, specs: Iterable[str]) -> FailureInjector:
        """Build from CLI specs ``KIND[:PATTERN[:TIMES]]``, e.g. ``training``, ``transform:*champion*:1``,
        ``variant:*/Champion`` (PATTERN of a ``variant`` switch: ``ENDPOINT/VARIANT``)."""
        injector = cls()
        for spec in specs:
            kind, _, rest = spec.partition(":")
            pattern, _, times = rest.partition(":")
            try:
                count = int(times) if times else None
            except ValueError:
                raise ValueError(f"{spec!r}: TIMES must be an integer") from None
            injector.arm(kind.strip(), pattern or "*", times=count)
        return injector

    def clear(self) -> None:
        """Disarm every switch."""
        with self._lock:
            self._switches.clear()

    # --- firing ---------------------------------------------------------------------------------------
    def check(self, kind: str, name: str) -> str | None:
        """The failure reason when a switch fires for this job (consuming one use), else ``None``."""
        with self._lock:
            for switch in self._switches:
                if switch.kind != kind or not fnmatch.fnmatchcase(name, switch.pattern):
                    continue
                if switch.remaining is not None:
                    if switch.remaining <= 0:
                        continue
                    switch.remaining -= 1
                switch.fired += 1
                return switch.reason
        return None

    @property
    def switches(self) -> list[InjectedFailure]:
        with self._lock:
            return list(self._switches)
