"""The local built-in Linear Learner: its hyperparameters, training, model artifact and responses.

A training job whose ``TrainingImage`` is a ``linear-learner`` image comes here (``training`` dispatches on
the image). It reads the same headerless, label-first CSV channels as XGBoost and fits, with numpy and
scipy, the model the algorithm fits: logistic regression (``binary_classifier``), softmax regression
(``multiclass_classifier``) or least squares (``regressor``), with ``wd`` (L2) and ``l1`` penalties.

Approximations of the real algorithm (documented in local_cloud/README.md):

* the optimiser is L-BFGS-B (L1 through the split ``w = w+ - w-`` with ``w+, w- >= 0``), not mini-batch
  SGD over ``num_models`` parallel models; ``mini_batch_size``, ``learning_rate`` and ``optimizer`` are
  accepted and ignored; ``auto`` for ``wd``/``l1`` means 0;
* one "epoch" is 10 L-BFGS iterations; early stopping watches the validation channel's objective loss
  after each epoch and stops after ``early_stopping_patience`` epochs without a relative improvement of
  ``early_stopping_tolerance``, keeping the best epoch's weights (the algorithm's semantics);
* ``normalize_data`` standardises every feature with the train channel's mean and standard deviation,
  ``normalize_label`` (regression) the label; missing values (NaN) become the feature's mean;
* the binary decision threshold is 0.5 (the algorithm tunes it on the validation channel for
  ``binary_classifier_model_selection_criteria``).

The artifact ``model.tar.gz`` holds ``model_algo-1`` (the real algorithm's file name) as JSON, not the
algorithm's MXNet format. Responses follow the documented JSON and JSON Lines formats
(``{"score": ..., "predicted_label": ...}``); the algorithm documents no CSV response.
"""

from __future__ import annotations

import io
import json
import math
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, log_softmax, softmax

from drift_retrain_local.sagemaker.exceptions import JobFailedError, RecordFormatError

__all__ = [
    "MODEL_FILE",
    "LinearModel",
    "LinearParameters",
    "fit",
    "is_linear_learner_image",
    "linear_tarball",
    "load_linear",
    "respond",
    "validate",
]

MODEL_FILE = "model_algo-1"
FORMAT = "drift-retrain-local linear-learner 1"
ITERATIONS_PER_EPOCH = 10
_PREDICTORS = {
    "binary_classifier": "binary:logistic",
    "multiclass_classifier": "multi:softmax",
    "regressor": "reg:squarederror",
}
#: Documented hyperparameters the local algorithm accepts without using them.
_IGNORED = {
    "mini_batch_size", "learning_rate", "optimizer", "num_models", "loss", "use_bias", "momentum", "beta_1",
    "beta_2", "lr_scheduler_step", "lr_scheduler_factor", "lr_scheduler_minimum_lr", "init_method",
    "binary_classifier_model_selection_criteria", "num_calibration_samples", "accuracy_top_k",
    "unbias_data", "unbias_label", "num_point_for_scaler", "margin", "quantile", "huber_delta",
}  # fmt: skip


def is_linear_learner_image(image: str | None) -> bool:
    """``<account>.dkr.ecr.<region>.amazonaws.com/linear-learner:1`` and the like."""
    repository = str(image or "").rsplit("/", 1)[-1].split(":", 1)[0].split("@", 1)[0]
    return repository == "linear-learner"


@dataclass(frozen=True)
class LinearParameters:
    """Validated hyperparameters; ``objective``/``num_class``/``csv_weights`` let the channel checks run."""

    predictor_type: str
    feature_dim: int | None
    num_classes: int
    epochs: int
    normalize_data: bool
    normalize_label: bool
    patience: int
    tolerance: float
    wd: float
    l1: float
    notes: list[str] = field(default_factory=list)
    csv_weights: bool = False

    @property
    def objective(self) -> str:
        return _PREDICTORS[self.predictor_type]

    @property
    def num_class(self) -> int:
        return self.num_classes


