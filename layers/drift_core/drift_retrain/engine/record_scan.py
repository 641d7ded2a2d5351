"""Cutting a CSV byte stream into blocks of whole records, and checking each block's text.

Blocks end on record boundaries (a newline outside quotes), so each can be parsed on its own and memory
stays bounded. Each block is checked before pandas sees it, because pandas' C parser reads some bad
input differently from how we count records (a bare carriage return ends its line; a quote inside an
unquoted field is plain text to it): every such difference is reported by name and line here instead of
surfacing later as a misleading reason.

Line endings: LF and CRLF; a file whose first line break is a CR with no LF anywhere before it uses
CR-only (classic Mac) endings, which CSV allows: its CRs are read as LFs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise
from typing import BinaryIO

import numpy as np

from drift_retrain.echo import clip
from drift_retrain.exceptions import InvalidBatchError

__all__ = ["MAX_RECORD_BYTES", "Block", "first_block", "record_blocks", "record_fields", "without_first"]

#: A single record longer than this is not a CSV record we can trust (and would defeat bounded memory).
MAX_RECORD_BYTES = 64 * 1024 * 1024
_QUOTE, _COMMA, _NL, _CR = 34, 44, 10, 13


@dataclass
class Block:
    """Whole records only: the bytes, and per non-blank record its first line number and field count."""

    data: bytes
    starts: np.ndarray
    ends: np.ndarray
    lines: np.ndarray
    fields: np.ndarray


def record_blocks(stream: BinaryIO, block_bytes: int) -> Iterator[Block]:
    """Blocks of whole, checked records from ``stream`` (read ``block_bytes`` at a time)."""
    carry = b""
    next_line = 1
    cr_only: bool | None = None  # decided at the first line break
    while True:
        chunk = stream.read(block_bytes)
        if cr_only is None and (b"\n" in chunk or b"\r" in chunk):
            cr_only = b"\n" not in chunk
        if cr_only:
            chunk = chunk.replace(b"\r", b"\n")
        if not chunk:
            if carry.strip(b"\r\n\t "):
                if not carry.endswith(b"\n"):
                    carry += b"\n"
                if _last_record_end(carry) < 0:
                    raise _open_record_error(carry, next_line, at_end=True)
                yield _scan(carry, next_line)[0]
            return
        buffer = carry + chunk
        cut = _last_record_end(buffer)
        if cut < 0:
            if len(buffer) > MAX_RECORD_BYTES:
                raise _open_record_error(buffer, next_line, at_end=False)
            carry = buffer
            continue
        block, carry = buffer[: cut + 1], buffer[cut + 1 :]
        scanned, newlines = _scan(block, next_line)
        next_line += newlines
        yield scanned


def first_block(blocks: Iterator[Block]) -> Block:
    """The first block holding a record (the header), or ``empty_file``."""
    for block in blocks:
        if len(block.starts):
            return block
    raise InvalidBatchError("empty_file", "the file is empty: expected a header row and data rows")


def without_first(block: Block) -> Block | None:
    """``block`` without its first record (the header), or ``None`` when nothing is left."""
    rest = Block(block.data, block.starts[1:], block.ends[1:], block.lines[1:], block.fields[1:])
    return rest if len(rest.starts) else None


def record_fields(block: Block, index: int) -> list[str]:
    """The fields of one checked record, unquoted (the header; the raw text of a cell for a message).

    The record passed the quote checks, so a comma outside quotes separates fields and a quoted field is
    ``"..."`` with doubled quotes inside: no csv module (and none of its field-size limit) is needed.
    """
    data = block.data[int(block.starts[index]) : int(block.ends[index])]
    if data.endswith(b"\r"):  # the CR of a CRLF line end (a CR inside quotes is never last)
        data = data[:-1]
    arr = np.frombuffer(data, np.uint8)
    separators = np.flatnonzero(arr == _COMMA)
    if b'"' in data:
        inside = (np.cumsum(arr == _QUOTE) & 1).astype(bool)
        separators = separators[~inside[separators]]
    bounds = [-1, *separators.tolist(), len(data)]
    return [_unquote(data[start + 1 : end].decode("utf-8")) for start, end in pairwise(bounds)]


def _unquote(field: str) -> str:
    if len(field) >= 2 and field.startswith('"') and field.endswith('"'):
        return field[1:-1].replace('""', '"')
    return field


def _last_record_end(buffer: bytes) -> int:
    """Offset of the last newline outside quotes, or -1."""
    if b'"' not in buffer:
        return buffer.rfind(b"\n")
    arr = np.frombuffer(buffer, np.uint8)
    inside = (np.cumsum(arr == _QUOTE) & 1).astype(bool)
    ends = np.flatnonzero((arr == _NL) & ~inside)
    return int(ends[-1]) if len(ends) else -1


def _open_record_error(buffer: bytes, first_line: int, *, at_end: bool) -> InvalidBatchError:
    """Why no record ends in ``buffer``: a misplaced quote, a quote never closed, or no line breaks."""
    arr = np.frombuffer(buffer, np.uint8)
    stray = _stray_quote(arr, buffer, first_line)
    if stray is not None:
        return stray
    quotes = np.flatnonzero(arr == _QUOTE)
    if len(quotes) % 2:
        opened = int(quotes[-1])
        line = first_line + buffer.count(b"\n", 0, opened)
        return InvalidBatchError(
            "unterminated_quote",
            f"line {line}: a quoted field is never closed"
            + ("" if at_end else f" within {MAX_RECORD_BYTES // 2**20} MiB"),
            line=line,
        )
    return InvalidBatchError(
        "no_line_breaks",
        f"no line break in the first {MAX_RECORD_BYTES // 2**20} MiB: a CSV file holds one record per "
        "line, ended by LF, CRLF or CR",
        line=first_line,
    )


def _scan(data: bytes, first_line: int) -> tuple[Block, int]:
    """The block's checked records, and how many line breaks it holds (blank lines and quoted ones too)."""
    arr = np.frombuffer(data, np.uint8)
    _check_text(arr, data, first_line)
    newline = arr == _NL
    comma = arr == _COMMA
    quoted = b'"' in data
    if quoted:
        stray = _stray_quote(arr, data, first_line)
        if stray is not None:
            raise stray
        inside = (np.cumsum(arr == _QUOTE) & 1).astype(bool)
        record_end = newline & ~inside
        comma &= ~inside
    else:
        inside = None
        record_end = newline
    if b"\r" in data:
        _check_carriage_returns(arr, data, first_line, inside)
    ends = np.flatnonzero(record_end)
    starts = np.concatenate(([0], ends[:-1] + 1))
    commas = _per_record(comma, starts, ends)
    length = ends - starts
    blank = (length == 0) | ((length == 1) & (arr[np.minimum(starts, len(arr) - 1)] == _CR))
    if quoted:  # a quoted field may span lines: count the newlines before each record
        lines = first_line + np.searchsorted(np.flatnonzero(newline), starts)
    else:
        lines = first_line + np.arange(len(starts))
    keep = ~blank
    block = Block(data, starts[keep], ends[keep], lines[keep], commas[keep] + 1)
    return block, int(np.count_nonzero(newline))


