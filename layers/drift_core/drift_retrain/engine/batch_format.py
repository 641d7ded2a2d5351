"""What a batch file is, from its first bytes: CSV text, gzip, or something to reject by name.

A Parquet file or a zip archive is not "invalid UTF-8" and NUL bytes are not "renamed columns": a person
fixes a file faster when the reason names what the file is. Only the first few KiB are looked at (the
object is a stream), so the checks are on signatures and on the shape of the text, never on the whole.
"""

from __future__ import annotations

from drift_retrain.exceptions import InvalidBatchError

__all__ = ["GZIP_MAGIC", "SNIFF_BYTES", "UTF8_BOM", "check_head", "is_gzip"]

#: How much of the start of a file (and of the start of its decompressed content) is looked at.
SNIFF_BYTES = 4096
GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"

_AS_CSV = "export the batch as CSV text (UTF-8, .csv or .csv.gz)"

#: Signatures that no CSV text starts with: (prefix, code, what the file is).
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"PK\x03\x04", "zip_archive", "is a zip archive (an Excel .xlsx workbook is one too), not CSV"),
    (b"PK\x05\x06", "zip_archive", "is an empty zip archive, not CSV"),
    (b"PK\x07\x08", "zip_archive", "is a zip archive, not CSV"),
    (b"\xfd7zXZ\x00", "unsupported_compression", "is xz-compressed; only gzip is accepted"),
    (b"\x28\xb5\x2f\xfd", "unsupported_compression", "is zstd-compressed; only gzip is accepted"),
    (b"\x04\x22\x4d\x18", "unsupported_compression", "is LZ4-compressed; only gzip is accepted"),
    (b"7z\xbc\xaf\x27\x1c", "unsupported_compression", "is a 7-Zip archive; only gzip is accepted"),
    (b"Rar!\x1a\x07", "unsupported_compression", "is a RAR archive; only gzip is accepted"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "binary_file", "looks like a legacy Excel (.xls) or Office file"),
    (b"Obj\x01", "binary_file", "looks like an Avro file"),
    (b"ARROW1", "binary_file", "looks like an Arrow/Feather file"),
    (b"SQLite format 3\x00", "binary_file", "is an SQLite database"),
    (b"%PDF-", "binary_file", "is a PDF document"),
)
#: Signatures made of letters a CSV header could start with: they count only when binary bytes follow.
_TEXT_LIKE_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"PAR1", "parquet", "looks like a Parquet file (it starts with PAR1), not CSV"),
    (b"ORC", "binary_file", "looks like an ORC file"),
)
#: Control bytes no CSV text holds (tab, LF, VT, FF, CR and ESC excluded).
_CONTROL = frozenset(range(0x00, 0x09)) | frozenset(range(0x0E, 0x1B)) | frozenset(range(0x1C, 0x20))
#: Above this share of control bytes in the first KiB, the file is binary data.
_BINARY_SHARE = 0.10


def is_gzip(head: bytes) -> bool:
    return head.startswith(GZIP_MAGIC)


def check_head(head: bytes, *, inside_gzip: bool = False) -> None:
    """Raise a specific ``InvalidBatchError`` when the first bytes are not CSV text; else return.

    ``inside_gzip``: ``head`` is the start of a gzip member's content (so a second gzip is named).
    """
    where = "the file inside the gzip" if inside_gzip else "the file"
    if inside_gzip and is_gzip(head):
        raise InvalidBatchError(
            "unsupported_compression", "the file is gzip inside gzip (compressed twice): compress it once"
        )
    if head.startswith(b"BZh") and head[4:10] == b"1AY&SY":
        _reject("unsupported_compression", where, "is bzip2-compressed; only gzip is accepted")
    for prefix, code, what in _SIGNATURES:
        if head.startswith(prefix):
            _reject(code, where, what)
    _check_unicode_width(head, where)
    body = head[len(UTF8_BOM) :] if head.startswith(UTF8_BOM) else head
    if not body:
        return
    if body.count(0) == len(body):
        raise InvalidBatchError(
            "binary_file",
            f"{where} holds only NUL (0x00) bytes: a zero-filled or interrupted upload, not CSV",
        )
    binary = _control_share(body) > _BINARY_SHARE
    for prefix, code, what in _TEXT_LIKE_SIGNATURES:
        if body.startswith(prefix) and (binary or 0 in body):
            _reject(code, where, what)
    if binary:
        raise InvalidBatchError(
            "binary_file",
            f"{where} is binary data, not CSV text: {_control_share(body):.0%} of its first "
            f"{len(body):,} bytes are control bytes; {_AS_CSV}",
        )


def _reject(code: str, where: str, what: str) -> None:
    raise InvalidBatchError(code, f"{where} {what}: {_AS_CSV}")


def _check_unicode_width(head: bytes, where: str) -> None:
    """UTF-16 and UTF-32, with a byte-order mark or recognisable by their NUL bytes."""
    for bom, name in (
        (b"\xff\xfe\x00\x00", "UTF-32"),
        (b"\x00\x00\xfe\xff", "UTF-32"),
        (b"\xff\xfe", "UTF-16"),
        (b"\xfe\xff", "UTF-16"),
    ):
        if head.startswith(bom):
            raise InvalidBatchError(
                "utf16", f"{where} is {name} text (it starts with a {name} byte-order mark): save it as UTF-8"
            )
    sample = head[: len(head) - len(head) % 2]
    if len(sample) < 8:
        return
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    # ASCII text in UTF-16: every other byte is NUL (odd ones little-endian, even ones big-endian).
    if max(even, odd) >= 0.6 * half and min(even, odd) <= 0.2 * half:
        raise InvalidBatchError(
            "utf16",
            f"{where} looks like UTF-16 (or UTF-32) text without a byte-order mark: every other byte is "
            "NUL (0x00); save it as UTF-8",
        )


def _control_share(body: bytes) -> float:
    sample = body[:1024]
    return sum(1 for byte in sample if byte in _CONTROL) / max(1, len(sample))
