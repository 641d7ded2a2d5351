"""A large CSV read as byte ranges split at line ends, each range by its own reader (a Distributed Map child).

The ranges (:func:`byte_ranges`) are cut at arbitrary byte offsets; each reader makes its range whole
lines (:class:`RangeLines`). A line belongs to the range its first byte is in: a reader skips the partial
line it starts in (it belongs to the range before) and reads past its end to the end of the line it is in.
Every line is thus read exactly once, whatever the offsets. The first range holds the header; every other
reader reads the header line from the start of the file and puts it first, so each range is a CSV of its
own, checked and summarised as one.

Cutting at line ends is right only when no record holds a line break inside quotes. Every line of such a
file has an even number of quotes; a reader that meets a line with an odd number refuses its range as
``csv_not_splittable``. Since every line is in exactly one range, a file with any record over two lines
(or a stray quote) is refused by at least one reader, and never counted wrong.
"""

from __future__ import annotations

import io
import itertools
from typing import Any, BinaryIO

import numpy as np

from drift_retrain.engine.batch_reader import format_of
from drift_retrain.engine.record_scan import MAX_RECORD_BYTES
from drift_retrain.exceptions import InvalidBatchError

__all__ = ["GZIP_MAGIC", "HEAD_BYTES", "RangeLines", "byte_ranges", "csv_by_name", "cuttable", "range_name"]

#: A gzip stream's first bytes: compressed text cannot be cut at byte offsets.
GZIP_MAGIC = b"\x1f\x8b"
#: Bytes of a CSV read to tell whether it can be cut in byte ranges (``cuttable``).
HEAD_BYTES = 64 * 1024
_SCAN = 64 * 1024
_QUOTE, _NL = 34, 10


def csv_by_name(key: str) -> bool:
    """A plain CSV by its name (``.csv``, ``.tsv``, ``.txt``; not ``.gz``)."""
    return format_of(key) == "csv" and not key.lower().endswith(".gz")


def cuttable(key: str, head: bytes) -> bool:
    """Whether a CSV can be read in byte ranges: plain by its name, not gzip by its first bytes, and with
    a line feed in its first ``HEAD_BYTES`` (a CR-only file, or a header longer than that, has no line end
    to cut at)."""
    return csv_by_name(key) and not head.startswith(GZIP_MAGIC) and b"\n" in head


def byte_ranges(size: int, max_bytes: int) -> list[tuple[int, int]]:
    """``[start, end)`` ranges covering ``size`` bytes, as few as keep each at most ``max_bytes``, of about
    equal size."""
    count = max(1, -(-size // max(1, max_bytes)))
    edges = [size * i // count for i in range(count + 1)]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def range_name(key: str, start: int, end: int) -> str:
    """A range's name as summaries and reports show it; names of one file sort in byte order."""
    return f"{key}#bytes={start:012d}-{end - 1:012d}"


class RangeLines(io.RawIOBase):
    """The lines of ``source`` (seekable, binary) whose first byte is in ``[start, end)``, after the
    file's header line when ``start > 0``. ``empty`` when no line starts in the range."""

    def __init__(self, source: BinaryIO | Any, start: int, end: int) -> None:
        super().__init__()
        self._source, self._end = source, end
        self._at = 0 if start == 0 else _next_line_start(source, start)
        self.empty = self._at is None or self._at >= end
        self._header = b"" if start == 0 or self.empty else _header_line(source)
        self._stop: int | None = None  # the end of the range's last line, once found
        self._parity = 0
        self._line = 1 if start == 0 else 2  # the line being read, counted as the reader counts it

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[: len(data)] = data
        return len(data)

    def read(self, size: int = -1) -> bytes:
        size = _SCAN * 32 if size is None or size < 0 else size
        if self._header:
            out, self._header = self._header[:size], self._header[size:]
            return out
        if self.empty or self._at is None or (self._stop is not None and self._at >= self._stop):
            return b""
        self._source.seek(self._at)
        chunk = self._source.read(size if self._stop is None else min(size, self._stop - self._at))
        if not chunk:
            self._check_last_line()
            self._stop = self._at
            return b""
        if self._stop is None and self._at + len(chunk) >= self._end:
            cut = chunk.find(b"\n", max(0, self._end - 1 - self._at))
            if cut >= 0:
                self._stop = self._at + cut + 1
                chunk = chunk[: cut + 1]
        self._check_quotes(chunk)
        self._at += len(chunk)
        if self._stop is not None and self._at >= self._stop:
            self._check_last_line()
        return chunk

    def _check_quotes(self, chunk: bytes) -> None:
        if not self._parity and b'"' not in chunk:
            self._line += chunk.count(b"\n")
            return
        data = np.frombuffer(chunk, np.uint8)
        quotes = (np.cumsum(data == _QUOTE) + self._parity) & 1
        ends = np.flatnonzero(data == _NL)
        odd = ends[quotes[ends] == 1]
        if len(odd):
            self._line += int(np.count_nonzero(ends < odd[0]))
            raise _not_splittable(self._line)
        self._line += len(ends)
        self._parity = int(quotes[-1])

    def _check_last_line(self) -> None:
        if self._parity:
            raise _not_splittable(self._line)


def _not_splittable(line: int) -> InvalidBatchError:
    return InvalidBatchError(
        "csv_not_splittable",
        f"line {line:,} of the range has an odd number of quotes: a quoted cell holds a line break (or a "
        "quote is stray). A CSV larger than SINGLE_CHECK_MAX_BYTES is checked in byte ranges cut at line "
        "ends, so each record must be on one line: write the batch as parts, as Parquet, or without line "
        "breaks inside cells",
        line=line,
    )


def _header_line(source: Any) -> bytes:
    """The file's first line, its newline included (a header longer than a record may be is refused)."""
    source.seek(0)
    out = b""
    while len(out) <= MAX_RECORD_BYTES:
        chunk = source.read(_SCAN)
        cut = chunk.find(b"\n")
        if cut >= 0 or not chunk:
            return out + (chunk[: cut + 1] if cut >= 0 else chunk)
        out += chunk
    raise InvalidBatchError(
        "cell_too_large", f"the header line is longer than {MAX_RECORD_BYTES:,} bytes", line=1
    )


def _next_line_start(source: Any, start: int) -> int | None:
    """The first line start at or after ``start`` (``start`` itself when the byte before is a newline);
    ``None`` when no line starts there."""
    at = start - 1
    source.seek(at)
    while True:
        chunk = source.read(_SCAN)
        if not chunk:
            return None
        cut = chunk.find(b"\n")
        if cut >= 0:
            return at + cut + 1
        at += len(chunk)
