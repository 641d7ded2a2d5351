"""Local SageMaker jobs in the background: training, batch transform and hyperparameter tuning.

A Create* call returns at once with the job ``InProgress``; a thread runs the job
(:func:`.training.run_training_job`, :func:`.transform.run_transform_job`) and reports its end state
through an ``update(fields)`` callback with Describe* field names, which the moto seam writes into
moto's job. Tuning runs a few real training jobs over the ranges, one after the other, and picks the
best by the objective metric (``validation:auc``...) the way DescribeHyperParameterTuningJob reports it.
"""

from __future__ import annotations

import logging
import math
import random
import threading
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from drift_retrain_local.sagemaker.failures import FailureInjector
from drift_retrain_local.sagemaker.training import run_training_job
from drift_retrain_local.sagemaker.transform import run_transform_job

__all__ = ["JobRunner", "sample_hyperparameters"]

logger = logging.getLogger(__name__)

Update = Callable[[dict[str, Any]], None]
#: ``register(training_request) -> update`` creates a training job in the backend (for tuning).
RegisterTraining = Callable[[dict[str, Any]], Update]


def sample_hyperparameters(ranges: dict[str, Any], rng: random.Random) -> dict[str, str]:
    """One random point of ``ParameterRanges`` (values as strings, as SageMaker passes them)."""
    out: dict[str, str] = {}
    for spec in ranges.get("ContinuousParameterRanges") or []:
        low, high = float(spec["MinValue"]), float(spec["MaxValue"])
        if str(spec.get("ScalingType")) == "Logarithmic" and low > 0:
            value = math.exp(rng.uniform(math.log(low), math.log(high)))
        else:
            value = rng.uniform(low, high)
        out[spec["Name"]] = f"{value:.6g}"
    for spec in ranges.get("IntegerParameterRanges") or []:
        out[spec["Name"]] = str(rng.randint(int(spec["MinValue"]), int(spec["MaxValue"])))
    for spec in ranges.get("CategoricalParameterRanges") or []:
        out[spec["Name"]] = str(rng.choice(list(spec["Values"])))
    return out


class JobRunner:
    """Runs local jobs in daemon threads.

    Parameters
    ----------
    s3_client : callable
        ``s3_client() -> S3Client`` of the embedded AWS (shared by the job threads).
    failures : FailureInjector
        Checked by every job when it starts.
    settings : object
        ``max_tuning_jobs`` caps the training jobs of a tuning job.
    """

    def __init__(self, s3_client: Callable[[], Any], failures: FailureInjector, settings: Any) -> None:
        self._s3_client = s3_client
        self.failures = failures
        self.settings = settings
        self._threads: list[threading.Thread] = []

    def _spawn(self, name: str, target: Callable[[], None]) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def busy(self) -> bool:
        """True while any of its threads runs."""
        return any(thread.is_alive() for thread in self._threads)

    def close(self, timeout: float = 10.0) -> None:
        """Wait (bounded) for running jobs."""
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()

    # --------------------------------------------------------------------------------------- training
    @staticmethod
    def _training_started(update: Update) -> None:
        update(
            {
                "TrainingJobStatus": "InProgress",
                "SecondaryStatus": "Starting",
                "TrainingStartTime": datetime.now(UTC),
                "TrainingEndTime": None,
                "ModelArtifacts": None,
                "FinalMetricDataList": None,
                "FailureReason": None,
            }
        )

    def _run_training(self, request: dict[str, Any], update: Update) -> dict[str, Any]:
        update({"SecondaryStatus": "Training", "LastModifiedTime": datetime.now(UTC)})
        outcome = run_training_job(request, self._s3_client(), self.failures)
        fields = {**outcome.describe_fields(), "LastModifiedTime": datetime.now(UTC)}
        update(fields)
        return fields

    def start_training(self, request: dict[str, Any], update: Update) -> None:
        """Mark the job InProgress and train it in the background."""
        self._training_started(update)
        self._spawn(
            f"sagemaker-training-{request.get('TrainingJobName')}",
            lambda: self._run_training(request, update),
        )

    # -------------------------------------------------------------------------------------- transform
    def start_transform(self, request: dict[str, Any], model_data_url: str, update: Update) -> None:
        """Mark the job InProgress and score it in the background."""
        update(
            {
                "TransformJobStatus": "InProgress",
                "TransformStartTime": datetime.now(UTC),
                "TransformEndTime": None,
                "FailureReason": None,
            }
        )

        def run() -> None:
            outcome = run_transform_job(request, self._s3_client(), model_data_url, self.failures)
            update({**outcome.describe_fields(), "LastModifiedTime": datetime.now(UTC)})

        self._spawn(f"sagemaker-transform-{request.get('TransformJobName')}", run)

    # ----------------------------------------------------------------------------------------- tuning
    def start_tuning(self, request: dict[str, Any], register: RegisterTraining, update: Update) -> None:
        """Mark the tuning job InProgress and run its training jobs in the background."""
        update(
            {
                "HyperParameterTuningJobStatus": "InProgress",
                "HyperParameterTuningEndTime": None,
                "BestTrainingJob": None,
                "FailureReason": None,
                "TrainingJobStatusCounters": _counters(0, 0, 0),
                "ObjectiveStatusCounters": {"Succeeded": 0, "Pending": 0, "Failed": 0},
            }
        )
        self._spawn(
            f"sagemaker-tuning-{request.get('HyperParameterTuningJobName')}",
            lambda: self._tune(request, register, update),
        )

    def _tune(self, request: dict[str, Any], register: RegisterTraining, update: Update) -> None:
        name = str(request["HyperParameterTuningJobName"])
        started, clock = datetime.now(UTC), time.monotonic()
        config = request.get("HyperParameterTuningJobConfig") or {}
        definition = request.get("TrainingJobDefinition") or {}
        objective = config.get("HyperParameterTuningJobObjective") or {}
        metric_name, maximize = str(objective.get("MetricName")), objective.get("Type") != "Minimize"
        limits = config.get("ResourceLimits") or {}
        jobs = max(
            1, min(int(limits.get("MaxNumberOfTrainingJobs") or 1), int(self.settings.max_tuning_jobs))
        )
        rng = random.Random(zlib.crc32(name.encode()))
        completed = failed = 0
        best: dict[str, Any] | None = None
        for index in range(jobs):
            tuned = sample_hyperparameters(config.get("ParameterRanges") or {}, rng)
            job_name = f"{name[:22]}-{index + 1:03d}-{rng.getrandbits(32):08x}"
            training_request = _tuning_training_request(name, job_name, definition, tuned)
            # As on SageMaker, the tuning job's tags are its training jobs' tags (drift-retrain:stack too).
            training_request["Tags"] += list(request.get("Tags") or [])
            job_update = register(training_request)
            self._training_started(job_update)
            fields = self._run_training(training_request, job_update)
            candidate = _tuned_candidate(job_name, tuned, fields, metric_name, maximize)
            if candidate is None:
                failed += 1
            else:
                completed += 1
                value = candidate["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]
                best_value = best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] if best else None
                if best_value is None or (value > best_value if maximize else value < best_value):
                    best = candidate
            update(
                {
                    "TrainingJobStatusCounters": _counters(completed, failed, jobs - index - 1),
                    "ObjectiveStatusCounters": {"Succeeded": completed, "Pending": 0, "Failed": failed},
                }
            )
        end = {"HyperParameterTuningEndTime": datetime.now(UTC), "LastModifiedTime": datetime.now(UTC)}
        consumed = {"ConsumedResources": {"RuntimeInSeconds": max(1, math.ceil(time.monotonic() - clock))}}
        if best is None:
            reason = f"All {jobs} training jobs failed or reported no {metric_name} metric."
            update({"HyperParameterTuningJobStatus": "Failed", "FailureReason": reason, **end, **consumed})
        else:
            update({"HyperParameterTuningJobStatus": "Completed", "BestTrainingJob": best, **end, **consumed})
        logger.info(
            "local tuning job %s started %s: %d completed, %d failed", name, started, completed, failed
        )


