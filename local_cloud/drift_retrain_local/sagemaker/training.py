"""A local SageMaker training job with a built-in algorithm (XGBoost, or Linear Learner): what the job DOES.

``run_training_job(request, s3)`` takes exactly the CreateTrainingJob request the state machine sends,
reads every CSV object of the ``train`` (and optional ``validation``) channel (headerless, label
first), trains with ``xgboost.train`` the way the 1.7-1 container does (watchlist ``train`` then
``validation``, so early stopping watches the validation channel's last metric) and writes
``<S3OutputPath>/<TrainingJobName>/output/model.tar.gz``. It never raises: bad input, a failure inside
XGBoost or an injected failure gives a ``Failed`` outcome with a FailureReason. A ``linear-learner``
``TrainingImage`` trains a linear model instead (``linear_learner``) on the same channels.

How the request reaches it (moto's CreateTrainingJob, the ``.sync`` poll) is not this module's business.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import xgboost as xgb

from drift_retrain_local.sagemaker import hyperparameters as hp
from drift_retrain_local.sagemaker import linear_learner as ll
from drift_retrain_local.sagemaker.exceptions import JobFailedError, RecordFormatError
from drift_retrain_local.sagemaker.failures import TRAINING, FailureInjector
from drift_retrain_local.sagemaker.model_artifact import model_tarball
from drift_retrain_local.sagemaker.records import read_fields, to_matrix
from drift_retrain_local.sagemaker.s3io import get_bytes, join_uri, list_data_objects, put_bytes

__all__ = ["TrainingOutcome", "run_training_job"]

logger = logging.getLogger(__name__)

CSV_CONTENT_TYPES = ("text/csv", "csv")


@dataclass
class TrainingOutcome:
    """The end state of a training job, named like DescribeTrainingJob's fields."""

    TrainingJobName: str
    TrainingJobStatus: str  # Completed | Failed | Stopped
    SecondaryStatus: str
    TrainingStartTime: datetime
    TrainingEndTime: datetime
    TrainingTimeInSeconds: int
    BillableTimeInSeconds: int
    FailureReason: str | None = None
    ModelArtifacts: dict[str, str] | None = None
    FinalMetricDataList: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def describe_fields(self) -> dict[str, Any]:
        """The DescribeTrainingJob fields this outcome sets (``None`` values left out)."""
        out = {k: v for k, v in self.__dict__.items() if k != "notes" and v is not None}
        if not self.FinalMetricDataList:
            out.pop("FinalMetricDataList")
        return out


@dataclass
class _Channel:
    name: str
    features: np.ndarray
    labels: np.ndarray
    weights: np.ndarray | None


def _channel_config(request: dict[str, Any], name: str) -> dict[str, Any] | None:
    for channel in request.get("InputDataConfig") or []:
        if channel.get("ChannelName") == name:
            return channel
    return None


def _read_channel(s3: Any, channel: dict[str, Any], csv_weights: bool) -> _Channel:
    name = channel["ChannelName"]
    content_type = str(channel.get("ContentType") or "").split(";")[0].strip().lower()
    if content_type not in CSV_CONTENT_TYPES:
        raise JobFailedError.client(
            f"{channel.get('ContentType')!r} is not an accepted ContentType for channel {name}: the local "
            "built-in algorithm reads text/csv only"
        )
    if str(channel.get("CompressionType") or "None") != "None":
        raise JobFailedError.client(
            f"channel {name}: CompressionType {channel['CompressionType']} is not supported"
        )
    source = (channel.get("DataSource") or {}).get("S3DataSource") or {}
    if source.get("S3DataType", "S3Prefix") != "S3Prefix":
        raise JobFailedError.client(f"channel {name}: S3DataType {source.get('S3DataType')} is not supported")
    uri = str(source.get("S3Uri") or "")
    blocks = []
    for obj in list_data_objects(s3, uri):
        body = get_bytes(s3, obj.bucket, obj.key)
        try:
            fields = read_fields(body.decode("utf-8"), obj.uri)
            if fields.size:
                blocks.append(to_matrix(fields, obj.uri))
        except UnicodeDecodeError:
            raise JobFailedError.client(f"{obj.uri} is not UTF-8 text: is it really CSV?") from None
        except RecordFormatError as exc:
            raise JobFailedError.client(f"Failed to load csv data: {exc}") from None
    if not blocks:
        raise JobFailedError.client(f"No data in {name} channel path {uri}")
    widths = {block.shape[1] for block in blocks}
    if len(widths) > 1:
        raise JobFailedError.client(
            f"Failed to load csv data: objects under {uri} have {sorted(widths)} columns"
        )
    data = np.vstack(blocks)
    first_feature = 2 if csv_weights else 1
    if data.shape[1] <= first_feature:
        raise JobFailedError.client(
            f"channel {name} has {data.shape[1]} column(s): expected the label first, then at least one feature"
        )
    labels = data[:, 0]
    missing = np.flatnonzero(np.isnan(labels))
    if missing.size:
        raise JobFailedError.client(
            f"channel {name}: the label (first column) is missing in {missing.size} record(s), first at record "
            f"{missing[0] + 1}"
        )
    return _Channel(name, data[:, first_feature:], labels, data[:, 1] if csv_weights else None)


