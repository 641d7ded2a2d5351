"""``drift-retrain check --capture FILE.jsonl [--ground-truth FILE.jsonl]``: the check on Data Capture files.

For people with an existing capture bucket: the same check as a batch, on captured requests, with the
labels joined from ground-truth files and the estimate before they arrive (docs/data-capture.md).
"""

from __future__ import annotations

import argparse
import gzip
from collections.abc import Iterator
from pathlib import Path

from drift_retrain.capture.check import capture_lines, run_capture_check
from drift_retrain.capture.ground_truth import GroundTruthRows, read_ground_truth
from drift_retrain.capture.join import join_labels
from drift_retrain.capture.records import CapturedRows, read_capture
from drift_retrain.capture.reference import PredictionReference
from drift_retrain.engine.config import DriftConfig
from drift_retrain.engine.report import render_text
from drift_retrain.exceptions import DriftRetrainError, InvalidBatchError, ProfileError

__all__ = ["add_capture_options", "check_capture"]


def add_capture_options(check: argparse.ArgumentParser) -> None:
    """The capture options of ``check`` (the batch argument is then left out)."""
    check.add_argument(
        "--capture",
        type=Path,
        action="append",
        default=[],
        metavar="FILE.jsonl",
        help="a Data Capture file (JSON Lines, .gz allowed) to check instead of a batch (repeatable)",
    )
    check.add_argument(
        "--ground-truth",
        type=Path,
        action="append",
        default=[],
        metavar="FILE.jsonl",
        help="ground-truth JSON Lines joined to the captured requests (repeatable)",
    )
    check.add_argument(
        "--reference",
        type=Path,
        metavar="FILE.json",
        help="the champion's prediction_reference.json (prediction drift, calibrated estimate)",
    )


def check_capture(args: argparse.Namespace, config: DriftConfig, profile) -> tuple[dict, str]:
    """Read, join and check the capture files; returns the report dict and its text."""
    algorithm = str(profile.metadata.get("algorithm") or "xgboost")
    captured = _read_captures(args.capture, profile, algorithm)
    if captured.frame.empty:
        reasons = ", ".join(f"{k} {v}" for k, v in captured.bad_by_reason.items()) or "no records"
        raise InvalidBatchError("capture_no_rows", f"no usable captured request ({reasons})")
    join = None
    if args.ground_truth:
        truth = _read_truths(args.ground_truth, profile)
        joined = join_labels(captured.frame, truth, profile)
        captured = CapturedRows(
            joined.frame, captured.bad, captured.records, captured.without_output, captured.issues
        )
        join = joined.stats
    reference = _reference(args.reference) if args.reference else None
    name = args.capture[0]
    report = run_capture_check(
        captured,
        profile,
        config,
        reference=reference,
        batch_id=name.name.split(".")[0],
        source_name=", ".join(str(p) for p in args.capture),
        join=join,
    )
    data = report.to_dict()
    return data, "\n".join([render_text(data), *capture_lines(data)])


def _lines(path: Path) -> Iterator[bytes]:
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as handle:
            yield from handle
    except OSError as exc:
        raise DriftRetrainError(f"cannot read {path}: {exc.strerror or exc}") from exc


def _read_captures(paths: list[Path], profile, algorithm: str) -> CapturedRows:
    """Every file's rows together; each bad record's detail names its file."""
    parts = [read_capture(_lines(path), profile, algorithm=algorithm) for path in paths]
    return CapturedRows.concat(parts, names=[path.name for path in paths])


def _read_truths(paths: list[Path], profile) -> GroundTruthRows:
    """The files in the order given: the received order the duplicate rule ("first wins") follows."""
    parts: list[GroundTruthRows] = []
    start = 0
    for path in paths:
        part = read_ground_truth(_lines(path), profile, start=start)
        start += len(part.frame)
        parts.append(part)
    return GroundTruthRows.concat(parts)


def _reference(path: Path) -> PredictionReference:
    try:
        return PredictionReference.from_json_bytes(path.read_bytes())
    except OSError as exc:
        raise ProfileError(f"cannot read the prediction reference {path}: {exc.strerror}") from exc