def _per_record(marks: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """How many of ``marks`` (a boolean mask) fall in each record ``[starts[i], ends[i]]`` (records are
    consecutive, ``starts[0] == 0``).

    Summed as bytes between record starts, so modulo 256 (no widening copy, no array of positions):
    each true count is its byte sum plus a multiple of 256, so when the byte sums add up to the number
    of marks every one is exact; otherwise a record holds 256 or more and they are counted exactly.
    """
    if not len(ends):
        return np.zeros(0, dtype=np.int64)
    marks = marks[: int(ends[-1]) + 1]
    low = np.add.reduceat(marks.view(np.uint8), starts, dtype=np.uint8)
    if int(low.sum(dtype=np.int64)) == int(np.count_nonzero(marks)):
        return low.astype(np.int64)
    return np.diff(np.searchsorted(np.flatnonzero(marks), ends), prepend=0)


def _line_at(data: bytes, first_line: int, offset: int) -> int:
    return first_line + data.count(b"\n", 0, offset)


def _near(data: bytes, offset: int) -> str:
    """A few characters around ``offset``, for a message (never the whole record)."""
    start = max(data.rfind(b"\n", 0, offset) + 1, offset - 30)
    end = data.find(b"\n", offset)
    end = min(len(data) if end < 0 else end, offset + 30)
    return clip(data[start:end].decode("utf-8", "replace").replace("\r", "\\r"), 80)


def _check_text(arr: np.ndarray, data: bytes, first_line: int) -> None:
    """NUL bytes, then UTF-8: both name the line."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line = _line_at(data, first_line, nul)
        raise InvalidBatchError(
            "nul_byte",
            f"line {line}: a NUL byte (0x00) in the text (binary data, or a UTF-16 export?); "
            "a CSV batch is UTF-8 text",
            line=line,
        )
    if len(arr) and arr.max() >= 0x80:  # pure ASCII is valid UTF-8: skip the decoding copy
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = _line_at(data, first_line, exc.start)
            bad = data[exc.start : exc.start + 1].hex()
            raise InvalidBatchError(
                "not_utf8",
                f"line {line}: byte 0x{bad} is not valid UTF-8; save the file as UTF-8",
                line=line,
            ) from exc


def _stray_quote(arr: np.ndarray, data: bytes, first_line: int) -> InvalidBatchError | None:
    """A double quote where CSV allows none: inside an unquoted field, or text after a closing quote.

    Quotes alternate open/close; an opening quote must start a field (or double the quote just
    closed, ``""``), and a closing quote must end one (or be doubled).
    """
    quotes = np.flatnonzero(arr == _QUOTE)
    if not len(quotes):
        return None
    opens, closes = quotes[0::2], quotes[1::2]
    before = np.where(opens > 0, arr[np.maximum(opens - 1, 0)], _NL)
    doubled_open = np.zeros(len(opens), dtype=bool)
    doubled_open[1:] = closes[: len(opens) - 1] == opens[1:] - 1
    bad_open = ~((before == _COMMA) | (before == _NL) | doubled_open)
    after = np.where(closes + 1 < len(arr), arr[np.minimum(closes + 1, len(arr) - 1)], _NL)
    doubled_close = np.zeros(len(closes), dtype=bool)
    has_next = np.arange(len(closes)) + 1 < len(opens)
    doubled_close[has_next] = opens[1 : 1 + int(has_next.sum())] == closes[has_next] + 1
    bad_close = ~((after == _COMMA) | (after == _NL) | (after == _CR) | doubled_close)
    first_open = int(opens[bad_open][0]) if bad_open.any() else None
    first_close = int(closes[bad_close][0]) if bad_close.any() else None
    if first_open is None and first_close is None:
        return None
    if first_close is None or (first_open is not None and first_open < first_close):
        offset, what = first_open, "a double quote inside an unquoted field"
    else:
        offset, what = first_close, "text after the closing quote of a quoted field"
    line = _line_at(data, first_line, offset)
    return InvalidBatchError(
        "stray_quote",
        f"line {line}: {what} (near {_near(data, offset)!r}); quote the whole field and double any "
        'quote inside it, as in "5\'10"""',
        line=line,
    )


def _check_carriage_returns(arr: np.ndarray, data: bytes, first_line: int, inside: np.ndarray | None) -> None:
    """A CR that is not part of a CRLF line end, outside quotes: pandas would end the record there."""
    cr = np.flatnonzero(arr == _CR)
    following = np.where(cr + 1 < len(arr), arr[np.minimum(cr + 1, len(arr) - 1)], _NL)
    bare = cr[following != _NL]
    if inside is not None:
        bare = bare[~inside[bare]]
    if not len(bare):
        return
    offset = int(bare[0])
    line = _line_at(data, first_line, offset)
    raise InvalidBatchError(
        "carriage_return",
        f"line {line}: a carriage return (CR) inside a field, not part of a CRLF line end (near "
        f"{_near(data, offset)!r}); remove it or quote the field",
        line=line,
    )
