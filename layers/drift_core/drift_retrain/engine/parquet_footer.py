"""Check a Parquet footer's Thrift encoding before fastparquet decodes it.

fastparquet decodes the footer (Thrift's compact protocol) in C without bounds checks: a damaged footer
whose lengths point past its end makes it read outside the buffer, and the process dies (a segmentation
fault, found by ``tests/unit/engine/test_format_fuzz.py``) instead of raising. This walk reads the bytes exactly
as its decoder does (``cencoding.read_thrift`` and ``read_list``), with every read bounded, so a footer
that passes is one the decoder stays inside; one that does not is ``parquet_corrupt_footer``.
"""

from __future__ import annotations

__all__ = ["FooterError", "check_footer"]

#: Deeper than any real footer (FileMetaData > RowGroup > ColumnChunk > ColumnMetaData > Statistics).
MAX_DEPTH = 16


class FooterError(ValueError):
    """The footer's bytes are not a complete Thrift structure."""


def check_footer(data: bytes) -> None:
    """Raise ``FooterError`` unless ``data`` decodes as one Thrift struct within its bounds."""
    _Walk(data).struct(0)


class _Walk:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def _take(self, size: int) -> None:
        if size < 0 or self.at + size > len(self.data):
            raise FooterError(f"a field of {size} bytes at byte {self.at} runs past the footer's end")
        self.at += size

    def _byte(self) -> int:
        self._take(1)
        return self.data[self.at - 1]

    def _varint(self) -> int:
        value, shift = 0, 0
        while True:
            byte = self._byte()
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value & 0xFFFFFFFFFFFFFFFF
            shift += 7
            if shift > 63:
                raise FooterError(f"a number longer than 10 bytes at byte {self.at}")

    def _size(self) -> int:
        """A varint read into the decoder's 32-bit signed size."""
        size = self._varint() & 0xFFFFFFFF
        size = size - (1 << 32) if size >= 1 << 31 else size
        if size < 0:
            raise FooterError(f"a negative length at byte {self.at}")
        return size

    def struct(self, depth: int) -> None:
        if depth > MAX_DEPTH:
            raise FooterError("structures nested deeper than any Parquet footer")
        while True:
            byte = self._byte()
            if byte == 0:
                return
            kind = byte & 0x0F
            if kind in (4, 5, 6):
                self._varint()
            elif kind == 7:
                self._take(8)
            elif kind == 8:
                self._take(self._size())
            elif kind == 9:
                self.list(depth + 1)
            elif kind == 12:
                self.struct(depth + 1)
            elif kind == 3:
                self._byte()
            elif kind not in (1, 2):
                raise FooterError(f"an unknown field type {kind} at byte {self.at}")

    def list(self, depth: int) -> None:
        byte = self._byte()
        size = self._size() if byte >= 0xF0 else (byte & 0xF0) >> 4
        if size > len(self.data) - self.at:  # every element takes at least one byte
            raise FooterError(f"a list of {size:,} elements in {len(self.data) - self.at:,} bytes")
        kind = byte & 0x0F
        for _ in range(size):
            if kind in (5, 6):
                self._varint()
            elif kind == 8:
                self._take(self._size())
            else:
                self.struct(depth)
