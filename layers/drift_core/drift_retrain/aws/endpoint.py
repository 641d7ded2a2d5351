"""SageMaker runtime adapter: the champion endpoint as a predictor for the concept-drift test.

:class:`EndpointPredictor` follows the engine's ``Predictor`` protocol: it takes a DataFrame of feature
columns (schema order) for the labelled rows and returns one prediction per row (or a matrix of class
probabilities). It sends headerless CSV of the *encoded* features (what SageMaker's built-in XGBoost
expects), in chunks that keep each request under 5 MB (InvokeEndpoint accepts at most 6 MB), and parses
CSV, JSON or JSON-lines responses.

When there is no champion to ask (the endpoint does not exist yet, or is not serving) it raises the
engine's :class:`~drift_retrain.exceptions.ChampionUnavailableError` with the reason, so the check records
it and skips the concept test instead of failing the batch. Any other endpoint failure (model error,
throttling after botocore's retries) is reported the same way, with a reason that says so.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from botocore.exceptions import ClientError

from drift_retrain.aws.exceptions import (
    EndpointInvocationError,
    client_error_code,
    client_error_message,
)
from drift_retrain.engine.encoding import to_csv_rows
from drift_retrain.exceptions import ChampionUnavailableError
from drift_retrain.layout import OWN_INFERENCE_PREFIX

if TYPE_CHECKING:
    import pandas as pd
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sagemaker_runtime import SageMakerRuntimeClient
else:
    SageMakerClient = Any
    SageMakerRuntimeClient = Any

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "SERVING_STATUSES",
    "EndpointPredictor",
    "encode_csv_lines",
    "iter_payloads",
    "parse_predictions",
]

logger = logging.getLogger(__name__)

#: Our per-request ceiling; the InvokeEndpoint API limit is 6 MB.
MAX_PAYLOAD_BYTES = 5_000_000
#: Statuses in which an endpoint answers InvokeEndpoint. An endpoint being updated (blue/green) keeps
#: serving the old fleet, so a batch that lands during a deployment is still checked against a champion.
SERVING_STATUSES = frozenset({"InService", "Updating", "SystemUpdating"})

Encoder = Callable[["pd.DataFrame"], Any]


def encode_csv_lines(matrix: Any) -> list[bytes]:
    """Encode a numeric matrix as headerless CSV lines, in the format the model was trained on.

    Uses :func:`drift_retrain.engine.encoding.to_csv_rows` (missing values as empty fields), so inference payloads
    and training channels cannot drift apart.

    Returns
    -------
    list of bytes
        One line per row, each ending with ``\\n``.
    """
    array = np.asarray(matrix, dtype=float)
    if array.ndim != 2 or array.shape[0] == 0:
        return []
    text = to_csv_rows(array)
    return [line + b"\n" for line in text.encode("utf-8").splitlines()]


def iter_payloads(
    lines: Sequence[bytes], *, max_bytes: int = MAX_PAYLOAD_BYTES, max_rows: int | None = None
) -> Iterator[tuple[int, bytes]]:
    """Group CSV lines into request bodies of at most ``max_bytes`` (and ``max_rows``).

    Yields
    ------
    (int, bytes)
        Number of rows in the body, and the body.

    Raises
    ------
    ValueError
        A single row is larger than ``max_bytes``.
    """
    batch: list[bytes] = []
    size = 0
    for line in lines:
        if len(line) > max_bytes:
            raise ValueError(
                f"one encoded row is {len(line)} bytes, more than the {max_bytes}-byte payload limit"
            )
        if batch and (size + len(line) > max_bytes or (max_rows is not None and len(batch) >= max_rows)):
            yield len(batch), b"".join(batch)
            batch, size = [], 0
        batch.append(line)
        size += len(line)
    if batch:
        yield len(batch), b"".join(batch)


def _row_values(item: Any) -> list[float]:
    """Numbers of one prediction record: a number, a list, or a dict in SageMaker's usual shapes."""
    if isinstance(item, dict):
        for key in (
            "probabilities",
            "scores",
            "score",
            "predicted_label",
            "prediction",
            "predictions",
            "label",
        ):
            if key in item:
                return _row_values(item[key])
        raise ValueError(f"prediction record has none of the known keys: {sorted(item)}")
    if isinstance(item, list | tuple):
        return [float(value) for value in item]
    return [float(item)]


