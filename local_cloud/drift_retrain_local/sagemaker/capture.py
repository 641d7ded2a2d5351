"""Data Capture of the local endpoints: what SageMaker writes to S3 for an endpoint config with a
``DataCaptureConfig``, in AWS's own layout ("Capture data from real-time endpoint", SageMaker guide).

- **Where**: ``<DestinationS3Uri>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm>-<ss>-<mmm>-<uuid>.jsonl``, the hour
  folder and the file name taken from the first record the file holds (UTC), one stream per variant.
- **What**: JSON Lines, one record per captured request::

    {"captureData": {"endpointInput": {"observedContentType": "text/csv", "mode": "INPUT",
                                       "data": "...", "encoding": "CSV"},
                     "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT",
                                        "data": "...", "encoding": "CSV"}},
     "eventMetadata": {"eventId": "<uuid>", "inferenceTime": "2026-12-05T08:44:45Z",
                       "inferenceId": "<the request's InferenceId, only when set>"},
     "eventVersion": "0"}

  A body whose media type is in ``CaptureContentTypeHeader.CsvContentTypes`` is written as text with
  encoding ``CSV``, one in ``JsonContentTypes`` as text with ``JSON``; any other body (or a declared
  one that is not UTF-8) as ``BASE64``, as SageMaker does when no header is declared.
- **Which requests**: ``InitialSamplingPercentage`` of them, drawn with a seeded generator;
  ``CaptureOptions`` says whether the input, the output or both are written; ``EnableCapture: false``
  writes nothing. Only answered requests are captured (a request the model refused has no output).
- **When**: SageMaker buffers records on the instance and uploads a file every few minutes. The local
  endpoint keeps a bounded buffer per stream instead: a file is written when the buffer holds
  ``max_records`` records or ``max_bytes`` bytes, when the next record belongs to another hour, and on
  :meth:`CaptureWriter.flush` (what the traffic driver and the tests call; nothing waits on a clock).

The writer knows nothing about moto: it gets a ``put(bucket, key, body, kms_key_id)`` callable.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "CaptureSettings",
    "CaptureStream",
    "CaptureWriter",
    "capture_key",
    "capture_record",
    "captured_body",
]

logger = logging.getLogger(__name__)

#: ``put(bucket, key, body, kms_key_id)``: writes one capture file (raises on failure).
Put = Callable[[str, str, bytes, str | None], None]
#: The moment a request is answered (UTC); tests pass a fixed clock.
Clock = Callable[[], datetime]

CSV, JSON, BASE64 = "CSV", "JSON", "BASE64"


@dataclass(frozen=True)
class CaptureSettings:
    """One endpoint config's ``DataCaptureConfig``, as the endpoint applies it."""

    bucket: str
    prefix: str
    sampling_percentage: float
    capture_input: bool
    capture_output: bool
    csv_content_types: frozenset[str] = frozenset()
    json_content_types: frozenset[str] = frozenset()
    kms_key_id: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> CaptureSettings | None:
        """The settings of a DescribeEndpointConfig ``DataCaptureConfig``; None when capture is off
        (no config, ``EnableCapture: false``, or no destination)."""
        if not config or config.get("EnableCapture") is False:
            return None
        destination = str(config.get("DestinationS3Uri") or "")
        if not destination.startswith("s3://") or not destination[5:].split("/", 1)[0]:
            return None
        bucket, _, prefix = destination[5:].partition("/")
        modes = {str(option.get("CaptureMode")) for option in config.get("CaptureOptions") or []}
        header = config.get("CaptureContentTypeHeader") or {}
        return cls(
            bucket=bucket,
            prefix=prefix.strip("/"),
            sampling_percentage=float(config.get("InitialSamplingPercentage") or 0),
            capture_input=bool(modes & {"Input", "InputAndOutput"}),
            capture_output=bool(modes & {"Output", "InputAndOutput"}),
            csv_content_types=frozenset(_media_type(t) for t in header.get("CsvContentTypes") or []),
            json_content_types=frozenset(_media_type(t) for t in header.get("JsonContentTypes") or []),
            kms_key_id=str(config["KmsKeyId"]) if config.get("KmsKeyId") else None,
        )

    def encoding_of(self, content_type: str | None) -> str:
        """``CSV``, ``JSON`` or ``BASE64`` for a body of this content type (parameters such as
        ``; charset=utf-8`` ignored)."""
        media = _media_type(content_type or "")
        if media in self.csv_content_types:
            return CSV
        if media in self.json_content_types:
            return JSON
        return BASE64


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def captured_body(body: bytes, content_type: str | None, mode: str, settings: CaptureSettings) -> dict:
    """``endpointInput`` / ``endpointOutput`` of a record: the body as text when its content type is
    declared (and it is UTF-8), else base64."""
    encoding = settings.encoding_of(content_type)
    data: str | None = None
    if encoding != BASE64:
        try:
            data = body.decode("utf-8")
        except UnicodeDecodeError:
            encoding = BASE64
    if data is None:
        data = base64.b64encode(body).decode("ascii")
    return {"observedContentType": content_type or "", "mode": mode, "data": data, "encoding": encoding}


