"""A simulated clock for moto 5.2.5's Step Functions: long waits pass at once, what they measure stays true.

moto waits in real time: a ``Wait`` state sleeps its ``Seconds``/``SecondsPath``/``Timestamp``, and each
``Retry`` sleeps ``IntervalSeconds`` x ``BackoffRate``^n (capped by ``MaxDelaySeconds``). On a laptop a
failure path with three retries of 5, 10 and 20 s takes 35 s of doing nothing. With this seam installed
those sleeps go through a :class:`SimulatedClock`:

- **Simulated time is real time plus an offset that only grows.** Every time moto's interpreter reads or
  writes (history event timestamps, ``$$.State.EnteredTime``, an execution's start and stop dates, a
  ``Timestamp`` wait's target) comes from the clock, so the durations an execution observes are the
  simulated ones: a 3,600 s Wait is 3,600 s between its history events.
- **The clock jumps only when nothing else can happen first.** A sleeper wakes when simulated time reaches
  its deadline. Time jumps forward to the earliest deadline only when (a) no Step Functions history event
  was written for ``grace`` real seconds (no execution is moving), and (b) ``busy()`` is false: the local
  cloud has no Lambda invocation running or queued, no SageMaker job running and no endpoint in a
  transition. Otherwise the sleepers wait in real time, as before. So a Retry that waits for an endpoint
  to leave ``Updating`` still sees it ``InService`` on its next attempt: the endpoint's transition runs in
  a thread (``busy()``), and the jump waits for it; then nothing is left that could change the answer
  before the deadline, which is exactly when skipping the rest of the wait changes nothing.
- **Without a jump it is real time.** A sleeper never waits longer in real time than its duration, so
  the worst case is today's behaviour.

- **A callback's heartbeat is on the clock, but never makes it jump.** A ``.waitForTaskToken`` task's
  ``HeartbeatSeconds`` waits for a caller the local cloud cannot see (a later Lambda, a test), so only
  another sleeper's jump or :meth:`SimulatedClock.pass_heartbeat` brings its deadline closer: a test that
  knows no heartbeat is coming lets the time pass at once.

``TimeoutSeconds`` of tasks, the ``.sync`` poll and the execution's own timeout keep real time (they wait
for work that really runs). Lambdas read the real clock.

``check()`` fails loudly (``MotoHookMovedError``) when a hooked symbol moved or changed.
"""

from __future__ import annotations

import datetime
import heapq
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from drift_retrain_local.exceptions import MotoHookMovedError
from drift_retrain_local.seams.lookup import attribute, module, source

__all__ = ["SimulatedClock", "check", "install", "installed", "uninstall"]

_ASL = "moto.stepfunctions.parser.asl"
_CALLBACK = f"{_ASL}.eval.callback.callback"
_WAIT = f"{_ASL}.component.state.wait.wait_function"
_RETRIER = f"{_ASL}.component.common.retry.retrier_decl"
#: Modules whose ``datetime.datetime.now()`` becomes the clock's: what an execution observes as time.
_DATETIME_USERS = (
    f"{_ASL}.component.state.state",  # $$.State.EnteredTime
    f"{_ASL}.eval.event.event_manager",  # history event timestamps
    f"{_WAIT}.timestamp",  # a Timestamp / TimestampPath wait's distance
    "moto.stepfunctions.parser.backend.execution",  # an execution's stop date
    "moto.stepfunctions.parser.models",  # an execution's start date
)
#: Longest real wait between two looks at the clock (a jump or an interrupt is seen this soon).
_TICK = 0.05


