"""A captured response body as one (served prediction, score) per input row, in the algorithm's format.

* XGBoost (``text/csv``): one line per row, a probability for ``binary:logistic``, a value for
  regression, a class index for ``multi:softmax``, K comma-separated probabilities for
  ``multi:softprob``; older containers put every row's value on one line. Its JSON answer
  ``{"predictions": [{"score": ...}]}`` is read too.
* Linear Learner (``application/json`` / ``application/jsonlines``): ``{"predictions": [{"score": ...,
  "predicted_label": ...}]}`` or one such record per line; ``score`` is P(class 1) for a binary
  classifier, the class probabilities for a multiclass one, the value for a regressor.

The prediction is the class label as the schema spells it (classification) or a float (regression);
the score is P(positive class) for binary, the predicted class's probability for multiclass, NaN for
regression or when the answer holds no probability.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from drift_retrain.capture.bodies import CSV, JSON_LINES
from drift_retrain.capture.exceptions import CaptureRecordError
from drift_retrain.engine.schema import Schema

__all__ = ["BAD_OUTPUT", "served_from_predictions", "served_predictions"]

BAD_OUTPUT = "capture_bad_output"
_SCORE_KEYS = ("score", "scores", "probabilities", "probability", "prediction", "predictions")
_LABEL_KEYS = ("predicted_label", "label")


def served_predictions(text: str, kind: str, rows: int, schema: Schema) -> list[tuple[Any, float]]:
    """``(prediction, score)`` for each of the request's ``rows`` rows."""
    try:
        records = _csv_records(text, rows) if kind == CSV else _json_records(text, kind)
    except (ValueError, TypeError) as exc:
        raise CaptureRecordError(
            BAD_OUTPUT, f"the output does not parse as {kind} ({type(exc).__name__})"
        ) from exc
    if len(records) != rows:
        raise CaptureRecordError(
            BAD_OUTPUT, f"the output holds {len(records)} predictions for {rows} input rows"
        )
    return [_prediction(record, schema) for record in records]


def served_from_predictions(predictions: Any, schema: Schema) -> tuple[list[Any], list[float]]:
    """Served classes (or values) and scores from a predictor's answer for many rows: a vector (one
    value per row) or a matrix of class probabilities, as ``aws.endpoint.parse_predictions`` returns."""
    rows = predictions.tolist() if hasattr(predictions, "tolist") else list(predictions)
    pairs = [_prediction({"score": row}, schema) for row in rows]
    return [p for p, _ in pairs], [s for _, s in pairs]


def _csv_records(text: str, rows: int) -> list[dict[str, Any]]:
    lines = [line.strip().strip("[]") for line in text.splitlines() if line.strip()]
    values = [[float(v) for v in line.replace(" ", "").split(",") if v != ""] for line in lines]
    if len(values) == 1 and rows > 1 and len(values[0]) == rows:
        values = [[v] for v in values[0]]
    return [{"score": v[0] if len(v) == 1 else v} for v in values]


def _json_records(text: str, kind: str) -> list[dict[str, Any]]:
    if kind == JSON_LINES:
        return [_record(json.loads(line)) for line in text.splitlines() if line.strip()]
    document = json.loads(text)
    if isinstance(document, Mapping):
        for key in ("predictions", "probabilities", "scores", "outputs"):
            if isinstance(document.get(key), list):
                document = document[key]
                break
        else:
            return [_record(document)]
    if isinstance(document, list):
        return [_record(item) for item in document]
    return [_record(document)]


def _record(item: Any) -> dict[str, Any]:
    if isinstance(item, Mapping):
        record: dict[str, Any] = {}
        for key in _SCORE_KEYS:
            if key in item:
                record["score"] = item[key]
                break
        for key in _LABEL_KEYS:
            if key in item:
                record["label"] = item[key]
                break
        if not record:
            raise ValueError("a prediction record has no score or predicted_label")
        return record
    return {"score": item}


def _prediction(record: Mapping[str, Any], schema: Schema) -> tuple[Any, float]:
    score = record.get("score")
    if isinstance(score, list) and len(score) == 1:
        score = score[0]
    label = record.get("label")
    if schema.task == "regression":
        value = _finite(score if score is not None else label)
        return value, math.nan
    classes = schema.classes
    if isinstance(score, list):
        probabilities = [_finite(p) for p in score]
        if len(probabilities) != len(classes):
            raise CaptureRecordError(
                BAD_OUTPUT, f"a prediction has {len(probabilities)} probabilities for {len(classes)} classes"
            )
        best = max(range(len(classes)), key=probabilities.__getitem__)
        chosen = best if label is None else _class_index(label, classes)
        positive = probabilities[1] if len(classes) == 2 else probabilities[chosen]
        return classes[chosen], positive
    if score is not None:
        value = _finite(score)
        if label is not None:
            index = _class_index(label, classes)
            return classes[index], value if 0.0 <= value <= 1.0 else math.nan
        if schema.task == "binary" and 0.0 <= value <= 1.0:
            return classes[int(value >= 0.5)], value
        return classes[_class_index(value, classes)], math.nan
    return classes[_class_index(label, classes)], math.nan


def _class_index(value: Any, classes: tuple[str, ...]) -> int:
    """A predicted label: the class index the model learned (0..K-1)."""
    number = _finite(value)
    if not number.is_integer() or not 0 <= number < len(classes):
        raise CaptureRecordError(
            BAD_OUTPUT, f"a predicted label is not a class index 0..{len(classes) - 1} nor a probability"
        )
    return int(number)


def _finite(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        raise CaptureRecordError(BAD_OUTPUT, "a prediction is missing or not a number")
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise CaptureRecordError(BAD_OUTPUT, "a prediction is not a number") from exc
    if not math.isfinite(number):
        raise CaptureRecordError(BAD_OUTPUT, "a prediction is not a finite number")
    return number