def _parse_csv(text: str) -> list[list[float]]:
    rows: list[list[float]] = []
    for line in text.splitlines():
        line = line.strip().strip("[]")
        if line:
            rows.append([float(value) for value in line.replace(" ", "").split(",") if value != ""])
    return rows


def _parse_json(text: str, content_type: str) -> list[list[float]]:
    if "jsonlines" in content_type or "x-ndjson" in content_type:
        return [_row_values(json.loads(line)) for line in text.splitlines() if line.strip()]
    document = json.loads(text)
    if isinstance(document, dict):
        for key in ("predictions", "probabilities", "scores", "outputs"):
            if key in document:
                document = document[key]
                break
        else:
            return [_row_values(document)]
    if not isinstance(document, list):
        return [_row_values(document)]
    return [_row_values(item) for item in document]


def parse_predictions(body: bytes, content_type: str | None, expected_rows: int) -> np.ndarray:
    """Parse an InvokeEndpoint response into a vector (one value per row) or a (rows, classes) matrix.

    CSV may hold one row per line, or all values on one line (older built-in XGBoost containers do this
    for ``binary:logistic``). JSON may be a list, or ``{"predictions": [...]}`` with numbers, lists or
    records carrying ``score``/``scores``/``probabilities``/``predicted_label``; JSON lines hold one record
    per line.

    Raises
    ------
    EndpointInvocationError
        The body cannot be parsed or holds the wrong number of predictions.
    """
    kind = (content_type or "text/csv").split(";")[0].strip().lower()
    text = body.decode("utf-8-sig", errors="strict")
    try:
        rows = _parse_json(text, kind) if "json" in kind else _parse_csv(text)
    except (ValueError, TypeError) as error:
        raise EndpointInvocationError(
            f"cannot parse the endpoint's {kind} response: {error}", code="InvalidResponse"
        ) from error
    if len(rows) == 1 and len(rows[0]) == expected_rows and expected_rows != 1:
        rows = [[value] for value in rows[0]]
    if len(rows) != expected_rows:
        raise EndpointInvocationError(
            f"the endpoint returned {len(rows)} predictions for {expected_rows} rows", code="InvalidResponse"
        )
    widths = {len(row) for row in rows}
    if len(widths) != 1 or 0 in widths:
        raise EndpointInvocationError(
            f"the endpoint returned rows of different widths {sorted(widths)}", code="InvalidResponse"
        )
    matrix = np.asarray(rows, dtype=float)
    return matrix[:, 0] if matrix.shape[1] == 1 else matrix


