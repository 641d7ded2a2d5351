"""``drift-retrain local run --traffic``: live traffic through the local endpoint, labels arriving later.

Traffic files (labelled CSVs, like batches) are one stream of requests, sent in order. Each request holds
a few rows, its label column removed and its features encoded as the champion's built-in algorithm reads
them (the baseline profile's encoder, as DetectDrift sends them), with an ``InferenceId``
(``<file stem>-<n>``). The endpoint captures them (Data Capture, :mod:`drift_retrain_local.sagemaker.capture`). Every
``capture_rows`` rows (a quarter of ``monitor_window_rows`` by default) the capture buffer is flushed, as
SageMaker writes a capture file every few minutes, so a monitoring window is a few capture files.

Labels come later, as on a real system: the labels of a capture file's rows are uploaded as AWS
ground-truth JSON Lines (``{"groundTruthData": {"data": "<labels, one per row of the request>",
"encoding": "CSV"}, "eventMetadata": {"eventId": "<InferenceId>"}, "eventVersion": "0"}``) under
``ground-truth/yyyy/mm/dd/hh/`` once ``label_delay`` windows' worth of rows (``label_delay`` x
``monitor_window_rows``) have been sent after them; what is still pending is uploaded at the end.

Deliveries are settled one at a time, in a defined order: each capture file, then each ground-truth file
that falls due (oldest first), then the scheduled rules fired once
(:meth:`~drift_retrain_local.cloud.local_cloud.LocalCloud.tick`); each is waited for, with the windows it
made checked and followed, before the next is sent. So the labels a window's revision holds follow from
the traffic and the label delay alone, never from which invocation a loaded machine ran first. Each
window DetectDrift checks is followed to its end, as ``local run`` follows a batch (a retrain's execution
too, so the traffic after it meets the model it promoted), and becomes a timeline entry: the estimated
error of the unlabelled window, the realised error once its labels have joined, and the outcome. Each
file's **served error** is measured from the endpoint's own answers against the file's
labels: what the users of the endpoint got.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from drift_retrain.aws import storage
from drift_retrain.aws.endpoint import encode_csv_lines, iter_payloads
from drift_retrain.capture.bodies import body_kind
from drift_retrain.capture.exceptions import CaptureRecordError
from drift_retrain.capture.outputs import served_predictions
from drift_retrain.engine.encoding import FeatureEncoder
from drift_retrain.engine.profile import BaselineProfile
from drift_retrain.engine.reading import read_csv
from drift_retrain.engine.schema import Schema, canonical_label
from drift_retrain.exceptions import DriftRetrainError
from drift_retrain.layout import DEFAULT_PROFILE_KEY, GROUND_TRUTH_PREFIX
from drift_retrain.monitor.keys import LABELLED_PREFIX, WINDOWS_PREFIX, parse_labelled_key, parse_window_key
from drift_retrain.reports.formatting import fmt_rate
from drift_retrain_local.cloud.local_cloud import LocalCloud
from drift_retrain_local.exceptions import LocalRunError
from drift_retrain_local.run.batches import BatchRunner
from drift_retrain_local.run.observe import endpoint_config
from drift_retrain_local.run.summary import served_text
from drift_retrain_local.stack.deploy import DeployedStack

__all__ = ["DEFAULT_ROWS_PER_REQUEST", "TrafficDriver", "ground_truth_lines"]

#: Rows per InvokeEndpoint request: "a few", as an application scoring small groups of records.
DEFAULT_ROWS_PER_REQUEST = 10
#: Capture files per monitoring window (``capture_rows`` = ``monitor_window_rows`` / this, by default).
CAPTURE_FILES_PER_WINDOW = 4
#: A window's outcome, most telling first: the one its timeline entry shows when it was checked again.
_OUTCOME_RANK = (
    "promoted",
    "promoted_incomplete",
    "rejected",
    "failed",
    "ab_testing",
    "ab_evidence",
    "drift_alert",
    "no_drift",
)

Echo = Callable[[str], None]


@dataclass(frozen=True)
class _Labels:
    """The labels of one capture file's requests, due once ``due_at`` rows have been sent."""

    name: str
    requests: list[tuple[str, list[str]]]
    due_at: int


