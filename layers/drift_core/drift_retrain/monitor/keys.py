"""Where the capture monitor keeps its state in the data bucket (one place for every ``monitor/`` key).

DetectDrift checks the window batches, PrepareTrainingData trains on the labelled ones: these keys are a
contract between three Lambdas, so they are built here only.

==============================================  ===============================================================
key                                             what
==============================================  ===============================================================
``capture/<endpoint>/<variant>/yyyy/mm/dd/hh/``  Data Capture files (written by SageMaker)
``ground-truth/yyyy/mm/dd/hh/``                  ground-truth files (written by the team's labelling)
``incoming-stream/<name>/...``                   a data stream's small objects (Firehose-style rows)
``monitor/parts/<endpoint>/<variant>/<part>``    one capture object's good rows, written once (``If-None-Match``)
``monitor/labels/<part>``                        one ground-truth object's labels, written once
``monitor/streams/<endpoint>/<variant>.json``    the stream's ledger: which parts each window took
``monitor/models/<endpoint>.json``               the endpoint-config history (which model served when)
``monitor/windows/<endpoint>/<variant>/<w>.csv``  a closed window, unlabelled (DetectDrift: alerts only)
``monitor/labelled/<endpoint>/<variant>/...``    a window's joined rows, ``<w>-r<rev>.csv`` (checked, trained on)
``incoming/stream-<name>/<w>.csv``               a data stream's closed window: an ordinary batch
==============================================  ===============================================================

A data stream is windowed by the same parts, ledger and rules as a capture stream: it is the stream
``_incoming-stream/<name>`` (:data:`DATA_STREAMS` in the endpoint's place; no SageMaker endpoint name can
start with ``_``), so its parts and ledger sit under ``monitor/parts/`` and ``monitor/streams/`` beside
the capture streams'. Only its window's key differs: ``incoming/``, where DetectDrift checks any batch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from drift_retrain.aws import naming
from drift_retrain.layout import (
    CAPTURE_PREFIX,
    GROUND_TRUTH_PREFIX,
    INCOMING_PREFIX,
    MONITOR_PREFIX,
    STREAM_PREFIX,
)

__all__ = [
    "CAPTURE_PREFIX",
    "DATA_STREAMS",
    "GROUND_TRUTH_PREFIX",
    "LABELLED_PREFIX",
    "LABELS_PREFIX",
    "MODEL_COLUMN",
    "MONITOR_PREFIX",
    "PARTS_PREFIX",
    "STREAMS_PREFIX",
    "STREAM_BATCH_PREFIX",
    "STREAM_PREFIX",
    "WINDOWS_PREFIX",
    "LabelledKey",
    "PartKey",
    "Stream",
    "is_capture_batch",
    "labelled_key",
    "models_key",
    "object_part_name",
    "parse_labelled_key",
    "parse_part_key",
    "parse_window_key",
    "window_key",
]

PARTS_PREFIX = "monitor/parts/"
LABELS_PREFIX = "monitor/labels/"
STREAMS_PREFIX = "monitor/streams/"
MODELS_PREFIX = "monitor/models/"
WINDOWS_PREFIX = "monitor/windows/"
LABELLED_PREFIX = "monitor/labelled/"
#: The endpoint segment of every data stream (``incoming-stream/<name>/``): never a SageMaker endpoint name.
DATA_STREAMS = "_incoming-stream"
#: Where a data stream's closed windows go: ``incoming/stream-<name>/<w>.csv``, ordinary batches.
STREAM_BATCH_PREFIX = f"{INCOMING_PREFIX}stream-"
#: A data stream's name: its folder under ``incoming-stream/`` (it names a folder under ``incoming/``).
_STREAM_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
#: The model that served a captured row (the monitor's own column, next to the capture contract's).
MODEL_COLUMN = "_capture_model"

_PART = re.compile(r"^(?P<name>.+)\.r(?P<rows>\d+)\.csv$")
_LABELLED = re.compile(r"^(?P<window>w\d+)-r(?P<revision>\d+)\.csv$")


@dataclass(frozen=True, order=True)
class Stream:
    """One endpoint variant's capture stream (its rows are windowed apart from every other variant's),
    or one data stream (:meth:`data`: ``incoming-stream/<name>/``, windowed by the same ledger)."""

    endpoint: str
    variant: str

    @classmethod
    def data(cls, name: str) -> Stream:
        """The data stream ``incoming-stream/<name>/``."""
        return cls(DATA_STREAMS, name)

    @property
    def is_data(self) -> bool:
        return self.endpoint == DATA_STREAMS

    @property
    def name(self) -> str:
        """A data stream's name (a capture stream's ``<endpoint>/<variant>``)."""
        return self.variant if self.is_data else self.path

    @property
    def path(self) -> str:
        return f"{self.endpoint}/{self.variant}"

    @classmethod
    def from_stream_key(cls, key: str) -> Stream | None:
        """``incoming-stream/<name>/.../<file>`` -> its data stream; ``None`` for a key with no valid
        ``<name>/`` folder (the object is quarantined: ``stream_name``) or outside ``incoming-stream/``."""
        if not key.startswith(STREAM_PREFIX):
            return None
        parts = key[len(STREAM_PREFIX) :].split("/")
        if len(parts) < 2 or not parts[-1] or not _STREAM_NAME.match(parts[0]):
            return None
        return cls.data(parts[0])

    def source_prefix(self) -> str:
        """Where this stream's source objects are: the part names are their keys below it."""
        return f"{STREAM_PREFIX}{self.name}/" if self.is_data else f"{CAPTURE_PREFIX}{self.path}/"

    @classmethod
    def from_capture_key(cls, key: str) -> Stream | None:
        """``capture/<endpoint>/<variant>/yyyy/mm/dd/hh/<file>`` -> its stream (``None`` for other keys)."""
        if not key.startswith(CAPTURE_PREFIX):
            return None
        parts = key[len(CAPTURE_PREFIX) :].split("/")
        if len(parts) < 3 or not parts[0] or not parts[1] or not parts[-1]:
            return None
        return cls(parts[0], parts[1])

    def ledger_key(self) -> str:
        return f"{STREAMS_PREFIX}{self.path}.json"

    def parts_prefix(self) -> str:
        return f"{PARTS_PREFIX}{self.path}/"

    def labelled_prefix(self) -> str:
        return f"{LABELLED_PREFIX}{self.path}/"