def _number(params: Mapping[str, str], name: str, default: float, kind: type, low: float) -> Any:
    raw = str(params.get(name, default)).strip().lower()
    if raw == "auto":
        return kind(default)
    try:
        value = kind(float(raw)) if kind is int and float(raw).is_integer() else kind(raw)
    except ValueError:
        raise JobFailedError.client(f"hyperparameter {name}={raw!r} is not a {kind.__name__}") from None
    if value < low:
        raise JobFailedError.client(f"hyperparameter {name}={raw!r} must be at least {low:g}")
    return value


def _flag(params: Mapping[str, str], name: str, default: bool) -> bool:
    raw = str(params.get(name, "auto")).strip().lower()
    if raw in ("auto", ""):
        return default
    if raw not in ("true", "false"):
        raise JobFailedError.client(f"hyperparameter {name}={raw!r} must be true, false or auto")
    return raw == "true"


def validate(params: Mapping[str, Any]) -> LinearParameters:
    """The job's string hyperparameters, checked as the algorithm checks them (a ClientError names the fault)."""
    params = {str(k): str(v) for k, v in params.items()}
    predictor = params.get("predictor_type", "")
    if predictor not in _PREDICTORS:
        raise JobFailedError.client(
            f"hyperparameter predictor_type={predictor!r} is required: binary_classifier, "
            "multiclass_classifier or regressor"
        )
    known = {"predictor_type", "feature_dim", "num_classes", "epochs", "normalize_data", "normalize_label",
             "early_stopping_patience", "early_stopping_tolerance", "wd", "l1", *_IGNORED}  # fmt: skip
    unknown = sorted(set(params) - known)
    if unknown:
        raise JobFailedError.client(f"Additional hyperparameters are not allowed ({', '.join(unknown)})")
    num_classes = _number(params, "num_classes", 0, int, 0)
    if predictor == "multiclass_classifier" and num_classes < 3:
        raise JobFailedError.client("num_classes (3 or more) is required for multiclass_classifier")
    dim = params.get("feature_dim", "auto").strip().lower()
    return LinearParameters(
        predictor_type=predictor,
        feature_dim=None if dim == "auto" else _number(params, "feature_dim", 1, int, 1),
        num_classes=num_classes
        if predictor == "multiclass_classifier"
        else (2 if "binary" in predictor else 0),
        epochs=_number(params, "epochs", 15, int, 1),
        normalize_data=_flag(params, "normalize_data", True),
        normalize_label=_flag(params, "normalize_label", predictor == "regressor"),
        patience=_number(params, "early_stopping_patience", 3, int, 1),
        tolerance=_number(params, "early_stopping_tolerance", 0.001, float, 0.0),
        wd=_number(params, "wd", 0.0, float, 0.0),
        l1=_number(params, "l1", 0.0, float, 0.0),
        notes=[
            f"{name} accepted, not used by the local optimiser" for name in sorted(set(params) & _IGNORED)
        ],
    )


@dataclass(frozen=True)
class LinearModel:
    """Weights in the normalised space and the scalers that map raw features (and labels) into it."""

    predictor_type: str
    weights: np.ndarray  # (features, outputs)
    bias: np.ndarray  # (outputs,)
    feature_mean: np.ndarray
    feature_scale: np.ndarray
    label_mean: float = 0.0
    label_scale: float = 1.0

    @property
    def num_features(self) -> int:
        return int(self.weights.shape[0])

    def scores(self, matrix: np.ndarray) -> np.ndarray:
        """Probabilities (binary: of class 1; multiclass: per class) or values (regression)."""
        if matrix.shape[1] != self.num_features:
            raise RecordFormatError(
                f"Feature size of csv inference data {matrix.shape[1]} is not consistent with the "
                f"model's feature_dim {self.num_features}"
            )
        x = np.where(np.isnan(matrix), self.feature_mean, matrix)
        z = ((x - self.feature_mean) / self.feature_scale) @ self.weights + self.bias
        if self.predictor_type == "binary_classifier":
            return expit(z[:, 0])
        if self.predictor_type == "multiclass_classifier":
            return softmax(z, axis=1)
        return z[:, 0] * self.label_scale + self.label_mean


