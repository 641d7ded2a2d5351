"""``drift-retrain local run``: the whole service on this machine, batch by batch.

Starts the local cloud (embedded AWS, the stack deployed from ``template.yaml``, the real Lambdas and the
real state machine), bootstraps the first model from the training CSV through the state machine's
first-deployment path (``seed/`` + ``{"bootstrap": true, ...}``, docs/deployment.md section 4), then
drops each batch into ``incoming/`` in order and waits until everything it set off has finished (the
DetectDrift delivery, and the execution it started, if any) before the next one. Traffic files
(``--traffic``) then go through the endpoint as requests, their labels arriving later as ground truth
(:mod:`.traffic`).

Writes ``<out>/timeline.json`` and ``timeline.html`` (per batch: outcome, drift, the states the execution entered, the
endpoint's config before and after, the evaluation), ``<out>/reports/`` and ``<out>/quarantine/`` as the
workflow wrote them, and ``<out>/notifications.jsonl`` (every SNS message of the run).
"""

from __future__ import annotations

import contextlib
import csv
import functools
import gzip
import io
import json
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from drift_retrain import strict_json
from drift_retrain.exceptions import ConfigError, InvalidBatchError
from drift_retrain.settings.values import validate_settings
from drift_retrain_local.cloud.local_cloud import LocalCloud, local_cloud
from drift_retrain_local.exceptions import LocalRunError
from drift_retrain_local.run.batches import BatchRunner, Echo, partition_files
from drift_retrain_local.run.logs import logs_to
from drift_retrain_local.run.output_folder import RUN_OUTPUTS, clear_outputs
from drift_retrain_local.run.pages import report_loader, write_timeline_page
from drift_retrain_local.run.summary import render_summary
from drift_retrain_local.run.traffic import TrafficDriver
from drift_retrain_local.sagemaker.failures import FailureInjector

__all__ = ["LOCAL_SETTINGS", "local_run", "open_cloud"]

#: Settings of a local run: the same template, with waits sized for a laptop instead of AWS.
LOCAL_SETTINGS: dict[str, Any] = {
    "endpoint_poll_seconds": 1,
    "lock_wait_seconds": 1,
    "lock_max_waits": 300,  # the schema's maximum (the execution-history bound)
    "capacity_retry_seconds": 1,
    "deployment_wait_interval_seconds": 0,
    "deployment_termination_wait_seconds": 0,
}