class SimulatedClock:
    """Real time plus an offset that grows when every sleeper is waiting and nothing else can happen.

    Parameters
    ----------
    busy : callable
        ``busy() -> bool``: True while work outside the interpreter runs (Lambdas, SageMaker jobs and
        endpoint transitions); no jump happens meanwhile.
    grace : float
        Real seconds without a history event (no execution moving) before the clock may jump.
    """

    def __init__(self, busy: Callable[[], bool] = lambda: False, grace: float = 0.25) -> None:
        self._busy = busy
        self._grace = grace
        self._offset = 0.0
        self._deadlines: list[float] = []
        self._changed = threading.Condition()
        self._last_activity = time.monotonic()
        self._heartbeat_waits = 0

    @property
    def skipped(self) -> float:
        """Seconds of simulated time that passed without passing in real time."""
        return self._offset

    def time(self) -> float:
        """Simulated ``time.time()``."""
        return time.time() + self._offset

    def now(self, tz: datetime.tzinfo | None = None) -> datetime.datetime:
        """Simulated ``datetime.datetime.now(tz)`` (naive local time without ``tz``, as the original)."""
        return datetime.datetime.fromtimestamp(self.time(), tz)

    def touch(self) -> None:
        """Something moved (a history event): no jump for ``grace`` real seconds."""
        self._last_activity = time.monotonic()

    def sleep(self, seconds: float, stopped: Callable[[], bool] = lambda: False) -> None:
        """Sleep ``seconds`` of simulated time; returns early once ``stopped()`` (the execution ended)."""
        if seconds <= 0:
            return
        deadline = self.time() + float(seconds)
        with self._changed:
            heapq.heappush(self._deadlines, deadline)
        self.touch()
        try:
            while not stopped():
                with self._changed:
                    remaining = deadline - self.time()
                    if remaining <= 0:
                        return
                    if self._may_jump(deadline):
                        self._offset += remaining
                        self._changed.notify_all()
                        return
                    self._changed.wait(min(remaining, _TICK))
        finally:
            with self._changed:
                self._deadlines.remove(deadline)
                heapq.heapify(self._deadlines)

    def wait_for_heartbeat(self, event: threading.Event, seconds: float) -> bool:
        """Wait up to ``seconds`` of simulated time for ``event`` (a heartbeat); True when it came."""
        deadline = self.time() + float(seconds)
        with self._changed:
            self._heartbeat_waits += 1
            self._changed.notify_all()
        try:
            while not event.is_set():
                with self._changed:
                    remaining = deadline - self.time()
                    if remaining <= 0:
                        return event.is_set()
                    self._changed.wait(min(remaining, _TICK))
            return True
        finally:
            with self._changed:
                self._heartbeat_waits -= 1

    def pass_heartbeat(self, seconds: float, *, timeout: float) -> None:
        """Let ``seconds`` of simulated time pass as soon as a task waits for a heartbeat (within
        ``timeout`` real seconds): what a test says when it knows that no heartbeat will come."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._heartbeat_waits > 0, timeout=timeout):
                raise TimeoutError(f"no task waited for a heartbeat within {timeout} s")
            self._offset += float(seconds)
            self._changed.notify_all()

    def _may_jump(self, deadline: float) -> bool:
        """Only the earliest sleeper jumps, after ``grace`` quiet seconds with nothing busy."""
        if self._deadlines[0] != deadline:
            return False
        if time.monotonic() - self._last_activity < self._grace:
            return False
        return not self._busy()


# ============================================================================================== moto side
def _wait_function() -> Any:
    return attribute(f"{_WAIT}.wait_function", "WaitFunction")


def _event_manager() -> Any:
    return attribute(f"{_ASL}.eval.event.event_manager", "EventManager")


def _heartbeat_endpoint() -> Any:
    return attribute(_CALLBACK, "HeartbeatEndpoint")


def check() -> None:
    """Verify that moto's waits and clocks are where and what this module relies on (the originals
    when installed)."""
    wait_interval = source(_original(_wait_function(), "_wait_interval"))
    if "env.program_state_event.wait(wait_seconds)" not in wait_interval:
        raise MotoHookMovedError("WaitFunction._wait_interval no longer waits on program_state_event")
    retrier = module(_RETRIER)
    if "time.sleep(interval_seconds)" not in source(retrier.RetrierDecl._eval_body):
        raise MotoHookMovedError("RetrierDecl._eval_body no longer sleeps with time.sleep")
    if _original(retrier, "time") is not time:
        raise MotoHookMovedError("retrier_decl no longer imports the time module")
    heartbeat_wait = source(_original(_heartbeat_endpoint(), "clear_and_wait"))
    if "self._next_heartbeat_event.wait(timeout=self._heartbeat_seconds)" not in heartbeat_wait:
        raise MotoHookMovedError("HeartbeatEndpoint.clear_and_wait no longer waits on its event")
    if not callable(getattr(_event_manager(), "add_event", None)):
        raise MotoHookMovedError("EventManager.add_event is gone")
    for name in _DATETIME_USERS:
        if _original(module(name), "datetime") is not datetime:
            raise MotoHookMovedError(f"{name} no longer imports the datetime module")


def _original(owner: Any, name: str) -> Any:
    """``owner.name`` as moto has it (the saved original while installed)."""
    for saved_owner, saved_name, original in _saved:
        if saved_owner is owner and saved_name == name:
            return original
    return getattr(owner, name, None)


_lock = threading.Lock()
_saved: list[tuple[Any, str, Any]] = []
_clock: SimulatedClock | None = None


def installed() -> SimulatedClock | None:
    """The clock moto's Step Functions run on, or None (real time)."""
    return _clock


def _datetime_module(clock: SimulatedClock) -> SimpleNamespace:
    """The ``datetime`` module, with ``datetime.now`` reading ``clock``."""

    class SimulatedDatetime(datetime.datetime):
        @classmethod
        def now(cls, tz: datetime.tzinfo | None = None) -> datetime.datetime:  # type: ignore[override]
            return clock.now(tz)

    return SimpleNamespace(**{**vars(datetime), "datetime": SimulatedDatetime})


def install(clock: SimulatedClock) -> None:
    """Run Wait states, Retry intervals, heartbeats and the interpreter's timestamps on ``clock``."""
    global _clock
    check()
    with _lock:
        if _saved:
            raise RuntimeError("a simulated clock is already installed")
        _clock = clock

        def wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
            clock.sleep(wait_seconds, stopped=lambda: not env.is_running())

        original_add_event = _event_manager().add_event

        def add_event(self: Any, *args: Any, **kwargs: Any) -> Any:
            clock.touch()
            return original_add_event(self, *args, **kwargs)

        def clear_and_wait(self: Any) -> bool:
            with self._mutex:
                if self._next_heartbeat_event.is_set():
                    self._next_heartbeat_event.clear()
                    return True
            return clock.wait_for_heartbeat(self._next_heartbeat_event, self._heartbeat_seconds)

        _patch(_wait_function(), "_wait_interval", wait_interval)
        _patch(_heartbeat_endpoint(), "clear_and_wait", clear_and_wait)
        _patch(_event_manager(), "add_event", add_event)
        _patch(module(_RETRIER), "time", SimpleNamespace(sleep=clock.sleep))
        simulated = _datetime_module(clock)
        for name in _DATETIME_USERS:
            _patch(module(name), "datetime", simulated)


def uninstall() -> None:
    """Back to real time (idempotent)."""
    global _clock
    with _lock:
        while _saved:
            owner, name, original = _saved.pop()
            setattr(owner, name, original)
        _clock = None


def _patch(owner: Any, name: str, value: Any) -> None:
    _saved.append((owner, name, getattr(owner, name)))
    setattr(owner, name, value)
