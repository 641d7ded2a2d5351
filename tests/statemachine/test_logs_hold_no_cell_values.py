"""Logs carry reason codes and positions, never cell text: a bad batch with a planted secret value goes
through the real DetectDrift on the local cloud, and no log line of any logger (the Lambdas' Powertools
lines, the layer's, moto's) holds the secret, while the quarantine record, which is where the reason
belongs, does."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from workflow_support import Harness, batch_csv

from drift_retrain.aws.objects import quarantine_keys

SECRET = "SSN-078-05-1120-planted"


class _Collect(logging.Handler):
    """Everything a record holds: its message, every extra field, its traceback."""

    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        self.lines.append(f"{record.getMessage()} {record.__dict__!r} {text}")


@contextmanager
def every_log_line() -> Iterator[list[str]]:
    """The lines every logger emits meanwhile: each record in full, and what each stream handler (the
    Powertools JSON lines with their appended keys) writes."""
    collect, buffer = _Collect(), io.StringIO()
    loggers = [logging.getLogger()] + [
        lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)
    ]
    streams: dict[int, tuple[logging.StreamHandler, object]] = {}
    for lg in loggers:
        lg.addHandler(collect)
        for handler in lg.handlers:
            if type(handler) is logging.StreamHandler and id(handler) not in streams:
                streams[id(handler)] = (handler, handler.stream)
                handler.stream = buffer
    lines: list[str] = []
    try:
        yield lines
    finally:
        for lg in loggers:
            lg.removeHandler(collect)
        for handler, stream in streams.values():
            handler.stream = stream
        lines += collect.lines + buffer.getvalue().splitlines()


def _with_secret(kind: str) -> bytes:
    """One age cell holds the secret; or every label does (a batch of only a never-seen class is refused,
    where one such row is set aside)."""
    rows = batch_csv("stable", seed=71, rows=60).decode().splitlines()
    for at in [5] if kind == "text-in-a-number" else range(1, len(rows)):
        fields = rows[at].split(",")
        fields[{"text-in-a-number": 1, "unknown-class": 0}[kind]] = SECRET  # age; the label
        rows[at] = ",".join(fields)
    return ("\n".join(rows) + "\n").encode()


@pytest.mark.parametrize("kind", ["text-in-a-number", "unknown-class"])
def test_a_bad_batch_quarantines_with_its_reason_and_logs_no_cell(harness: Harness, kind: str) -> None:
    harness.upload("warm-before-logs.csv", batch_csv("stable", seed=70))  # every Lambda's logger exists
    with every_log_line() as lines:
        entry = harness.upload(f"secret-{kind}.csv", _with_secret(kind))
    assert entry["outcome"] == "quarantined", entry
    _, error_key = quarantine_keys(f"incoming/secret-{kind}.csv")
    record = harness.read_json(error_key)
    assert SECRET in str(record), "the reason no longer quotes the cell: plant a value it does quote"
    assert any("Invalid batch quarantined" in line for line in lines), "the capture saw no DetectDrift log"
    leaked = [line for line in lines if SECRET in line]
    assert leaked == [], leaked[:3]
