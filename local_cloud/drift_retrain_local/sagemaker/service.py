"""The local SageMaker service: jobs, endpoints and the endpoint runtime behind one object.

:class:`LocalSageMaker` is what the moto seam (:mod:`.moto_seams`) delegates to; it knows nothing about
moto. :class:`LocalSageMakerSettings` keeps every time-based transition short and configurable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from drift_retrain_local.sagemaker.capture import CaptureWriter
from drift_retrain_local.sagemaker.endpoints import EndpointManager
from drift_retrain_local.sagemaker.failures import FailureInjector
from drift_retrain_local.sagemaker.jobs import JobRunner
from drift_retrain_local.sagemaker.model_artifact import LoadedModel, load_model
from drift_retrain_local.sagemaker.runtime import EndpointRuntime
from drift_retrain_local.sagemaker.s3io import get_bytes, parse_s3_uri

__all__ = ["LocalSageMaker", "LocalSageMakerSettings"]


@dataclass(frozen=True)
class LocalSageMakerSettings:
    """Durations (seconds) of the local SageMaker's state transitions, and its limits."""

    #: Creating -> InService (or Failed).
    endpoint_create_seconds: float = 0.2
    #: Updating: provisioning of the new fleet before traffic shifts.
    endpoint_update_seconds: float = 0.2
    #: Bake time of each traffic-shifting step (the alarms are watched meanwhile).
    traffic_step_seconds: float = 0.1
    #: Updating -> InService of UpdateEndpointWeightsAndCapacities (the new weights apply at the end).
    endpoint_weights_seconds: float = 0.2
    #: RollingBack -> InService on the old config.
    rollback_seconds: float = 0.1
    #: Interval of the Step Functions ``.sync`` poll of Describe*.
    sync_poll_seconds: float = 0.1
    #: Cap on the training jobs a local tuning job runs (MaxNumberOfTrainingJobs above it is cut).
    max_tuning_jobs: int = 3
    #: Seed of the endpoints' weighted variant choice, and of Data Capture's sampling and ids.
    seed: int = 0
    #: A capture stream's buffer is written as one file at this many records (or bytes).
    capture_max_records: int = 1000
    capture_max_bytes: int = 4 * 1024 * 1024


class LocalSageMaker:
    """Jobs, endpoints and runtime of the local SageMaker.

    Parameters
    ----------
    s3_client : callable
        ``s3_client() -> S3Client`` of the embedded AWS; called per job / model load.
    failures : FailureInjector, optional
        Failure switches (training, transform, endpoint-update); a new, unarmed one by default.
    settings : LocalSageMakerSettings, optional
    """

    def __init__(
        self,
        s3_client: Callable[[], Any],
        failures: FailureInjector | None = None,
        settings: LocalSageMakerSettings | None = None,
    ) -> None:
        self.failures = failures if failures is not None else FailureInjector()
        self.settings = settings or LocalSageMakerSettings()
        self._s3_client = s3_client
        #: Data Capture of the endpoints; ``capture.flush()`` writes what is buffered.
        self.capture = CaptureWriter(
            self._put_capture,
            seed=self.settings.seed,
            max_records=self.settings.capture_max_records,
            max_bytes=self.settings.capture_max_bytes,
        )
        self.runtime = EndpointRuntime(
            self._load_model, seed=self.settings.seed, failures=self.failures, capture=self.capture
        )
        self.jobs = JobRunner(s3_client, self.failures, self.settings)
        self.endpoints = EndpointManager(self.runtime, self.failures, self.settings)

    def busy(self) -> bool:
        """True while a job runs or an endpoint is in a transition (each runs in a thread of its own)."""
        return self.jobs.busy() or self.endpoints.busy()

    def _load_model(self, model_data_url: str) -> LoadedModel:
        bucket, key = parse_s3_uri(model_data_url)
        return load_model(get_bytes(self._s3_client(), bucket, key))

    def _put_capture(self, bucket: str, key: str, body: bytes, kms_key_id: str | None) -> None:
        """A capture file, encrypted with the config's KmsKeyId when it has one (SSE-KMS, as on AWS)."""
        extra = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key_id} if kms_key_id else {}
        self._s3_client().put_object(
            Bucket=bucket, Key=key, Body=body, ContentType="application/jsonlines", **extra
        )

    def close(self) -> None:
        """Write the buffered capture, stop endpoint transitions and wait (bounded) for running jobs."""
        self.capture.flush()
        self.endpoints.close()
        self.jobs.close()
        self.runtime.clear()
