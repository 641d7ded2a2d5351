"""Decode a Parquet file's row groups in a child process, so a damaged page cannot kill the reader.

fastparquet decodes pages in C without bounds checks (dictionary pages, RLE and bit-packed runs): some
damaged pages make it read outside its buffers and the process dies with a segmentation fault, found by
``tests/unit/engine/test_format_fuzz.py``. In a Lambda that is a crash, retried and then parked on the failure
queue, instead of a quarantine with a reason. So the row groups are decoded in a forked child that sends
each one back through a pipe: if the child crashes (a signal such as SIGSEGV) or a page fails to decode,
or does not finish a row group within ``ROW_GROUP_SECONDS`` (fuzzing found damaged pages on which it
never does, every time), the batch is ``parquet_corrupt_data``, and only the child is lost; a child that
ends without a signal and without an answer proves nothing about the file, so that is raised as an error
and the invocation is retried. The footer was checked before the fork (:mod:`parquet_footer`); the child
inherits the opened file. Fork and a pipe need no shared memory (``/dev/shm``), which Lambda lacks.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Iterator
from typing import Any

import pandas as pd

from drift_retrain.echo import echo
from drift_retrain.exceptions import DriftRetrainError, InvalidBatchError

__all__ = ["ROW_GROUP_SECONDS", "ParquetDecoderStalledError", "decoded_row_groups"]

#: Longest wait for one row group (a row group of 128 MB decodes in about a second).
ROW_GROUP_SECONDS = 120.0
#: How a decoder reading outside its memory ends: SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE.
_CRASHES = {-signal.SIGSEGV, -signal.SIGBUS, -signal.SIGABRT, -signal.SIGILL, -signal.SIGFPE}


class ParquetDecoderStalledError(DriftRetrainError):
    """The child decoding pages ended without a crash and without an answer: not proven to be the file
    (raised, so the invocation is retried and, failing again, parked on the failure queue)."""


def decoded_row_groups(parquet: Any) -> Iterator[pd.DataFrame]:
    """Each row group of ``parquet`` (a ``fastparquet.ParquetFile``) as a frame, decoded in a child.

    Raises
    ------
    InvalidBatchError
        ``parquet_corrupt_data`` when a page does not decode, the decoder dies, or it stalls.
    """
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_decode, args=(parquet, send), daemon=True)
    child.start()
    send.close()
    first = 1
    try:
        while True:
            if not receive.poll(ROW_GROUP_SECONDS):
                # Fuzzing found damaged pages on which fastparquet never finishes, on every try: the child
                # is stopped now rather than given another second to end by itself.
                child.kill()
                raise _corrupt(first, f"the decoder did not finish a row group in {ROW_GROUP_SECONDS:.0f} s")
            try:
                kind, payload = receive.recv()
            except EOFError:
                child.join(5)
                if child.exitcode in _CRASHES:
                    raise _corrupt(first, f"the decoder crashed on it (signal {-child.exitcode})") from None
                raise ParquetDecoderStalledError(
                    f"the Parquet decoder ended without an answer (exit code {child.exitcode})"
                ) from None
            if kind == "done":
                return
            if kind == "error":
                raise _corrupt(first, payload)
            first += len(payload)
            yield payload
    finally:
        receive.close()
        child.join(1)
        if child.is_alive():
            child.kill()
            child.join()


def _corrupt(first: int, why: str) -> InvalidBatchError:
    return InvalidBatchError(
        "parquet_corrupt_data",
        f"a Parquet page near row {first:,} cannot be decoded ({echo(why)}): a damaged file; write it again",
        line=first,
    )


def _decode(parquet: Any, send: Any) -> None:  # pragma: no cover - runs in the child
    try:
        for frame in parquet.iter_row_groups():
            why = _bad_dictionary_codes(frame)
            if why:
                send.send(("error", why))
                return
            send.send(("frame", frame))
        send.send(("done", None))
    except Exception as exc:  # a page that does not decode: the data, not the reader
        send.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        send.close()


def _bad_dictionary_codes(frame: pd.DataFrame) -> str | None:
    """Dictionary indices outside the dictionary (a damaged page): pandas trusts a categorical's codes
    and reads outside its memory with them, so they are checked here, in the child."""
    for name in frame.columns:
        values = frame[name]
        if isinstance(values.dtype, pd.CategoricalDtype) and len(values):
            codes = values.cat.codes.to_numpy()
            if codes.min() < -1 or codes.max() >= len(values.cat.categories):
                return f"column {name!r}: a dictionary index outside its dictionary"
    return None
