"""The built-in XGBoost model artifact and how the built-in algorithm predicts with it.

A Linear Learner artifact (``model_algo-1`` inside) loads as a ``linear_learner.LinearModel``: ``load_model``
and ``predict`` dispatch on it, so the transform and the endpoint runtime serve either algorithm.

``model.tar.gz`` holds one file, ``xgboost-model``: the trained booster in XGBoost's own format (here
UBJSON, the format of the installed xgboost; a 1.7-1 container writes the older binary format, which
xgboost 3 no longer reads, so an artifact downloaded from AWS must be re-saved before use locally).

Prediction follows the 1.7-1 serving container: ``text/csv`` records of features only (no label), the
model's trees up to the early-stopping best iteration, and one output line per record formatted with
Python's ``str(float)``: a probability for ``binary:logistic``, a class index (``2.0``) for
``multi:softmax``, a value for regression, and for ``multi:softprob`` the class probabilities separated by
commas (the container prints a bracketed list, ``[0.1, 0.2, 0.7]``; we emit plain CSV fields so that a
joined record stays CSV).
"""

from __future__ import annotations

import io
import json
import tarfile
from dataclasses import dataclass

import numpy as np
import xgboost as xgb

from drift_retrain_local.sagemaker import linear_learner as ll
from drift_retrain_local.sagemaker.exceptions import ModelArtifactError, RecordFormatError
from drift_retrain_local.sagemaker.records import read_fields, to_matrix

__all__ = [
    "MODEL_FILE",
    "LoadedModel",
    "format_predictions",
    "load_model",
    "model_tarball",
    "predict",
]

#: File name of the booster inside model.tar.gz (what the built-in algorithm writes).
MODEL_FILE = "xgboost-model"


@dataclass(frozen=True)
class LoadedModel:
    """A booster with what prediction needs to know about it."""

    booster: xgb.Booster
    objective: str
    num_features: int
    num_class: int  # 0 unless multi:*
    best_iteration: int | None  # set when training stopped early

    @property
    def outputs_per_record(self) -> int:
        """Values per prediction: K for ``multi:softprob``, else 1."""
        return self.num_class if self.objective == "multi:softprob" else 1


def model_tarball(booster: xgb.Booster) -> bytes:
    """``model.tar.gz`` bytes with the booster saved as ``xgboost-model``."""
    raw = bytes(booster.save_raw("ubj"))
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo(MODEL_FILE)
        info.size = len(raw)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


def load_model(data: bytes) -> LoadedModel | ll.LinearModel:
    """Load a ``model.tar.gz`` (or a bare ``xgboost-model`` file's bytes).

    Like the serving container, the first regular file of the archive is the model.

    Raises
    ------
    ModelArtifactError
        When the bytes are neither a tarball with a model nor a model XGBoost can read.
    """
    raw = data
    if data[:2] == b"\x1f\x8b":
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
                members = sorted((m for m in tar.getmembers() if m.isfile()), key=lambda m: m.name)
                if not members:
                    raise ModelArtifactError("model.tar.gz contains no file")
                linear = [m for m in members if m.name.rsplit("/", 1)[-1] == ll.MODEL_FILE]
                preferred = [m for m in members if m.name.rsplit("/", 1)[-1] == MODEL_FILE]
                extracted = tar.extractfile((linear or preferred or members)[0])
                assert extracted is not None
                raw = extracted.read()
                if linear:
                    return _load_linear(raw)
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ModelArtifactError(f"model.tar.gz is not a readable gzip tarball: {exc}") from exc
    try:
        booster = xgb.Booster(model_file=bytearray(raw))
        config = json.loads(booster.save_config())["learner"]
    except (xgb.core.XGBoostError, ValueError, KeyError) as exc:
        raise ModelArtifactError(f"Unable to load model: {exc}") from exc
    best = booster.attr("best_iteration")
    return LoadedModel(
        booster=booster,
        objective=str(config["objective"]["name"]),
        num_features=booster.num_features(),
        num_class=int(config["learner_model_param"].get("num_class", "0")),
        best_iteration=int(best) if best is not None else None,
    )


def _load_linear(raw: bytes) -> ll.LinearModel:
    try:
        return ll.load_linear(raw)
    except RecordFormatError as exc:
        raise ModelArtifactError(str(exc)) from exc


def predict(model: LoadedModel | ll.LinearModel, data: str | bytes | np.ndarray) -> np.ndarray:
    """Predictions for ``text/csv`` records (features only) or a float matrix.

    Returns a 1-D array, or ``(records, K)`` for ``multi:softprob``.

    Raises
    ------
    RecordFormatError
        Ragged or non-numeric records, or a feature count other than the model's.
    """
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    if isinstance(data, str):
        matrix = to_matrix(read_fields(data, "request"), "request")
    else:
        matrix = np.asarray(data, dtype=np.float64)
        if matrix.ndim == 1:
            matrix = matrix.reshape(1, -1)
    if isinstance(model, ll.LinearModel):
        return model.scores(matrix)
    if matrix.shape[0] == 0:
        return np.empty((0, model.outputs_per_record) if model.outputs_per_record > 1 else 0)
    if matrix.shape[1] != model.num_features:
        raise RecordFormatError(
            f"Feature size of csv inference data {matrix.shape[1]} is not consistent with feature size of "
            f"trained model {model.num_features}"
        )
    iteration_range = (0, model.best_iteration + 1) if model.best_iteration is not None else (0, 0)
    predictions = model.booster.predict(
        xgb.DMatrix(matrix, missing=np.nan), iteration_range=iteration_range, validate_features=False
    )
    if model.outputs_per_record > 1:
        return predictions.reshape(matrix.shape[0], model.outputs_per_record)
    return predictions.reshape(matrix.shape[0])


def format_predictions(predictions: np.ndarray) -> list[list[str]]:
    """The serving container's text for each prediction, as CSV fields (K fields for softprob)."""
    values = predictions.tolist()
    if predictions.ndim == 1:
        return [[str(float(v))] for v in values]
    return [[str(float(v)) for v in row] for row in values]
