"""``drift-retrain local run --traffic``: live traffic through the local endpoint, labels arriving later.

Each traffic file (a labelled CSV, like a batch) is sent to the endpoint as InvokeEndpoint requests of a
few rows each, its label column removed and its features encoded as the champion's built-in algorithm
reads them (the baseline profile's encoder, as DetectDrift sends them), each request with an
``InferenceId`` (``<file stem>-<n>``). The endpoint captures them (Data Capture, see
:mod:`.sagemaker.capture`); the driver then flushes the capture buffer, so the files are in
``capture/`` before it moves on.

Labels come later, as on a real system: a file's labels are uploaded as AWS ground-truth JSON Lines
(``{"groundTruthData": {"data": "<labels, one per row of the request>", "encoding": "CSV"},
"eventMetadata": {"eventId": "<InferenceId>"}, "eventVersion": "0"}``) under
``ground-truth/yyyy/mm/dd/hh/`` once ``label_delay`` more files have been sent; whatever is still
pending is uploaded at the end. After each file the local cloud's scheduled rules are fired once
(:meth:`~drift_retrain_local.cloud.LocalCloud.tick`), and every delivery they and the uploads set off
is waited for (bounded).
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from drift_retrain.aws.endpoint import encode_csv_lines, iter_payloads
from drift_retrain.engine.encoding import FeatureEncoder
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.engine.reading import read_csv
from drift_retrain.engine.schema import canonical_label
from drift_retrain.exceptions import DriftRetrainError
from drift_retrain.layout import DEFAULT_PROFILE_KEY, GROUND_TRUTH_PREFIX
from drift_retrain_local.cloud import LocalCloud
from drift_retrain_local.exceptions import LocalRunError
from drift_retrain_local.stack import DeployedStack

__all__ = ["DEFAULT_ROWS_PER_REQUEST", "TrafficDriver", "ground_truth_lines"]

#: Rows per InvokeEndpoint request: "a few", as an application scoring small groups of records.
DEFAULT_ROWS_PER_REQUEST = 10

Echo = Callable[[str], None]


@dataclass(frozen=True)
class _Labels:
    """The labels of one traffic file, waiting to be uploaded: (InferenceId, label texts) per request."""

    name: str
    requests: list[tuple[str, list[str]]]


def ground_truth_lines(requests: list[tuple[str, list[str]]]) -> bytes:
    """AWS's ground-truth JSON Lines: one record per request, its labels as CSV lines (row 0..N-1)."""
    records = (
        {
            "groundTruthData": {"data": "\n".join(labels), "encoding": "CSV"},
            "eventMetadata": {"eventId": inference_id},
            "eventVersion": "0",
        }
        for inference_id, labels in requests
    )
    return "".join(json.dumps(record) + "\n" for record in records).encode("utf-8")