def _loss(predictor: str, z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean loss and its gradient with respect to ``z`` (rows x outputs)."""
    n = len(y)
    if predictor == "binary_classifier":
        t = z[:, 0]
        loss = np.mean(np.logaddexp(0.0, t) - y * t)
        return float(loss), ((expit(t) - y) / n)[:, None]
    if predictor == "multiclass_classifier":
        logp = log_softmax(z, axis=1)
        onehot = np.zeros_like(z)
        onehot[np.arange(n), y.astype(np.int64)] = 1.0
        return float(-np.mean(np.sum(onehot * logp, axis=1))), (np.exp(logp) - onehot) / n
    residual = z[:, 0] - y
    return float(0.5 * np.mean(residual**2)), (residual / n)[:, None]


@dataclass
class _Problem:
    predictor: str
    x: np.ndarray
    y: np.ndarray
    wd: float
    l1: float
    outputs: int

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d, k = self.x.shape[1], self.outputs
        plus, minus = theta[: d * k].reshape(d, k), theta[d * k : 2 * d * k].reshape(d, k)
        return plus - minus, theta[2 * d * k :]

    def objective(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = self.unpack(theta)
        loss, dz = _loss(self.predictor, self.x @ w + b, self.y)
        grad_w = self.x.T @ dz + self.wd * w
        value = loss + 0.5 * self.wd * float(np.sum(w * w)) + self.l1 * float(np.sum(np.abs(w)))
        sign = np.full_like(w, self.l1)
        return value, np.concatenate([(grad_w + sign).ravel(), (-grad_w + sign).ravel(), dz.sum(axis=0)])


def _scalers(x: np.ndarray, y: np.ndarray, params: LinearParameters) -> tuple[np.ndarray, ...]:
    mean = np.nanmean(x, axis=0) if params.normalize_data else np.zeros(x.shape[1])
    mean = np.where(np.isnan(mean), 0.0, mean)
    scale = np.nanstd(x, axis=0) if params.normalize_data else np.ones(x.shape[1])
    scale = np.where(~np.isfinite(scale) | (scale == 0), 1.0, scale)
    label_mean = float(np.mean(y)) if params.normalize_label else 0.0
    label_scale = float(np.std(y)) if params.normalize_label else 1.0
    return mean, scale, np.array([label_mean, label_scale if label_scale > 0 else 1.0])


def fit(
    train: tuple[np.ndarray, np.ndarray],
    validation: tuple[np.ndarray, np.ndarray] | None,
    params: LinearParameters,
    notes: list[str],
) -> tuple[LinearModel, dict[str, float]]:
    """Fit the linear model epoch by epoch, stopping early on the validation loss; model and final metrics."""
    x, y = train
    if params.feature_dim is not None and params.feature_dim != x.shape[1]:
        raise JobFailedError.client(
            f"feature_dim={params.feature_dim} but the train channel has {x.shape[1]} feature columns"
        )
    mean, scale, label = _scalers(x, y, params)

    def prepare(features: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z = (np.where(np.isnan(features), mean, features) - mean) / scale
        return z, (labels - label[0]) / label[1] if params.predictor_type == "regressor" else labels

    outputs = params.num_classes if params.predictor_type == "multiclass_classifier" else 1
    problem = _Problem(params.predictor_type, *prepare(x, y), params.wd, params.l1, outputs)
    watched = (
        _Problem(params.predictor_type, *prepare(*validation), 0.0, 0.0, outputs) if validation else problem
    )
    d = x.shape[1]
    theta = np.zeros(2 * d * outputs + outputs)
    bounds = [(0.0, None)] * (2 * d * outputs) + [(None, None)] * outputs
    best, best_loss, stale, epochs = theta, math.inf, 0, 0
    for epochs in range(1, params.epochs + 1):  # noqa: B007 (the count is reported below)
        result = minimize(problem.objective, theta, jac=True, method="L-BFGS-B", bounds=bounds,
                          options={"maxiter": ITERATIONS_PER_EPOCH})  # fmt: skip
        theta = result.x
        w, b = problem.unpack(theta)
        loss = _loss(params.predictor_type, watched.x @ w + b, watched.y)[0]
        if loss < best_loss - params.tolerance * abs(best_loss if math.isfinite(best_loss) else loss):
            best, best_loss, stale = theta, loss, 0
        else:
            stale += 1
        if stale >= params.patience or (result.success and result.nit < ITERATIONS_PER_EPOCH):
            break
    notes.append(
        f"linear learner: {epochs} epoch(s) of {params.epochs}, best validation loss {best_loss:.6g}"
    )
    w, b = problem.unpack(best)
    model = LinearModel(params.predictor_type, w, b, mean, scale, float(label[0]), float(label[1]))
    name = "validation" if validation else "train"
    return model, {f"{name}:objective_loss": float(best_loss), **_accuracy(model, name, validation or train)}


def _accuracy(model: LinearModel, name: str, channel: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
    x, y = channel
    scores = model.scores(x)
    if model.predictor_type == "binary_classifier":
        return {f"{name}:binary_classification_accuracy": float(np.mean((scores >= 0.5) == (y == 1)))}
    if model.predictor_type == "multiclass_classifier":
        return {f"{name}:multiclass_accuracy": float(np.mean(np.argmax(scores, axis=1) == y))}
    return {f"{name}:rmse": float(np.sqrt(np.mean((scores - y) ** 2)))}


def linear_tarball(model: LinearModel) -> bytes:
    """``model.tar.gz`` with ``model_algo-1`` (JSON: weights and scalers)."""
    body = json.dumps(
        {
            "format": FORMAT,
            "predictor_type": model.predictor_type,
            "weights": model.weights.tolist(),
            "bias": model.bias.tolist(),
            "feature_mean": model.feature_mean.tolist(),
            "feature_scale": model.feature_scale.tolist(),
            "label_mean": model.label_mean,
            "label_scale": model.label_scale,
        }
    ).encode("utf-8")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo(MODEL_FILE)
        info.size, info.mode = len(body), 0o644
        tar.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def load_linear(raw: bytes) -> LinearModel:
    """The model of a ``model_algo-1`` file written by ``linear_tarball``."""
    try:
        spec = json.loads(raw.decode("utf-8"))
        if spec.get("format") != FORMAT:
            raise ValueError(f"format {spec.get('format')!r}")
        return LinearModel(
            str(spec["predictor_type"]),
            np.asarray(spec["weights"], dtype=np.float64),
            np.asarray(spec["bias"], dtype=np.float64),
            np.asarray(spec["feature_mean"], dtype=np.float64),
            np.asarray(spec["feature_scale"], dtype=np.float64),
            float(spec["label_mean"]),
            float(spec["label_scale"]),
        )
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise RecordFormatError(
            f"model_algo-1 is not a local Linear Learner model ({exc}); an artifact trained on AWS holds "
            "MXNet parameters, which the local algorithm does not read"
        ) from exc


def _record(model: LinearModel, score: Any) -> dict[str, Any]:
    if model.predictor_type == "binary_classifier":
        return {"score": float(score), "predicted_label": int(score >= 0.5)}
    if model.predictor_type == "multiclass_classifier":
        return {"score": [float(s) for s in score], "predicted_label": int(np.argmax(score))}
    return {"score": float(score)}


def respond(model: LinearModel, scores: np.ndarray, accept: str) -> tuple[str, str]:
    """The response to ``scores`` (``model.scores``) for ``accept``: JSON or JSON Lines, the documented formats."""
    records = [_record(model, score) for score in scores]
    kind = str(accept or "application/json").split(";")[0].strip().lower()
    if kind == "application/jsonlines":
        return "".join(json.dumps(r) + "\n" for r in records), kind
    if kind in ("application/json", "*/*"):
        return json.dumps({"predictions": records}), "application/json"
    raise RecordFormatError(
        f"Accept {accept} is not supported by Linear Learner (application/json, application/jsonlines)"
    )