@dataclass(frozen=True)
class PartKey:
    """A stored part: its name (from the source object) and its good rows (in the key, so a listing
    counts a window's rows without reading a byte)."""

    name: str
    rows: int


@dataclass(frozen=True)
class LabelledKey:
    stream: Stream
    window: str
    revision: int


def object_part_name(key: str, etag: str | None, prefix: str) -> str:
    """A part's name: the source key below ``prefix`` (its hour folders first, so names sort by time)
    and a hash of key and ETag. The same bytes delivered twice, or uploaded again under the same key,
    give the same name: the conditional write then refuses the second copy."""
    stem = key[len(prefix) :] if key.startswith(prefix) else key
    digest = naming.batch_id_for(key, None, etag or "")[-8:]
    return f"{naming.sanitize(stem.rsplit('.', 1)[0], max_length=150)}-{digest}"


def part_key(stream: Stream, name: str, rows: int) -> str:
    return f"{stream.parts_prefix()}{name}.r{rows}.csv"


def parse_part_key(stream: Stream, key: str) -> PartKey | None:
    match = _PART.match(key[len(stream.parts_prefix()) :]) if key.startswith(stream.parts_prefix()) else None
    return None if match is None else PartKey(match["name"], int(match["rows"]))


def labels_key(name: str) -> str:
    return f"{LABELS_PREFIX}{name}.csv"


def models_key(endpoint: str) -> str:
    return f"{MODELS_PREFIX}{endpoint}.json"


def window_id(number: int) -> str:
    return f"w{number:06d}"


def window_key(stream: Stream, window: str) -> str:
    """A closed window's batch: ``monitor/windows/...`` for a capture stream (DetectDrift: alerts only),
    ``incoming/stream-<name>/<w>.csv`` for a data stream (checked as any batch)."""
    if stream.is_data:
        return f"{STREAM_BATCH_PREFIX}{stream.name}/{window}.csv"
    return f"{WINDOWS_PREFIX}{stream.path}/{window}.csv"


def labelled_key(stream: Stream, window: str, revision: int) -> str:
    return f"{stream.labelled_prefix()}{window}-r{revision:02d}.csv"


def parse_labelled_key(key: str) -> LabelledKey | None:
    """``monitor/labelled/<endpoint>/<variant>/<w>-r<rev>.csv`` -> its parts (``None`` otherwise)."""
    if not key.startswith(LABELLED_PREFIX):
        return None
    parts = key[len(LABELLED_PREFIX) :].split("/")
    match = _LABELLED.match(parts[-1]) if len(parts) == 3 else None
    if match is None:
        return None
    return LabelledKey(Stream(parts[0], parts[1]), match["window"], int(match["revision"]))


def parse_window_key(key: str) -> tuple[Stream, str] | None:
    """``monitor/windows/<endpoint>/<variant>/<w>.csv`` -> (stream, window) (``None`` otherwise)."""
    if not key.startswith(WINDOWS_PREFIX) or not key.endswith(".csv"):
        return None
    parts = key[len(WINDOWS_PREFIX) :].removesuffix(".csv").split("/")
    return (Stream(parts[0], parts[1]), parts[2]) if len(parts) == 3 and all(parts) else None


def is_capture_batch(key: str) -> bool:
    """A window batch the monitor materialised (read with :mod:`.frames`, not the CSV batch reader)."""
    return key.startswith((WINDOWS_PREFIX, LABELLED_PREFIX)) and key.endswith(".csv")