def _check_labels(channel: _Channel, objective: str, num_class: int) -> None:
    labels = channel.labels
    if objective.startswith("multi:"):
        bad = labels[(labels != np.round(labels)) | (labels < 0) | (labels >= num_class)]
        if bad.size:
            raise JobFailedError.client(
                f"channel {channel.name}: labels must be integers 0..{num_class - 1} for {objective} with "
                f"num_class={num_class}; found {sorted(set(bad.tolist()))[:5]}"
            )
    elif objective.startswith("binary:"):
        bad = labels[(labels < 0) | (labels > 1)]
        if bad.size:
            raise JobFailedError.client(
                f"channel {channel.name}: labels must be in [0, 1] for {objective}; found "
                f"{sorted(set(bad.tolist()))[:5]}"
            )


class _Deadline(xgb.callback.TrainingCallback):
    """Stops boosting once StoppingCondition.MaxRuntimeInSeconds has passed."""

    def __init__(self, seconds: float | None):
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.hit = False

    def after_iteration(self, model, epoch, evals_log) -> bool:
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.hit = True
        return self.hit


def _read_channels(request: dict[str, Any], s3: Any, params: Any, notes: list[str]) -> tuple[Any, Any]:
    """The train and (optional) validation channels, read and checked as the built-in container does."""
    train_config = _channel_config(request, "train")
    if train_config is None:
        raise JobFailedError.client("Missing required channel: train")
    validation_config = _channel_config(request, "validation")
    for channel in request.get("InputDataConfig") or []:
        if channel.get("ChannelName") not in ("train", "validation"):
            notes.append(f"channel {channel.get('ChannelName')} is not read by the built-in algorithm")

    train = _read_channel(s3, train_config, params.csv_weights)
    validation = _read_channel(s3, validation_config, False) if validation_config else None
    if validation is not None and validation.features.shape[1] != train.features.shape[1]:
        raise JobFailedError.client(
            f"validation channel has {validation.features.shape[1]} features but train has "
            f"{train.features.shape[1]}"
        )
    for channel in (train, validation):
        if channel is not None:
            _check_labels(channel, params.objective, params.num_class)
    return train, validation


def _train(request: dict[str, Any], s3: Any, notes: list[str]) -> tuple[str, list[dict[str, Any]], bool]:
    """Returns the model URI, the final metrics and whether MaxRuntimeInSeconds stopped training."""
    algorithm = request.get("AlgorithmSpecification") or {}
    if algorithm.get("TrainingInputMode", "File") != "File":
        notes.append(f"TrainingInputMode {algorithm.get('TrainingInputMode')} read as File")
    if ll.is_linear_learner_image(algorithm.get("TrainingImage")):
        return _train_linear(request, s3, notes)
    params = hp.validate(request.get("HyperParameters") or {})
    notes.extend(params.notes)

    train, validation = _read_channels(request, s3, params, notes)

    dtrain = xgb.DMatrix(train.features, label=train.labels, weight=train.weights, missing=np.nan)
    evals = [(dtrain, "train")]
    if validation is not None:
        evals.append(
            (xgb.DMatrix(validation.features, label=validation.labels, missing=np.nan), "validation")
        )
    elif params.early_stopping_rounds:
        notes.append(
            "early_stopping_rounds without a validation channel watches the train metric (as the container)"
        )

    stopping = request.get("StoppingCondition") or {}
    deadline = _Deadline(stopping.get("MaxRuntimeInSeconds"))
    evals_result: dict[str, dict[str, list[float]]] = {}
    try:
        booster = xgb.train(
            params.params,
            dtrain,
            num_boost_round=params.num_round,
            evals=evals,
            early_stopping_rounds=params.early_stopping_rounds,
            evals_result=evals_result,
            callbacks=[deadline],
            verbose_eval=False,
        )
    except xgb.core.XGBoostError as exc:
        message = str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)
        if "label" in message.lower() or "param" in message.lower():
            raise JobFailedError.client(message) from None
        raise JobFailedError.algorithm(f"XGB train call failed with exception: {message}") from None

    model_uri = join_uri(
        request["OutputDataConfig"]["S3OutputPath"], request["TrainingJobName"], "output", "model.tar.gz"
    )
    put_bytes(s3, model_uri, model_tarball(booster), "application/x-tar")
    if booster.attr("best_iteration") is not None and params.early_stopping_rounds:
        notes.append(
            f"early stopping: best iteration {booster.attr('best_iteration')} of {booster.num_boosted_rounds()} "
            "rounds; predictions use the trees up to it"
        )
    now = datetime.now(UTC)
    metrics = [
        {"MetricName": f"{data_name}:{metric}", "Value": float(values[-1]), "Timestamp": now}
        for data_name, by_metric in evals_result.items()
        for metric, values in by_metric.items()
        if values and math.isfinite(values[-1])
    ]
    return model_uri, metrics, deadline.hit