class EndpointPredictor:
    """The champion endpoint, callable as the engine's ``Predictor``.

    Parameters
    ----------
    runtime : SageMakerRuntimeClient
        boto3 ``sagemaker-runtime`` client.
    endpoint_name : str
        The champion endpoint.
    encode : callable, optional
        Turns the feature frame into the numeric matrix the model expects, e.g.
        ``FeatureEncoder.from_profile(profile).transform``. Default: the frame's values as floats.
    sagemaker : SageMakerClient, optional
        boto3 ``sagemaker`` client. When given, ``DescribeEndpoint`` is called once first so "no
        endpoint yet" and "endpoint not serving" are told apart from model errors with a clear reason.
    max_payload_bytes : int
        Ceiling per request (default 5 MB; the API accepts 6 MB).
    max_rows_per_request : int, optional
        Also cap the rows per request (keeps each call well inside InvokeEndpoint's 60 s timeout).
    accept : str
        ``Accept`` header (``text/csv`` by default).
    target_variant : str, optional
        Send every request to this production variant (``TargetVariant``): during an A/B test the
        concept test asks the champion variant only, and the A/B look asks each variant in turn.
    """

    def __init__(
        self,
        runtime: SageMakerRuntimeClient,
        endpoint_name: str,
        *,
        encode: Encoder | None = None,
        sagemaker: SageMakerClient | None = None,
        max_payload_bytes: int = MAX_PAYLOAD_BYTES,
        max_rows_per_request: int | None = None,
        accept: str = "text/csv",
        target_variant: str | None = None,
    ) -> None:
        self.runtime = runtime
        self.endpoint_name = endpoint_name
        self.encode = encode
        self.sagemaker = sagemaker
        self.max_payload_bytes = max_payload_bytes
        self.max_rows_per_request = max_rows_per_request
        self.accept = accept
        self.target_variant = target_variant
        self.requests = 0
        self._run = uuid.uuid4().hex[:16]
        self._checked = False

    def check_available(self) -> None:
        """Raise ``ChampionUnavailableError`` when the endpoint does not exist or is not serving.

        Without a ``sagemaker`` client this does nothing (InvokeEndpoint errors are translated instead).
        """
        if self.sagemaker is None or self._checked:
            return
        try:
            status = self.sagemaker.describe_endpoint(EndpointName=self.endpoint_name)["EndpointStatus"]
        except ClientError as error:
            code = client_error_code(error)
            message = client_error_message(error)
            if code == "ValidationException" and _means_missing(message):
                raise ChampionUnavailableError(
                    f"no champion yet: endpoint {self.endpoint_name!r} does not exist"
                ) from error
            if code in {"AccessDeniedException", "AccessDenied"}:
                logger.warning("DescribeEndpoint denied; relying on InvokeEndpoint errors: %s", message)
                self._checked = True
                return
            raise ChampionUnavailableError(
                f"cannot describe endpoint {self.endpoint_name!r}: {code} {message}"
            ) from error
        if status not in SERVING_STATUSES:
            raise ChampionUnavailableError(
                f"champion endpoint {self.endpoint_name!r} is {status}, not InService"
            )
        self._checked = True

    def __call__(self, frame: pd.DataFrame) -> np.ndarray:
        """Predict the rows of ``frame`` (feature columns in schema order) on the champion."""
        self.check_available()
        matrix = self.encode(frame) if self.encode is not None else frame.to_numpy(dtype=float)
        lines = encode_csv_lines(matrix)
        if not lines:
            return np.empty(0, dtype=float)
        parts: list[np.ndarray] = []
        try:
            for rows, body in iter_payloads(
                lines, max_bytes=self.max_payload_bytes, max_rows=self.max_rows_per_request
            ):
                parts.append(self._invoke(body, rows))
        except EndpointInvocationError as error:
            raise ChampionUnavailableError(
                f"champion endpoint {self.endpoint_name!r} failed, concept test skipped: {error}"
            ) from error
        if len({part.ndim for part in parts}) != 1:
            raise ChampionUnavailableError("the endpoint returned predictions of different shapes")
        return np.concatenate(parts)

    def _invoke(self, body: bytes, rows: int) -> np.ndarray:
        self.requests += 1
        extra = {"TargetVariant": self.target_variant} if self.target_variant else {}
        try:
            response = self.runtime.invoke_endpoint(
                EndpointName=self.endpoint_name,
                ContentType="text/csv",
                Accept=self.accept,
                Body=body,
                # marks the request as the service's own in Data Capture (the monitor leaves it out)
                InferenceId=f"{OWN_INFERENCE_PREFIX}{self._run}-{self.requests}",
                **extra,
            )
        except ClientError as error:
            code = client_error_code(error)
            message = client_error_message(error)
            if code == "ValidationException" and _means_missing(message):
                raise ChampionUnavailableError(
                    f"no champion yet: endpoint {self.endpoint_name!r} does not exist"
                ) from error
            raise EndpointInvocationError(f"InvokeEndpoint: {code} {message}", code=code or None) from error
        payload = response["Body"]
        data = payload.read() if hasattr(payload, "read") else bytes(payload)
        return parse_predictions(data, response.get("ContentType"), rows)


def _means_missing(message: str) -> bool:
    lowered = message.lower()
    return "could not find" in lowered or "not found" in lowered or "does not exist" in lowered
