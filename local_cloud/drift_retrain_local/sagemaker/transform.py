"""A local SageMaker batch transform job with a built-in algorithm: what the job DOES.

``run_transform_job(request, s3, model_data_url)`` takes exactly the CreateTransformJob request, scores
every object under ``TransformInput...S3Uri`` record by record (``SplitType: Line``, ``text/csv``) and
writes ``<S3OutputPath>/<object path relative to the input prefix>.out``, SageMaker's naming.

``DataProcessing`` is applied the way SageMaker applies it to CSV records:

1. ``InputFilter`` selects fields of each input record; only those are sent to the model;
2. ``JoinSource: Input`` appends the prediction field(s) to the ORIGINAL record (all its fields);
3. ``OutputFilter`` selects fields of that joined record (or of the prediction alone).

Filters are JSONPath over the record's fields: ``$`` (everything), ``$[i]``, ``$[i:j]`` (either end
may be omitted) and ``$[a,b,...]``, where elements may mix indices and slices; indices may be negative.
Fields keep their original text: a joined label reads exactly as it did in the input.

A Linear Learner model answers in JSON Lines (``Accept: application/jsonlines``; the algorithm documents
no CSV response), one record per input record; a JSON response is not joined to CSV input records here
(``JoinSource`` must be ``None``).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from drift_retrain_local.sagemaker import linear_learner as ll
from drift_retrain_local.sagemaker.exceptions import JobFailedError, ModelArtifactError, RecordFormatError
from drift_retrain_local.sagemaker.failures import TRANSFORM, FailureInjector
from drift_retrain_local.sagemaker.model_artifact import format_predictions, load_model, predict
from drift_retrain_local.sagemaker.records import format_rows, read_fields, to_matrix
from drift_retrain_local.sagemaker.s3io import (
    get_bytes,
    join_uri,
    list_data_objects,
    parse_s3_uri,
    put_bytes,
)

__all__ = ["TransformOutcome", "parse_filter", "run_transform_job", "select_columns"]

logger = logging.getLogger(__name__)

_FILTER = re.compile(r"^\$(?:\[(?P<body>[^\[\]]*)\])?$")
_INDEX = re.compile(r"^-?\d+$")
_SLICE = re.compile(r"^(?P<start>-?\d+)?:(?P<stop>-?\d+)?$")


@dataclass
class TransformOutcome:
    """The end state of a transform job, named like DescribeTransformJob's fields."""

    TransformJobName: str
    TransformJobStatus: str  # Completed | Failed
    TransformStartTime: datetime
    TransformEndTime: datetime
    FailureReason: str | None = None
    output_uris: list[str] = field(default_factory=list)
    records: int = 0
    notes: list[str] = field(default_factory=list)

    def describe_fields(self) -> dict[str, Any]:
        """The DescribeTransformJob fields this outcome sets (``None`` values left out)."""
        keys = (
            "TransformJobName",
            "TransformJobStatus",
            "TransformStartTime",
            "TransformEndTime",
            "FailureReason",
        )
        return {k: getattr(self, k) for k in keys if getattr(self, k) is not None}


def parse_filter(expression: str | None) -> list[int | slice] | None:
    """Parse a CSV JSONPath filter into index/slice selectors; ``None`` means ``$`` (every field).

    Raises
    ------
    JobFailedError
        ``ClientError`` for an expression outside ``$``, ``$[i]``, ``$[i:j]``, ``$[a,b,...]``.
    """
    text = (expression or "$").replace(" ", "")
    match = _FILTER.match(text)
    if not match or match.group("body") == "":
        raise JobFailedError.client(
            f"Invalid JSONPath filter {expression!r}: the local transform supports $, $[i], $[i:j] and $[a,b,...]"
        )
    if match.group("body") is None:
        return None
    selectors: list[int | slice] = []
    for part in match.group("body").split(","):
        if _INDEX.match(part):
            selectors.append(int(part))
        elif (piece := _SLICE.match(part)) is not None:
            start, stop = piece.group("start"), piece.group("stop")
            selectors.append(slice(int(start) if start else None, int(stop) if stop else None))
        else:
            raise JobFailedError.client(f"Invalid JSONPath filter {expression!r}: cannot read {part!r}")
    return selectors