@dataclass
class _FileTally:
    """One traffic file as it is sent: requests, rows, served errors, variants, capture objects."""

    name: str
    classification: bool = True
    requests: int = 0
    rows: int = 0
    labelled: int = 0
    wrong: int = 0
    unreadable_answers: int = 0
    variants: dict[str, int] = field(default_factory=dict)
    capture_objects: list[str] = field(default_factory=list)
    labels_uploaded: list[str] = field(default_factory=list)
    windows: list[str] = field(default_factory=list)

    def entry(self) -> dict[str, Any]:
        mean = self.wrong / self.labelled if self.labelled else None
        return {
            "file": self.name,
            "requests": self.requests,
            "rows": self.rows,
            "served_error" if self.classification else "served_mae": mean,
            "served_rows": self.labelled,
            "unreadable_answers": self.unreadable_answers,
            "variants": self.variants,
            "capture_objects": self.capture_objects,
            "labels_uploaded": self.labels_uploaded,
            "windows_checked": self.windows,
        }


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
    """Sends traffic files to a running local cloud's endpoint, uploads their labels later, and follows
    every window DetectDrift checks.

    Parameters
    ----------
    cloud : LocalCloud
        The running local cloud (its endpoint deployed).
    echo : callable
        Where progress lines go.
    timeout : float
        Most seconds to wait for one delivery or one execution.
    label_delay : int
        Windows' worth of rows sent after a capture file before its labels are uploaded (0: at once).
    rows_per_request : int
        Rows per InvokeEndpoint request.
    capture_rows : int, optional
        Rows per capture file (default: ``window_rows`` / 4).
    window_rows : int, optional
        Rows of one window of label delay (default: the stack's ``monitor_window_rows``).
    stack : DeployedStack, optional
        The stack whose endpoint and bucket are used (default: the cloud's first).
    clock : callable, optional
        ``now() -> datetime`` (UTC) of the label uploads (the ``yyyy/mm/dd/hh`` folder); wall clock by default.
    verbose : bool
        Also echo each step of a followed execution.
    """

    def __init__(
        self,
        cloud: LocalCloud,
        echo: Echo,
        timeout: float,
        *,
        label_delay: int = 1,
        rows_per_request: int = DEFAULT_ROWS_PER_REQUEST,
        capture_rows: int | None = None,
        window_rows: int | None = None,
        stack: DeployedStack | None = None,
        clock: Callable[[], datetime] | None = None,
        verbose: bool = False,
    ) -> None:
        if label_delay < 0:
            raise LocalRunError(f"--label-delay must be 0 or more, got {label_delay}")
        self.cloud = cloud
        self.stack = stack or cloud.stack
        self.echo = echo
        self.timeout = timeout
        self.label_delay = label_delay
        self.rows_per_request = max(1, rows_per_request)
        self.window_rows = window_rows or int(self.stack.template.settings["monitor_window_rows"])
        self.capture_rows = max(
            self.rows_per_request, capture_rows or self.window_rows // CAPTURE_FILES_PER_WINDOW
        )
        self.bucket = self.stack.bucket
        self.endpoint = self.stack.endpoint_name
        self.s3 = cloud.client("s3")
        self.runtime = cloud.client("sagemaker-runtime")
        self.runner = BatchRunner(cloud, echo, timeout, self.stack, verbose=verbose)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._pending: deque[_Labels] = deque()
        self._sent_rows = 0
        self._seen_deliveries = len(cloud.events.deliveries)  # what happened before is not this traffic's
        #: Window id -> its timeline entry (estimate, realised error, outcome), in the order checked.
        self.windows: dict[str, dict[str, Any]] = {}

    # ----------------------------------------------------------------------------------------------- API
    def send(self, path: Path, index: int, count: int) -> dict[str, Any]:
        """Send one traffic file, a capture file at a time; its entry (with its served error)."""
        self.echo(f"\n[{index}/{count}] {path.name} -> endpoint {self.endpoint} (traffic, labels removed)")
        started = time.monotonic()
        tally = _FileTally(path.name)
        for number, (lines, texts, schema) in enumerate(self._slices(path)):
            requests = self._invoke(path, lines, texts, schema, tally)
            tally.capture_objects += self._flush_capture()
            tally.windows += self._settle(tick=False)
            self._pending.append(
                _Labels(
                    f"{path.stem}-{number:03d}",
                    requests,
                    self._sent_rows + self.label_delay * self.window_rows,
                )
            )
            while self._pending and self._pending[0].due_at <= self._sent_rows:
                tally.labels_uploaded.append(self._upload(self._pending.popleft())["key"])
                tally.windows += self._settle(tick=False)
            tally.windows += self._settle()
        served = ", ".join(f"{name} {n}" for name, n in sorted(tally.variants.items()))
        entry = tally.entry()
        self.echo(
            f"    {time.monotonic() - started:6.1f}s  {tally.requests} requests ({tally.rows} rows; {served}); "
            f"served {served_text(entry)}; {len(tally.capture_objects)} capture file(s); "
            f"{len(tally.labels_uploaded)} ground-truth file(s) uploaded"
        )
        return entry

    def finish(self) -> list[dict[str, Any]]:
        """Upload every label still pending (the last files' labels arrive after the traffic ends), one
        file at a time, oldest first, each settled before the next."""
        if self._pending:
            self.echo(f"\nLate labels: {len(self._pending)} ground-truth file(s) uploaded after the traffic")
        uploaded = []
        while self._pending:
            uploaded.append(self._upload(self._pending.popleft()))
            self._settle(tick=False)
        if uploaded:
            self._settle()
        return uploaded

    def window_entries(self) -> list[dict[str, Any]]:
        return list(self.windows.values())

    # ------------------------------------------------------------------------------------------ internals
    def _profile(self) -> BaselineProfile:
        """The champion's baseline profile (read per capture file: a promotion replaces it)."""
        body = self.s3.get_object(Bucket=self.bucket, Key=DEFAULT_PROFILE_KEY)["Body"].read()
        return BaselineProfile.from_json_bytes(body)

    def _slices(self, path: Path) -> Iterator[tuple[list[str], list[str], Schema]]:
        """The file's rows, a capture file at a time: (encoded feature lines, label texts, schema), each
        slice encoded with the profile serving when it is sent."""
        schema = self._profile().schema
        try:
            batch = read_csv(path, schema=schema)
        except DriftRetrainError as error:
            raise LocalRunError(f"traffic file {path} cannot be sent: {error}") from error
        if schema.label not in batch.frame.columns:
            raise LocalRunError(f"traffic file {path} has no label column {schema.label!r}")
        frame = batch.frame
        for start in range(0, len(frame), self.capture_rows):
            part = frame.iloc[start : start + self.capture_rows]
            profile = self._profile()
            lines = encode_csv_lines(FeatureEncoder.from_profile(profile).transform(part))
            texts = [_label_text(v, schema.is_classification) for v in part[schema.label]]
            yield lines, texts, profile.schema

    def _invoke(
        self, path: Path, lines: list[str], texts: list[str], schema: Schema, tally: _FileTally
    ) -> list[tuple[str, list[str]]]:
        labels: list[tuple[str, list[str]]] = []
        start = 0
        for rows, body in iter_payloads(lines, max_rows=self.rows_per_request):
            inference_id = f"{path.stem}-{tally.requests:06d}"
            response = self.runtime.invoke_endpoint(
                EndpointName=self.endpoint, ContentType="text/csv", Body=body, InferenceId=inference_id
            )
            answer = response["Body"].read().decode("utf-8", errors="replace")
            variant = response.get("InvokedProductionVariant", "")
            tally.variants[variant] = tally.variants.get(variant, 0) + 1
            truth = texts[start : start + rows]
            self._score(answer, response.get("ContentType"), truth, schema, tally)
            labels.append((inference_id, truth))
            tally.requests += 1
            tally.rows += rows
            start += rows
        self._sent_rows += start
        return labels

    @staticmethod
    def _score(answer: str, content_type: Any, truth: list[str], schema: Schema, tally: _FileTally) -> None:
        """Count the endpoint's wrong answers among the labelled rows (classification: a wrong class;
        regression: the absolute error is summed instead, for the mean absolute error)."""
        try:
            served = served_predictions(
                answer, body_kind({"observedContentType": content_type}), len(truth), schema
            )
        except CaptureRecordError:
            tally.unreadable_answers += 1
            return
        tally.classification = schema.is_classification
        for (prediction, _score), label in zip(served, truth, strict=True):
            if label == "":
                continue
            tally.labelled += 1
            if schema.is_classification:
                tally.wrong += canonical_label(prediction) != label
            else:
                tally.wrong += abs(float(prediction) - float(label))

    def _flush_capture(self) -> list[str]:
        if self.cloud.sagemaker is None:
            return []
        return self.cloud.sagemaker.capture.flush(self.endpoint)

    def _upload(self, pending: _Labels) -> dict[str, Any]:
        now = self._clock().astimezone(UTC)
        key = f"{GROUND_TRUTH_PREFIX}{now:%Y/%m/%d/%H}/{pending.name}-labels.jsonl"
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=ground_truth_lines(pending.requests))
        return {"file": pending.name, "key": key, "records": len(pending.requests)}

    def _settle(self, *, tick: bool = True) -> list[str]:
        """Fire the scheduled rules once (``tick``), wait for every delivery, and follow each window
        DetectDrift checked (and the execution it started) to its end, until nothing new happens. The
        windows."""
        if tick:
            self.cloud.tick()
        checked: list[str] = []
        while True:
            deliveries = self.cloud.events.wait(timeout=self.timeout)
            new, self._seen_deliveries = deliveries[self._seen_deliveries :], len(deliveries)
            windows = [d for d in new if _window_key(d.event, self.endpoint)]
            if not new:
                return checked
            for delivery in windows:
                checked.append(self._follow_window(delivery))

    def _follow_window(self, delivery: Any) -> str:
        key = _window_key(delivery.event, self.endpoint)
        result = delivery.result(timeout=self.timeout)
        response = result.json() if result.ok else {"status": "error", "message": str(result.json())}
        report = self._report(response.get("report_key"))
        name = key.rpartition("/")[2]
        parsed = parse_labelled_key(key)
        labelled = parsed is not None
        stream, window = (parsed.stream, parsed.window) if parsed else parse_window_key(key)
        revision = f"r{parsed.revision:02d}" if parsed else ""
        window_id = f"{stream.variant}/{window}"  # one endpoint per run
        entry = self.windows.setdefault(window_id, {"window": window_id, "checks": []})
        estimate = report.get("estimated_performance") or {}
        monitor = report.get("monitor") or {}
        if not labelled:
            entry["rows"] = report.get("rows")
        if estimate.get("tested") and (not labelled or "estimated_error" not in entry):
            # the estimate made before any label: what an operator had to go on while waiting
            entry["estimated_error"] = estimate.get("error")
            entry["estimated_interval"] = [estimate.get("low"), estimate.get("high")]
            entry["estimate_alert"] = bool(estimate.get("alert"))
        if labelled:
            by_model = monitor.get("realised_by_model") or {}
            rows = sum(int(m["rows"]) for m in by_model.values())
            entry["labelled_rows"] = rows
            entry["realised_error"] = (
                sum(float(m["error"]) * int(m["rows"]) for m in by_model.values()) / rows if rows else None
            )
            entry["served_by"] = monitor.get("served_by")
        window_rows = f" of {entry['rows']:,}" if entry.get("rows") else ""
        what = (
            f"{revision}: {entry.get('labelled_rows') or 0:,}{window_rows} rows labelled, "
            f"realised error {fmt_rate(entry.get('realised_error'))}"
            if labelled
            else f"closed: {entry.get('rows') or 0:,} rows"
        )
        label = f"    window {window} {what}, estimated error {fmt_rate(entry.get('estimated_error'))}" + (
            " (estimate alert)" if entry.get("estimate_alert") else ""
        )
        predictions = report.get("prediction_drift") or {}
        if predictions.get("alert"):
            label += f", prediction drift ({', '.join(predictions.get('drifted') or [])})"
        before = endpoint_config(self.runner.sagemaker, self.endpoint)
        followed = self.runner.follow(name, key, response, before, label=label)
        entry["checks"].append(
            {
                "key": key,
                "labelled": labelled,
                "outcome": followed["outcome"],
                "report_key": response.get("report_key"),
                "execution": (followed.get("execution") or {}).get("name"),
                "evaluation": followed.get("evaluation"),
            }
        )
        entry["outcome"] = min(
            (c["outcome"] for c in entry["checks"]),
            key=lambda o: _OUTCOME_RANK.index(o) if o in _OUTCOME_RANK else len(_OUTCOME_RANK),
        )
        return window_id

    def _report(self, key: str | None) -> dict[str, Any]:
        body = storage.read_optional(self.s3, self.bucket, key) if key else None
        return json.loads(body) if body else {}


def _window_key(event: dict[str, Any], endpoint: str) -> str:
    """The window of ``endpoint`` an S3 event is about (``""`` for any other event)."""
    key = str(((event.get("detail") or {}).get("object") or {}).get("key") or "")
    prefixes = (f"{WINDOWS_PREFIX}{endpoint}/", f"{LABELLED_PREFIX}{endpoint}/")
    return key if key.startswith(prefixes) else ""


def _label_text(value: Any, classification: bool) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""  # an unlabelled row: an empty line keeps the rows after it in place
    if classification:
        return canonical_label(value)
    return repr(float(value))
