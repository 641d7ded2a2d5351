"""Wait states, Retry intervals and heartbeats on the simulated clock: hours pass in a moment, the history
still shows hours, and a wait never skips ahead of work that is still running or of a heartbeat to come."""

from __future__ import annotations

import inspect
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from support.executions import run_definition

from drift_retrain_local.cloud.local_cloud import LocalCloud, local_cloud
from drift_retrain_local.seams import sfn_clock
from drift_retrain_local.seams.lookup import module

#: Real seconds any one execution here may take (each simulates an hour or more).
REAL_LIMIT = 20.0


@pytest.fixture(scope="module")
def cloud() -> Iterator[LocalCloud]:
    with local_cloud(simulated_time=True) as running:
        yield running


def _run(cloud: LocalCloud, name: str, definition: dict[str, Any], payload: Any = None) -> dict[str, Any]:
    """Run ``definition`` to its end; the description, with the real seconds it took and its history."""
    started = time.monotonic()
    described = run_definition(cloud, name, definition, payload, timeout=REAL_LIMIT)
    history = cloud.client("stepfunctions").get_execution_history(
        executionArn=described["executionArn"], maxResults=1000
    )
    return {**described, "real": time.monotonic() - started, "events": history["events"]}


def _times(events: list[dict[str, Any]], event_type: str) -> list[datetime]:
    return [event["timestamp"] for event in events if event["type"] == event_type]


def test_an_hour_long_wait_passes_at_once_and_the_history_shows_the_hour(cloud: LocalCloud) -> None:
    definition = {
        "StartAt": "Wait an hour",
        "States": {
            "Wait an hour": {"Type": "Wait", "SecondsPath": "$.seconds", "Next": "After"},
            "After": {"Type": "Pass", "Parameters": {"entered.$": "$$.State.EnteredTime"}, "End": True},
        },
    }
    result = _run(cloud, "clock-wait", definition, {"seconds": 3600})
    assert result["status"] == "SUCCEEDED"
    assert result["real"] < REAL_LIMIT
    (entered,), (exited,) = (
        _times(result["events"], "WaitStateEntered"),
        _times(result["events"], "WaitStateExited"),
    )
    assert 3600 <= (exited - entered).total_seconds() < 3600 + REAL_LIMIT
    assert 3600 <= (result["stopDate"] - result["startDate"]).total_seconds() < 3600 + REAL_LIMIT
    seen = datetime.fromisoformat(json.loads(result["output"])["entered"])
    assert abs((seen - exited).total_seconds()) < REAL_LIMIT, "$$.State.EnteredTime is on the same clock"


def test_a_timestamp_wait_ends_at_its_timestamp_on_the_simulated_clock(cloud: LocalCloud) -> None:
    target = datetime.fromtimestamp(cloud.clock.time() + 2 * 3600, UTC).replace(microsecond=0)
    definition = {
        "StartAt": "Wait until",
        "States": {"Wait until": {"Type": "Wait", "TimestampPath": "$.at", "End": True}},
    }
    result = _run(cloud, "clock-timestamp", definition, {"at": target.strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert result["status"] == "SUCCEEDED"
    (exited,) = _times(result["events"], "WaitStateExited")
    # moto waits whole seconds from a start that is not on a whole second, so the exit, itself stamped to
    # the second, may read one second early (seen: exactly -1.0 once in a full run)
    assert -1 <= (exited - target).total_seconds() < REAL_LIMIT


def test_retry_intervals_grow_with_the_backoff_rate_on_the_simulated_clock(cloud: LocalCloud) -> None:
    definition = {
        "StartAt": "Read a missing table",
        "States": {
            "Read a missing table": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:dynamodb:getItem",
                "Parameters": {"TableName": "no-such-table", "Key": {"Id": {"S": "x"}}},
                "Retry": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "IntervalSeconds": 600,
                        "BackoffRate": 3,
                        "MaxAttempts": 2,
                    }
                ],
                "End": True,
            }
        },
    }
    result = _run(cloud, "clock-retry", definition)
    assert result["status"] == "FAILED"
    assert result["real"] < REAL_LIMIT
    failed, scheduled = _times(result["events"], "TaskFailed"), _times(result["events"], "TaskScheduled")
    assert len(failed) == len(scheduled) == 3
    gaps = [(scheduled[i + 1] - failed[i]).total_seconds() for i in range(2)]
    assert 600 <= gaps[0] < 600 + REAL_LIMIT
    assert 1800 <= gaps[1] < 1800 + REAL_LIMIT