def select_columns(selectors: list[int | slice] | None, width: int, what: str) -> list[int]:
    """Column positions a parsed filter keeps from records of ``width`` fields, in filter order.

    Raises
    ------
    JobFailedError
        ``ClientError`` when an index is outside the record or nothing is selected.
    """
    if selectors is None:
        return list(range(width))
    columns: list[int] = []
    for selector in selectors:
        if isinstance(selector, slice):
            columns.extend(range(width)[selector])
        elif -width <= selector < width:
            columns.append(selector % width)
        else:
            raise JobFailedError.client(f"{what}: index {selector} is outside a record of {width} fields")
    if not columns:
        raise JobFailedError.client(f"{what} selects no field of a record of {width} fields")
    return columns


def _relative_name(key: str, prefix: str) -> str:
    """Path of ``key`` below the input URI's folder (a single-object URI keeps its file name)."""
    folder = prefix[: prefix.rfind("/") + 1] if "/" in prefix else ""
    return key[len(folder) :]


def _transform_object(text: str, source: str, model, plan: _TransformPlan) -> tuple[str, int]:
    input_filter, output_filter, join_input = plan.input_filter, plan.output_filter, plan.join_input
    linear = isinstance(model, ll.LinearModel)
    if linear and (join_input or output_filter is not None):
        raise JobFailedError.client(
            "Linear Learner answers in JSON: JoinSource Input and OutputFilter need CSV output; use "
            "JoinSource None and read the labels from the input"
        )
    if not linear and plan.accept != "text/csv":
        raise JobFailedError.client(f"Accept {plan.accept} is not supported by the local XGBoost transform")
    try:
        fields = read_fields(text, source)
        if fields.shape[0] == 0:
            return "", 0
        keep = select_columns(input_filter, fields.shape[1], f"InputFilter on {source}")
        matrix = to_matrix(fields[:, keep], source, keep)
        if linear:
            return ll.respond(model, model.scores(matrix), plan.accept)[0], fields.shape[0]
        predictions = predict(model, matrix)
    except RecordFormatError as exc:
        raise JobFailedError.client(f"Unable to evaluate payload provided: {exc}") from None
    predicted = np.array(format_predictions(predictions), dtype=object)
    joined = np.hstack([fields, predicted]) if join_input else predicted
    keep_out = select_columns(output_filter, joined.shape[1], f"OutputFilter on {source}")
    return format_rows(joined[:, keep_out]), fields.shape[0]