def local_run(
    train: str | Path,
    batches: Sequence[str | Path],
    out: str | Path,
    label: str | None = None,
    inject: Sequence[str] = (),
    echo: Echo = print,
    *,
    parameters: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
    timeout: float = 900.0,
    verbose: bool = False,
    traffic: Sequence[str | Path] = (),
    label_delay: int = 1,
) -> dict[str, Any]:
    """Run the service locally on ``train`` then each of ``batches``; returns the timeline.

    Parameters
    ----------
    train : path
        Labelled training CSV (header row) for the first model.
    batches : sequence of paths
        Batch files (CSV, Parquet, JSON Lines), uploaded to ``incoming/`` one after the other; a folder
        is uploaded as one partition, ``incoming/<folder>/part-*`` and then ``_SUCCESS``.
    out : path
        Folder for ``timeline.json``, ``reports/``, ``quarantine/`` and ``notifications.jsonl``.
    label : str, optional
        Label column (default: the first column of ``train``).
    inject : sequence of str
        Failure switches ``KIND[:PATTERN[:TIMES]]`` (``training``, ``transform``, ``endpoint-update``).
    echo : callable
        Where progress lines go.
    parameters : Mapping, optional
        Template parameter overrides.
    settings : Mapping, optional
        Setting overrides (``--set``) on top of :data:`LOCAL_SETTINGS` (docs/configuration.md).
    timeout : float
        Most seconds to wait for one delivery or one execution.
    verbose : bool
        Also echo each step (DetectDrift's answer, every state entered); by default one line per batch.
    traffic : sequence of paths
        Labelled CSVs sent after the batches to the endpoint as requests (labels removed); Data Capture
        writes them to ``capture/``, and their labels go to ``ground-truth/`` ``label_delay`` windows later
        (:mod:`.traffic`); each window checked is followed to its end, as a batch is.
    label_delay : int
        Windows' worth of rows (``monitor_window_rows``) sent before a capture file's labels are uploaded
        (default 1; the rest at the end).

    Raises
    ------
    InvalidBatchError
        A data file cannot be used (missing, unreadable, empty, no such label column), before anything
        starts: the same error, and so the same exit code, as ``profile`` and ``check`` give.
    LocalRunError
        A bad ``--inject`` or ``--set``, before anything starts.
    LocalRunTimeoutError
        A delivery or an execution did not finish within ``timeout`` (the timeline so far is written).
    """
    train = Path(train)
    batch_paths = [Path(b) for b in batches]
    label = _label_column(train, label)
    traffic_paths = [Path(t) for t in traffic]
    for path in batch_paths:
        if not (path.is_file() or (path.is_dir() and partition_files(path))):
            raise InvalidBatchError("unreadable", f"batch file (or folder of part files) not found: {path}")
    for path in traffic_paths:
        if not path.is_file():
            raise InvalidBatchError("unreadable", f"traffic file not found: {path}")
    if label_delay < 0:
        raise LocalRunError(f"--label-delay must be 0 or more, got {label_delay}")
    injector = _injector(inject)
    run_settings = {**LOCAL_SETTINGS, **(settings or {})}
    try:
        validate_settings(run_settings)
    except ConfigError as error:
        raise LocalRunError(f"--set: {error}") from error
    out = Path(out)
    clear_outputs(out, RUN_OUTPUTS)  # no report of an earlier run left beside this run's
    out.mkdir(parents=True, exist_ok=True)
    template_parameters = {"LabelColumn": label, **(parameters or {})}
    timeline: dict[str, Any] = {
        "train": str(train),
        "label": label,
        "algorithms": template_parameters.get("Algorithms", "xgboost"),
        "inject": list(inject),
        "bootstrap": None,
        "batches": [],
    }
    if traffic_paths:
        timeline["traffic"] = {"label_delay": label_delay, "files": [], "windows": [], "late_labels": []}
    started = time.monotonic()
    if echo is print:
        echo = functools.partial(print, file=sys.stdout, flush=True)
    echo("Starting the local cloud: embedded AWS, stack deployed from template.yaml, Lambdas in-process")
    echo(f"(the Lambdas' and moto's own logs go to {out / 'logs.txt'})")
    try:
        with logs_to(out / "logs.txt"), open_cloud(template_parameters, injector, run_settings) as cloud:
            runner = BatchRunner(cloud, echo, timeout, verbose=verbose)
            try:
                timeline["bootstrap"] = runner.bootstrap(train)
                if timeline["bootstrap"]["outcome"] == "promoted":
                    for index, path in enumerate(batch_paths, 1):
                        timeline["batches"].append(runner.batch(path, index, len(batch_paths)))
                    if traffic_paths:
                        _send_traffic(
                            cloud, traffic_paths, label_delay, echo, timeout, timeline["traffic"], verbose
                        )
            finally:
                runner.collect(out)
                timeline["notifications"] = len(runner.notifications.messages)
    finally:
        timeline["seconds"] = round(time.monotonic() - started, 1)
        strict_json.write_file(out / "timeline.json", timeline)
        write_timeline_page(out, json.loads(strict_json.dumps(timeline)))
    echo("")
    echo(render_summary(timeline, report_loader(out)))
    echo(f"\nTimeline, reports and notifications in {out}/ ({timeline['seconds']:.0f} s in all)")
    return timeline


def _send_traffic(
    cloud: LocalCloud,
    paths: Sequence[Path],
    label_delay: int,
    echo: Echo,
    timeout: float,
    record: dict[str, Any],
    verbose: bool,
) -> None:
    """Each traffic file through the endpoint, then the labels still pending; the windows checked."""
    driver = TrafficDriver(cloud, echo, timeout, label_delay=label_delay, verbose=verbose)
    record.update(window_rows=driver.window_rows, capture_rows=driver.capture_rows)
    try:
        for index, path in enumerate(paths, 1):
            record["files"].append(driver.send(path, index, len(paths)))
        record["late_labels"] = driver.finish()
    finally:
        record["windows"] = driver.window_entries()


# ------------------------------------------------------------------------------------------- arguments
def _label_column(train: Path, label: str | None) -> str:
    if not train.is_file():
        raise InvalidBatchError("unreadable", f"training file not found: {train}")
    opener = gzip.open if train.name.endswith(".gz") else open
    try:
        with opener(train, "rb") as handle:
            first = handle.readline()
    except OSError as error:
        raise InvalidBatchError("unreadable", f"cannot read {train}: {error}") from error
    header = next(csv.reader(io.StringIO(first.decode("utf-8-sig", errors="replace"))), [])
    header = [name.strip() for name in header]
    if not header or not any(header):
        raise InvalidBatchError(
            "empty_file", f"{train} is empty: a header row naming the columns is required"
        )
    if label is None:
        return header[0]
    if label not in header:
        raise InvalidBatchError(
            "missing_label", f"{train} has no label column {label!r} (columns: {', '.join(header)})"
        )
    return label


def _injector(specs: Sequence[str]) -> FailureInjector:
    try:
        return FailureInjector.from_specs(specs)
    except ValueError as error:
        raise LocalRunError(f"--inject: {error}") from error


def open_cloud(
    parameters: Mapping[str, Any], injector: FailureInjector, settings: Mapping[str, Any] | None = None
) -> contextlib.AbstractContextManager[LocalCloud]:
    """The local cloud with the local run's template parameters, settings and failure switches."""
    return local_cloud(parameters=parameters, settings=settings or LOCAL_SETTINGS, failures=injector)
