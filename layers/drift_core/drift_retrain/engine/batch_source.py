"""Opening a batch for reading: bytes, a path or a stream, gzip detected from its first bytes.

The first two bytes are sniffed without seeking (S3 bodies cannot seek) and handed back in front of the
rest of the stream.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import BinaryIO

from drift_retrain.exceptions import InvalidBatchError

__all__ = ["Source", "open_source"]

_GZIP_MAGIC = b"\x1f\x8b"

Source = bytes | bytearray | str | Path | BinaryIO


def open_source(source: Source) -> tuple[BinaryIO, bool]:
    if isinstance(source, (bytes, bytearray)):
        raw: BinaryIO = io.BytesIO(bytes(source))
    elif isinstance(source, (str, Path)):
        try:
            raw = open(source, "rb")  # noqa: SIM115 - closed by read_csv
        except OSError as exc:
            raise InvalidBatchError("unreadable", f"cannot open {source}: {exc.strerror}") from exc
    else:
        raw = source
    head = _read_exact(raw, 2)
    stream: BinaryIO = _Prefixed(head, raw)
    if head == _GZIP_MAGIC:
        return gzip.GzipFile(fileobj=stream, mode="rb"), True  # type: ignore[return-value]
    return stream, False


def _read_exact(raw: BinaryIO, size: int) -> bytes:
    out = b""
    while len(out) < size:
        chunk = raw.read(size - len(out))
        if not chunk:
            break
        out += chunk
    return out


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
