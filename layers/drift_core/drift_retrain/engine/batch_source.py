"""Opening a batch for reading: bytes, a path or a stream; gzip detected from its first bytes; bounded.

The first KiB are sniffed without seeking (S3 bodies cannot seek), checked for what the file is
(:mod:`batch_format`) and handed back in front of the rest of the stream. Bytes are counted as they are
read: past ``ReadLimits`` the read stops with ``object_too_large``, ``decompressed_too_large`` or
``compression_ratio``, so no file costs more than the limits allow, whatever its event said.
"""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path
from typing import BinaryIO

from drift_retrain.engine.batch_format import SNIFF_BYTES, UTF8_BOM, check_head, is_gzip
from drift_retrain.engine.read_limits import ReadLimits
from drift_retrain.exceptions import InvalidBatchError

__all__ = ["Source", "open_source"]

Source = bytes | bytearray | str | Path | BinaryIO


def open_source(source: Source, limits: ReadLimits | None = None) -> tuple[BinaryIO, bool]:
    """The batch's CSV bytes as a stream (UTF-8 BOM removed), and whether they were gzip-compressed.

    Raises
    ------
    InvalidBatchError
        ``unreadable`` (a path that cannot be opened), a format code of :mod:`batch_format`,
        ``corrupt_gzip``, or a limit's code. Errors of the stream itself (a network read timing out)
        propagate unchanged: the file may be fine.
    """
    limits = limits or ReadLimits()
    raw = _raw(source)
    try:
        counted = _Counted(raw, limits)
        head = _read_exact(counted, SNIFF_BYTES)
        if not is_gzip(head):
            check_head(head)
            return _Prefixed(_without_bom(head), counted), False
        inflated = _Inflated(_Prefixed(head, counted), counted, limits)
        inner = _read_exact(inflated, SNIFF_BYTES)
        check_head(inner, inside_gzip=True)
        return _Prefixed(_without_bom(inner), inflated), True
    except BaseException:
        raw.close()
        raise


def _raw(source: Source) -> BinaryIO:
    if isinstance(source, (bytes, bytearray)):
        return io.BytesIO(bytes(source))
    if isinstance(source, (str, Path)):
        try:
            return open(source, "rb")
        except OSError as exc:
            raise InvalidBatchError("unreadable", f"cannot open {source}: {exc.strerror}") from exc
    return source


def _without_bom(head: bytes) -> bytes:
    return head[len(UTF8_BOM) :] if head.startswith(UTF8_BOM) else head


def _read_exact(stream: BinaryIO, size: int) -> bytes:
    out = b""
    while len(out) < size:
        chunk = stream.read(size - len(out))
        if not chunk:
            break
        out += chunk
    return out


def _read_all(stream: BinaryIO) -> bytes:
    """``read()`` to the end in bounded steps, so the limits are checked on the way."""
    parts = []
    while chunk := stream.read(io.DEFAULT_BUFFER_SIZE * 64):
        parts.append(chunk)
    return b"".join(parts)


class _CountingReader(io.RawIOBase):
    """A raw stream that counts what it yields and checks each chunk (``_chunk``) against the limits."""

    total = 0

    def readable(self) -> bool:
        return True

    def _chunk(self, size: int) -> bytes:  # pragma: no cover - every subclass reads its own source
        raise NotImplementedError

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return _read_all(self)
        return self._chunk(size)

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _Counted(_CountingReader):
    """The object's bytes as stored, counted: past ``max_object_bytes`` the read stops."""

    def __init__(self, raw: BinaryIO, limits: ReadLimits):
        self._raw = raw
        self._limits = limits
        self.total = 0

    def _chunk(self, size: int) -> bytes:
        data = self._raw.read(size)
        self.total += len(data)
        if self.total > self._limits.max_object_bytes:
            raise self._limits.object_too_large(self.total, at_least=True)
        return data

    def close(self) -> None:
        close = getattr(self._raw, "close", None)
        if close is not None:
            close()
        super().close()


class _Inflated(_CountingReader):
    """gzip-decompressed bytes, counted against ``max_decompressed_bytes`` and the compression ratio.

    Only decompression errors mean a corrupt file; other ``OSError`` s (a network read timing out)
    propagate so the caller retries instead of quarantining a good file.
    """

    def __init__(self, compressed: BinaryIO, counted: _Counted, limits: ReadLimits):
        self._gzip = gzip.GzipFile(fileobj=compressed, mode="rb")
        self._compressed = compressed
        self._counted = counted
        self._limits = limits
        self.total = 0

    def _chunk(self, size: int) -> bytes:
        try:
            data = self._gzip.read(size)
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise InvalidBatchError("corrupt_gzip", f"the gzip data is corrupt or truncated: {exc}") from exc
        self.total += len(data)
        if self.total > self._limits.max_decompressed_bytes:
            raise self._limits.decompressed_too_large()
        if (
            self.total >= self._limits.ratio_check_after_bytes
            and self.total > self._limits.max_compression_ratio * self._counted.total
        ):
            raise self._limits.compression_ratio(self.total, self._counted.total)
        return data

    def close(self) -> None:
        self._gzip.close()
        self._compressed.close()
        super().close()


class _Prefixed(io.RawIOBase):
    """A stream that yields ``prefix`` and then the rest of ``raw`` (lets us sniff non-seekable bodies)."""

    def __init__(self, prefix: bytes, raw: BinaryIO):
        self._prefix = prefix
        self._raw = raw

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._prefix:
            if size is None or size < 0:
                out, self._prefix = self._prefix + self._raw.read(), b""
                return out
            out, self._prefix = self._prefix[:size], self._prefix[size:]
            return out + self._raw.read(size - len(out)) if size > len(out) else out
        return self._raw.read() if size is None or size < 0 else self._raw.read(size)

    def readinto(self, buffer) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        close = getattr(self._raw, "close", None)
        if close is not None:
            close()
        super().close()
