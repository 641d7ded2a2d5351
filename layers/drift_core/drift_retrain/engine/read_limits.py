"""How much work one batch may cost: object size, decompressed size, compression ratio, columns, cells.

The reader's memory is flat whatever the size (it streams and samples), but its time is not: about
30 MB/s of CSV on a 2-vCPU Lambda. These limits turn a file that would run a function into its timeout,
or a small gzip that expands to gigabytes of identical rows, into a quarantine with a specific reason.
They are checked from the event (the object's size) before anything is read, and again while reading.
The column count and the cell size bound what one record can cost once parsed (a 60 MB cell becomes
over a gigabyte of parser memory; a 150,000-name header, a minute of work per block).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from drift_retrain.env import env_value
from drift_retrain.exceptions import ConfigError, InvalidBatchError

__all__ = ["ENV_NAMES", "RATIO_CHECK_AFTER_BYTES", "ReadLimits", "human_bytes"]

#: The ratio guard waits for this much output: a small, very repetitive file is harmless.
RATIO_CHECK_AFTER_BYTES = 64 * 1024 * 1024

#: Environment variable of each limit (DetectDrift and PrepareTrainingData read the same three).
ENV_NAMES = {
    "max_object_bytes": "MAX_OBJECT_BYTES",
    "max_decompressed_bytes": "MAX_DECOMPRESSED_BYTES",
    "max_compression_ratio": "MAX_COMPRESSION_RATIO",
    "max_columns": "MAX_COLUMNS",
    "max_cell_bytes": "MAX_CELL_BYTES",
}


def human_bytes(size: int, *, exact: bool = True) -> str:
    """``2.0 GiB (2,147,483,648 bytes)``: readable, and exact for whoever compares with a listing."""
    value, unit = float(size), "bytes"
    for name in ("KiB", "MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, name
    if unit == "bytes":
        return f"{size:,} bytes"
    return f"{value:.1f} {unit} ({size:,} bytes)" if exact else f"{value:.1f} {unit}"


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on one batch read (defaults in docs/configuration.md).

    Attributes
    ----------
    max_object_bytes:
        Largest object accepted, as stored (2 GiB: about 70 s of reading).
    max_decompressed_bytes:
        Most CSV bytes read from one object after gzip decompression (4 GiB: about 140 s).
    max_compression_ratio:
        Most decompressed bytes per compressed byte, checked once ``ratio_check_after_bytes`` have come
        out. CSV gzips 3 to 20 times; a file of identical rows, about 1,000 times.
    ratio_check_after_bytes:
        Output before the ratio is judged (not a deployment setting: tests lower it).
    max_columns:
        Most columns in a header (10,000: models are far narrower; ``too_many_columns`` beyond).
    max_cell_bytes:
        Largest cell, in bytes (1 MiB: no category or number is that long; ``cell_too_large`` beyond).
    """

    max_object_bytes: int = 2 * 1024**3
    max_decompressed_bytes: int = 4 * 1024**3
    max_compression_ratio: float = 100.0
    ratio_check_after_bytes: int = RATIO_CHECK_AFTER_BYTES
    max_columns: int = 10_000
    max_cell_bytes: int = 1024 * 1024

    def __post_init__(self) -> None:
        for name in ("max_object_bytes", "max_decompressed_bytes", "max_columns", "max_cell_bytes"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{ENV_NAMES[name]} must be >= 1, got {getattr(self, name)}")
        if not self.max_compression_ratio >= 1:
            raise ConfigError(f"MAX_COMPRESSION_RATIO must be >= 1, got {self.max_compression_ratio}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ReadLimits:
        """Read ``MAX_OBJECT_BYTES``, ``MAX_DECOMPRESSED_BYTES``, ``MAX_COMPRESSION_RATIO``,
        ``MAX_COLUMNS`` and ``MAX_CELL_BYTES`` (each optional)."""
        d = cls()
        return cls(
            max_columns=env_value(environ, ENV_NAMES["max_columns"], d.max_columns, int),
            max_cell_bytes=env_value(environ, ENV_NAMES["max_cell_bytes"], d.max_cell_bytes, int),
            max_object_bytes=env_value(environ, ENV_NAMES["max_object_bytes"], d.max_object_bytes, int),
            max_decompressed_bytes=env_value(
                environ, ENV_NAMES["max_decompressed_bytes"], d.max_decompressed_bytes, int
            ),
            max_compression_ratio=env_value(
                environ, ENV_NAMES["max_compression_ratio"], d.max_compression_ratio, float
            ),
        )

    def check_object_size(self, size: int | None) -> None:
        """Raise ``object_too_large`` when a known size (from the event or a listing) is over the limit."""
        if size is not None and int(size) > self.max_object_bytes:
            raise self.object_too_large(int(size))

    def object_too_large(self, size: int, *, at_least: bool = False) -> InvalidBatchError:
        how = "at least " if at_least else ""
        return InvalidBatchError(
            "object_too_large",
            f"the object is {how}{human_bytes(size)}, over MAX_OBJECT_BYTES="
            f"{human_bytes(self.max_object_bytes)}: split it into smaller batches",
        )

    def cell_too_large(self, line: int, column: str, size: int) -> InvalidBatchError:
        return InvalidBatchError(
            "cell_too_large",
            f"line {line}, column {column}: a cell of {human_bytes(size)}, over MAX_CELL_BYTES="
            f"{human_bytes(self.max_cell_bytes)}: no value a model reads is that long (a file pasted "
            "into a cell, or a quote left open on purpose?)",
            line=line,
        )

    def decompressed_too_large(self) -> InvalidBatchError:
        return InvalidBatchError(
            "decompressed_too_large",
            f"the gzip data expands past MAX_DECOMPRESSED_BYTES={human_bytes(self.max_decompressed_bytes)}: "
            "split it into smaller batches",
        )

    def compression_ratio(self, out_bytes: int, in_bytes: int) -> InvalidBatchError:
        return InvalidBatchError(
            "compression_ratio",
            f"the gzip data expands {out_bytes / max(1, in_bytes):,.0f} times ({human_bytes(out_bytes, exact=False)} "
            f"from {human_bytes(in_bytes, exact=False)} so far), over MAX_COMPRESSION_RATIO="
            f"{self.max_compression_ratio:g}: a decompression bomb, or rows repeated many times over",
        )