def _train_linear(
    request: dict[str, Any], s3: Any, notes: list[str]
) -> tuple[str, list[dict[str, Any]], bool]:
    """The Linear Learner job: same channels and checks, a linear model, ``model_algo-1`` in the tarball."""
    params = ll.validate(request.get("HyperParameters") or {})
    notes.extend(params.notes)
    train, validation = _read_channels(request, s3, params, notes)
    model, final = ll.fit(
        (train.features, train.labels),
        None if validation is None else (validation.features, validation.labels),
        params,
        notes,
    )
    model_uri = join_uri(
        request["OutputDataConfig"]["S3OutputPath"], request["TrainingJobName"], "output", "model.tar.gz"
    )
    put_bytes(s3, model_uri, ll.linear_tarball(model), "application/x-tar")
    now = datetime.now(UTC)
    metrics = [{"MetricName": k, "Value": v, "Timestamp": now} for k, v in final.items() if math.isfinite(v)]
    return model_uri, metrics, False


def run_training_job(
    request: dict[str, Any], s3: Any, injector: FailureInjector | None = None
) -> TrainingOutcome:
    """Run a CreateTrainingJob request to its end state.

    Parameters
    ----------
    request : dict
        The CreateTrainingJob request: TrainingJobName, AlgorithmSpecification, HyperParameters (strings),
        InputDataConfig (``train``, optional ``validation``), OutputDataConfig.S3OutputPath,
        StoppingCondition; CheckpointConfig and EnableManagedSpotTraining are accepted.
    s3 : S3Client
        boto3 S3 client holding the channels and receiving the artifact.
    injector : FailureInjector, optional
        Armed ``training`` switches make the job fail before it reads anything.

    Returns
    -------
    TrainingOutcome
        ``Completed`` with ModelArtifacts.S3ModelArtifacts and FinalMetricDataList (``train:<metric>``,
        ``validation:<metric>``, last round); ``Stopped`` (SecondaryStatus MaxRuntimeExceeded, artifact
        written) when MaxRuntimeInSeconds ran out; or ``Failed`` with a FailureReason.
    """
    name = str(request.get("TrainingJobName") or "")
    started, clock = datetime.now(UTC), time.monotonic()
    notes: list[str] = []
    status, secondary, reason, artifacts, metrics = "Completed", "Completed", None, None, []
    try:
        injected = injector.check(TRAINING, name) if injector is not None else None
        if injected:
            raise JobFailedError(injected)
        if not name or not (request.get("OutputDataConfig") or {}).get("S3OutputPath"):
            raise JobFailedError.client("the request needs TrainingJobName and OutputDataConfig.S3OutputPath")
        if request.get("CheckpointConfig"):
            notes.append(
                "CheckpointConfig accepted; the local job writes no checkpoints and resumes from none"
            )
        model_uri, metrics, out_of_time = _train(request, s3, notes)
        artifacts = {"S3ModelArtifacts": model_uri}
        if out_of_time:
            status, secondary = "Stopped", "MaxRuntimeExceeded"
    except JobFailedError as exc:
        status, secondary, reason = "Failed", "Failed", exc.reason
    except Exception as exc:  # a bug or an unexpected library error: still a Failed job, never a crash
        logger.exception("local training job %s failed unexpectedly", name)
        status, secondary, reason = "Failed", "Failed", f"AlgorithmError: {type(exc).__name__}: {exc}"
    seconds = max(1, math.ceil(time.monotonic() - clock))
    outcome = TrainingOutcome(
        TrainingJobName=name,
        TrainingJobStatus=status,
        SecondaryStatus=secondary,
        TrainingStartTime=started,
        TrainingEndTime=datetime.now(UTC),
        TrainingTimeInSeconds=seconds,
        BillableTimeInSeconds=seconds,
        FailureReason=reason,
        ModelArtifacts=artifacts,
        FinalMetricDataList=metrics,
        notes=notes,
    )
    logger.info("local training job %s: %s %s", name, status, reason or "")
    return outcome