class TrafficDriver:
    """Sends traffic files to a running local cloud's endpoint and uploads their labels later.

    Parameters
    ----------
    cloud : LocalCloud
        The running local cloud (its endpoint deployed).
    echo : callable
        Where progress lines go.
    timeout : float
        Most seconds to wait for the deliveries one file sets off.
    label_delay : int
        A file's labels are uploaded after this many more files (0: right after the file itself).
    rows_per_request : int
        Rows per InvokeEndpoint request.
    stack : DeployedStack, optional
        The stack whose endpoint and bucket are used (default: the cloud's first).
    clock : callable, optional
        ``now() -> datetime`` (UTC) of the label uploads (the ``yyyy/mm/dd/hh`` folder); wall clock by default.
    """

    def __init__(
        self,
        cloud: LocalCloud,
        echo: Echo,
        timeout: float,
        *,
        label_delay: int = 1,
        rows_per_request: int = DEFAULT_ROWS_PER_REQUEST,
        stack: DeployedStack | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if label_delay < 0:
            raise LocalRunError(f"--label-delay must be 0 or more, got {label_delay}")
        self.cloud = cloud
        self.stack = stack or cloud.stack
        self.echo = echo
        self.timeout = timeout
        self.label_delay = label_delay
        self.rows_per_request = max(1, rows_per_request)
        self.bucket = self.stack.bucket
        self.endpoint = self.stack.endpoint_name
        self.s3 = cloud.client("s3")
        self.runtime = cloud.client("sagemaker-runtime")
        self._clock = clock or (lambda: datetime.now(UTC))
        self._pending: deque[_Labels] = deque()

    # ----------------------------------------------------------------------------------------------- API
    def send(self, path: Path, index: int, count: int) -> dict[str, Any]:
        """Send one traffic file; upload the labels that are due; fire the scheduled rules. Its entry."""
        self.echo(f"\n[{index}/{count}] {path.name} -> endpoint {self.endpoint} (traffic, labels removed)")
        started = time.monotonic()
        labels, requests, rows, variants = self._invoke(path)
        capture_keys = self._flush_capture()
        self._pending.append(_Labels(path.name, labels))
        uploaded = []
        while len(self._pending) > self.label_delay:
            uploaded.append(self._upload(self._pending.popleft()))
        fired = self._tick()
        served = ", ".join(f"{name} {n}" for name, n in sorted(variants.items()))
        self.echo(
            f"    {time.monotonic() - started:6.1f}s  {requests} requests ({rows} rows; {served}); "
            f"{len(capture_keys)} capture object(s); labels uploaded: "
            f"{', '.join(u['file'] for u in uploaded) or 'none yet'}; scheduled rules fired: {len(fired)}"
        )
        return {
            "file": path.name,
            "requests": requests,
            "rows": rows,
            "variants": variants,
            "capture_objects": capture_keys,
            "labels_uploaded": uploaded,
            "scheduled_deliveries": len(fired),
        }

    def finish(self) -> list[dict[str, Any]]:
        """Upload every label still pending (the last files' labels arrive after the traffic ends)."""
        uploaded = [self._upload(self._pending.popleft()) for _ in range(len(self._pending))]
        fired = self._tick() if uploaded else []
        if uploaded:
            self.echo(
                f"\nLate labels: {', '.join(u['file'] for u in uploaded)} uploaded; "
                f"scheduled rules fired: {len(fired)}"
            )
        return uploaded

    # ------------------------------------------------------------------------------------------ internals
    def _profile(self) -> BaselineProfile:
        """The champion's baseline profile (read per file: a promotion replaces it)."""
        body = self.s3.get_object(Bucket=self.bucket, Key=DEFAULT_PROFILE_KEY)["Body"].read()
        return BaselineProfile.from_json_bytes(body)

    def _invoke(self, path: Path) -> tuple[list[tuple[str, list[str]]], int, int, dict[str, int]]:
        profile = self._profile()
        schema = profile.schema
        try:
            batch = read_csv(path, schema=schema)
        except DriftRetrainError as error:
            raise LocalRunError(f"traffic file {path} cannot be sent: {error}") from error
        if schema.label not in batch.frame.columns:
            raise LocalRunError(f"traffic file {path} has no label column {schema.label!r}")
        lines = encode_csv_lines(FeatureEncoder.from_profile(profile).transform(batch.frame))
        texts = [_label_text(value, schema.is_classification) for value in batch.frame[schema.label]]
        labels: list[tuple[str, list[str]]] = []
        variants: dict[str, int] = {}
        start = 0
        for number, (rows, body) in enumerate(iter_payloads(lines, max_rows=self.rows_per_request)):
            inference_id = f"{path.stem}-{number:06d}"
            response = self.runtime.invoke_endpoint(
                EndpointName=self.endpoint, ContentType="text/csv", Body=body, InferenceId=inference_id
            )
            response["Body"].read()
            variant = response.get("InvokedProductionVariant", "")
            variants[variant] = variants.get(variant, 0) + 1
            labels.append((inference_id, texts[start : start + rows]))
            start += rows
        return labels, len(labels), start, variants

    def _flush_capture(self) -> list[str]:
        if self.cloud.sagemaker is None:
            return []
        return self.cloud.sagemaker.capture.flush(self.endpoint)

    def _upload(self, pending: _Labels) -> dict[str, Any]:
        now = self._clock().astimezone(UTC)
        key = f"{GROUND_TRUTH_PREFIX}{now:%Y/%m/%d/%H}/{Path(pending.name).stem}-labels.jsonl"
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=ground_truth_lines(pending.requests))
        return {"file": pending.name, "key": key, "records": len(pending.requests)}

    def _tick(self) -> list[Any]:
        """Fire the scheduled rules once and wait for everything set off so far (uploads, rules)."""
        fired = self.cloud.tick()
        self.cloud.events.wait(timeout=self.timeout)
        return fired


def _label_text(value: Any, classification: bool) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""  # an unlabelled row: an empty line keeps the rows after it in place
    if classification:
        return canonical_label(value)
    return repr(float(value))