# ============================================================================= the clock on its own
def test_the_clock_does_not_jump_while_work_is_running() -> None:
    """A retry waiting for an endpoint that becomes InService after real work: the clock waits for the work."""
    done = threading.Event()
    worker = threading.Timer(0.6, done.set)
    clock = sfn_clock.SimulatedClock(busy=lambda: not done.is_set(), grace=0.05)
    worker.start()
    started = time.monotonic()
    clock.sleep(3600)
    assert done.is_set(), "the wait ended before the work it waits for"
    assert time.monotonic() - started < 5
    assert clock.skipped > 3500


def test_the_earliest_sleeper_wakes_first_and_each_sees_its_own_duration() -> None:
    clock = sfn_clock.SimulatedClock(grace=0.05)
    woke: dict[str, float] = {}
    start = clock.time()

    def sleeper(name: str, seconds: float) -> None:
        clock.sleep(seconds)
        woke[name] = clock.time() - start

    threads = [threading.Thread(target=sleeper, args=(n, s)) for n, s in (("long", 7200), ("short", 60))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert 60 <= woke["short"] < woke["long"]
    assert 7200 <= woke["long"] < 7200 + 5


def test_a_stopped_execution_ends_its_wait() -> None:
    clock = sfn_clock.SimulatedClock(busy=lambda: True)  # never jumps
    stop = threading.Timer(0.2, lambda: None)
    stop.start()
    started = time.monotonic()
    clock.sleep(3600, stopped=lambda: not stop.is_alive())
    assert time.monotonic() - started < 5


def test_a_heartbeat_wait_does_not_jump_on_its_own_and_ends_when_the_heartbeat_comes() -> None:
    """Nothing tells the clock when a caller will send a heartbeat: a quiet clock still waits for one."""
    clock = sfn_clock.SimulatedClock(grace=0.05)
    heartbeat = threading.Event()
    threading.Timer(0.5, heartbeat.set).start()
    assert clock.wait_for_heartbeat(heartbeat, 3600)
    assert clock.skipped == 0


def test_a_test_lets_a_heartbeat_run_out_at_once() -> None:
    clock = sfn_clock.SimulatedClock(busy=lambda: True)  # no Wait state could jump
    result: list[bool] = []
    waiter = threading.Thread(target=lambda: result.append(clock.wait_for_heartbeat(threading.Event(), 3600)))
    started = time.monotonic()
    waiter.start()
    clock.pass_heartbeat(3600, timeout=5)
    waiter.join(5)
    assert result == [False] and time.monotonic() - started < 5
    assert clock.skipped >= 3600


def test_passing_a_heartbeat_that_no_task_waits_for_is_an_error() -> None:
    with pytest.raises(TimeoutError, match="no task waited for a heartbeat"):
        sfn_clock.SimulatedClock().pass_heartbeat(60, timeout=0.1)


def test_uninstall_puts_real_time_back(cloud: LocalCloud) -> None:
    assert sfn_clock.installed() is cloud.clock
    with pytest.raises(RuntimeError):
        sfn_clock.install(sfn_clock.SimulatedClock())
    sfn_clock.uninstall()
    try:
        import datetime as real_datetime

        assert module("moto.stepfunctions.parser.asl.eval.event.event_manager").datetime is real_datetime
        assert module("moto.stepfunctions.parser.asl.component.common.retry.retrier_decl").time is time
        callback = module("moto.stepfunctions.parser.asl.eval.callback.callback")
        assert "_next_heartbeat_event.wait(" in inspect.getsource(callback.HeartbeatEndpoint.clear_and_wait)
        assert sfn_clock.installed() is None
        sfn_clock.check()
    finally:
        sfn_clock.install(cloud.clock)