def capture_record(
    *,
    event_id: str,
    inference_time: datetime,
    settings: CaptureSettings,
    request: bytes,
    request_type: str | None,
    response: bytes,
    response_type: str | None,
    inference_id: str | None = None,
) -> dict[str, Any]:
    """One JSON Lines record of a captured request."""
    capture: dict[str, Any] = {}
    if settings.capture_input:
        capture["endpointInput"] = captured_body(request, request_type, "INPUT", settings)
    if settings.capture_output:
        capture["endpointOutput"] = captured_body(response, response_type, "OUTPUT", settings)
    metadata = {"eventId": event_id, "inferenceTime": inference_time.strftime("%Y-%m-%dT%H:%M:%SZ")}
    if inference_id:
        metadata["inferenceId"] = inference_id
    return {"captureData": capture, "eventMetadata": metadata, "eventVersion": "0"}


def capture_key(prefix: str, endpoint: str, variant: str, opened: datetime, file_id: str) -> str:
    """``<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm>-<ss>-<mmm>-<uuid>.jsonl``."""
    name = f"{opened:%M-%S}-{opened.microsecond // 1000:03d}-{file_id}.jsonl"
    folder = f"{endpoint}/{variant}/{opened:%Y/%m/%d/%H}"
    return f"{prefix}/{folder}/{name}" if prefix else f"{folder}/{name}"


@dataclass
class CaptureStream:
    """The buffered records of one (endpoint, variant) stream, not yet written."""

    settings: CaptureSettings
    opened: datetime
    lines: list[bytes] = field(default_factory=list)
    size: int = 0


class CaptureWriter:
    """Samples, buffers and writes the capture files of every local endpoint.

    Parameters
    ----------
    put : callable
        ``put(bucket, key, body, kms_key_id)``.
    seed : int
        Seed of the sampling draws and of the event and file ids (reproducible runs).
    max_records, max_bytes : int
        A stream's buffer is written out once it holds this many records or bytes.
    clock : callable, optional
        ``now() -> datetime`` (UTC) of each request; the wall clock by default.
    """

    def __init__(
        self,
        put: Put,
        *,
        seed: int = 0,
        max_records: int = 1000,
        max_bytes: int = 4 * 1024 * 1024,
        clock: Clock | None = None,
    ) -> None:
        self._put = put
        self._rng = random.Random(seed)
        self.max_records = max(1, int(max_records))
        self.max_bytes = max(1, int(max_bytes))
        self._clock = clock or (lambda: datetime.now(UTC))
        self._streams: dict[tuple[str, str], CaptureStream] = {}
        self._lock = threading.Lock()
        #: Every key written so far, in order.
        self.written: list[str] = []

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def capture(
        self,
        endpoint: str,
        variant: str,
        settings: CaptureSettings | None,
        *,
        request: bytes,
        request_type: str | None,
        response: bytes,
        response_type: str | None,
        inference_id: str | None = None,
    ) -> bool:
        """Record one answered request if the sampling draw keeps it; True when it was captured."""
        if settings is None or not (settings.capture_input or settings.capture_output):
            return False
        full: list[tuple[str, CaptureStream]] = []
        with self._lock:
            if self._rng.random() * 100.0 >= settings.sampling_percentage:
                return False
            now = self._clock().astimezone(UTC)
            record = capture_record(
                event_id=self._uuid(),
                inference_time=now,
                settings=settings,
                request=request,
                request_type=request_type,
                response=response,
                response_type=response_type,
                inference_id=inference_id,
            )
            line = (json.dumps(record, separators=(",", ":")) + "\n").encode("utf-8")
            key = (endpoint, variant)
            stream = self._streams.get(key)
            if stream is not None and (
                stream.settings != settings or _hour(stream.opened) != _hour(now)
            ):  # another hour's folder, or another config's destination: a new file
                full.append((self._file_key(key, stream), self._streams.pop(key)))
                stream = None
            if stream is None:
                stream = self._streams[key] = CaptureStream(settings, now)
            stream.lines.append(line)
            stream.size += len(line)
            if len(stream.lines) >= self.max_records or stream.size >= self.max_bytes:
                full.append((self._file_key(key, stream), self._streams.pop(key)))
        self._write(full)
        return True

    def flush(self, endpoint: str | None = None) -> list[str]:
        """Write every buffered stream (of ``endpoint`` only, when given); the keys written."""
        with self._lock:
            keys = [k for k in self._streams if endpoint is None or k[0] == endpoint]
            full = [(self._file_key(k, self._streams[k]), self._streams.pop(k)) for k in keys]
        return self._write(full)

    def pending(self) -> int:
        """Records buffered and not yet written."""
        with self._lock:
            return sum(len(stream.lines) for stream in self._streams.values())

    def _file_key(self, key: tuple[str, str], stream: CaptureStream) -> str:
        return capture_key(stream.settings.prefix, key[0], key[1], stream.opened, self._uuid())

    def _write(self, files: list[tuple[str, CaptureStream]]) -> list[str]:
        written = []
        for key, stream in files:
            try:
                self._put(stream.settings.bucket, key, b"".join(stream.lines), stream.settings.kms_key_id)
            except Exception as error:  # capture never fails a request, as on AWS
                logger.warning("capture file s3://%s/%s not written: %s", stream.settings.bucket, key, error)
                continue
            written.append(key)
        with self._lock:
            self.written.extend(written)
        return written


def _hour(moment: datetime) -> tuple[int, int, int, int]:
    return moment.year, moment.month, moment.day, moment.hour