def _tuning_training_request(
    tuning_job: str, job_name: str, definition: dict[str, Any], tuned: dict[str, str]
) -> dict[str, Any]:
    """The CreateTrainingJob request of one tuning trial: the definition with the sampled values (and its
    network settings, which SageMaker applies to every trial)."""
    network = {key: definition[key] for key in ("VpcConfig", "EnableNetworkIsolation") if key in definition}
    return {
        **network,
        "TrainingJobName": job_name,
        "AlgorithmSpecification": definition.get("AlgorithmSpecification") or {},
        "RoleArn": definition.get("RoleArn"),
        "HyperParameters": {**(definition.get("StaticHyperParameters") or {}), **tuned},
        "InputDataConfig": definition.get("InputDataConfig") or [],
        "OutputDataConfig": definition.get("OutputDataConfig") or {},
        "ResourceConfig": definition.get("ResourceConfig") or {},
        "StoppingCondition": definition.get("StoppingCondition") or {},
        "EnableManagedSpotTraining": bool(definition.get("EnableManagedSpotTraining")),
        "CheckpointConfig": definition.get("CheckpointConfig"),
        "Tags": [{"Key": "sagemaker:tuning-job-name", "Value": tuning_job}],
    }


def _tuned_candidate(
    job_name: str, tuned: dict[str, str], fields: dict[str, Any], metric_name: str, maximize: bool
) -> dict[str, Any] | None:
    """The trial as DescribeHyperParameterTuningJob's ``BestTrainingJob`` shows it, or None when it
    failed or reported no objective metric."""
    metric = next(
        (m["Value"] for m in fields.get("FinalMetricDataList") or [] if m["MetricName"] == metric_name),
        None,
    )
    if fields["TrainingJobStatus"] != "Completed" or metric is None:
        return None
    return {
        "TrainingJobName": job_name,
        "TrainingJobStatus": "Completed",
        "TunedHyperParameters": tuned,
        "TrainingStartTime": fields.get("TrainingStartTime"),
        "TrainingEndTime": fields.get("TrainingEndTime"),
        "CreationTime": fields.get("TrainingStartTime"),
        "ObjectiveStatus": "Succeeded",
        "FinalHyperParameterTuningJobObjectiveMetric": {
            "Type": "Maximize" if maximize else "Minimize",
            "MetricName": metric_name,
            "Value": float(metric),
        },
    }


def _counters(completed: int, failed: int, pending: int) -> dict[str, int]:
    return {
        "Completed": completed,
        "InProgress": pending,
        "RetryableError": 0,
        "NonRetryableError": failed,
        "Stopped": 0,
    }