def run_transform_job(
    request: dict[str, Any], s3: Any, model_data_url: str, injector: FailureInjector | None = None
) -> TransformOutcome:
    """Run a CreateTransformJob request to its end state.

    Parameters
    ----------
    request : dict
        The CreateTransformJob request: TransformJobName, ModelName, TransformInput (S3Prefix ``S3Uri``,
        ``text/csv``, ``SplitType: Line``), TransformOutput (``S3OutputPath``, optional ``Accept``
        ``text/csv`` and ``AssembleWith``), optional DataProcessing.
    s3 : S3Client
        boto3 S3 client holding the input, the model and receiving the ``.out`` objects.
    model_data_url : str
        The model's ``PrimaryContainer.ModelDataUrl`` (``s3://.../model.tar.gz``), resolved by the caller
        from ModelName.
    injector : FailureInjector, optional
        Armed ``transform`` switches make the job fail before it reads anything.

    Returns
    -------
    TransformOutcome
        ``Completed`` with the ``.out`` URIs and the number of records, or ``Failed`` with a FailureReason.
    """
    name = str(request.get("TransformJobName") or "")
    started, clock = datetime.now(UTC), time.monotonic()
    notes: list[str] = []
    outputs: list[str] = []
    records = 0
    status, reason = "Completed", None
    try:
        injected = injector.check(TRANSFORM, name) if injector is not None else None
        if injected:
            raise JobFailedError(injected)
        plan = _plan(request, notes)
        bucket, key = parse_s3_uri(model_data_url)
        try:
            model = load_model(get_bytes(s3, bucket, key))
        except ModelArtifactError as exc:
            raise JobFailedError.client(f"Unable to load model {model_data_url}: {exc}") from None
        _, prefix = parse_s3_uri(plan.input_uri)
        for obj in list_data_objects(s3, plan.input_uri):
            try:
                text = get_bytes(s3, obj.bucket, obj.key).decode("utf-8")
            except UnicodeDecodeError:
                raise JobFailedError.client(f"{obj.uri} is not UTF-8 text") from None
            body, count = _transform_object(text, obj.uri, model, plan)
            out_uri = join_uri(plan.output_path, _relative_name(obj.key, prefix) + ".out")
            put_bytes(s3, out_uri, body.encode("utf-8"), plan.accept)
            outputs.append(out_uri)
            records += count
    except JobFailedError as exc:
        status, reason = "Failed", exc.reason
    except Exception as exc:  # never an unhandled exception: a Failed job names it
        logger.exception("local transform job %s failed unexpectedly", name)
        status, reason = "Failed", f"AlgorithmError: {type(exc).__name__}: {exc}"
    logger.info(
        "local transform job %s: %s in %.2fs %s", name, status, time.monotonic() - clock, reason or ""
    )
    return TransformOutcome(
        TransformJobName=name,
        TransformJobStatus=status,
        TransformStartTime=started,
        TransformEndTime=datetime.now(UTC),
        FailureReason=reason,
        output_uris=outputs if status == "Completed" else [],
        records=records,
        notes=notes,
    )


@dataclass(frozen=True)
class _TransformPlan:
    """What a CreateTransformJob request asks for, checked against what the local transform supports."""

    input_uri: str
    output_path: str
    accept: str
    input_filter: Any
    output_filter: Any
    join_input: bool


def _plan(request: dict[str, Any], notes: list[str]) -> _TransformPlan:
    """Check the request as SageMaker would (a ClientError-style failure names what is unsupported)."""
    source = request.get("TransformInput") or {}
    content_type = str(source.get("ContentType") or "text/csv").split(";")[0].strip().lower()
    if content_type != "text/csv":
        raise JobFailedError.client(f"Content type {content_type} is not supported by the local transform")
    if source.get("SplitType", "None") != "Line":
        notes.append(f"SplitType {source.get('SplitType')!r} read as Line")
    if str(source.get("CompressionType") or "None") != "None":
        raise JobFailedError.client(f"CompressionType {source['CompressionType']} is not supported")
    s3_source = (source.get("DataSource") or {}).get("S3DataSource") or {}
    if s3_source.get("S3DataType", "S3Prefix") != "S3Prefix":
        raise JobFailedError.client(f"S3DataType {s3_source.get('S3DataType')} is not supported locally")
    output = request.get("TransformOutput") or {}
    accept = str(output.get("Accept") or "text/csv").split(";")[0].strip().lower()
    if accept not in ("text/csv", "application/jsonlines", "application/json"):
        raise JobFailedError.client(
            f"Accept {accept} is not supported by the local transform (text/csv, application/jsonlines, "
            "application/json)"
        )
    if not output.get("S3OutputPath"):
        raise JobFailedError.client("TransformOutput.S3OutputPath is required")
    processing = request.get("DataProcessing") or {}
    join = processing.get("JoinSource", "None")
    if join not in ("Input", "None"):
        raise JobFailedError.client(f"JoinSource must be Input or None, not {join!r}")
    return _TransformPlan(
        input_uri=str(s3_source.get("S3Uri") or ""),
        output_path=str(output["S3OutputPath"]),
        accept=accept,
        input_filter=parse_filter(processing.get("InputFilter")),
        output_filter=parse_filter(processing.get("OutputFilter")),
        join_input=join == "Input",
    )
