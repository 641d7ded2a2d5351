"""Functional tests: the DetectDrift handler + the drift_retrain layer against moto (``mock_aws``).

Every AWS call goes to moto in-process. Fixtures create what the template would: the data bucket, the
retraining state machine (a trivial Pass definition: these tests only count executions and read their
input), the SNS topic; and what a promotion would have left: the baseline profile under
``baseline/current/profile.json``, built with the engine from a generated training frame.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics.provider import cold_start
from functional_support import (
    ACCOUNT,
    BASELINE_ERROR_RATE,
    BUCKET,
    ENDPOINT_NAME,
    HANDLER_PATH,
    LABEL,
    NAMESPACE,
    PROFILE_KEY,
    SERVICE,
    STATE_MACHINE_NAME,
    TRIVIAL_DEFINITION,
    Clients,
    make_frame,
    moto_client,
    object_created_event,
    queue_results,
)
from support.lambda_context import LambdaContext

from drift_retrain_local.seams import sns_signing


@pytest.fixture(scope="session", autouse=True)
def one_sns_signing_key() -> Iterator[None]:
    """moto makes a new RSA key for every SNS subscription (a tenth of a second each); the local cloud's
    seam signs with one key per process, as it does for a local run."""
    sns_signing.install()
    yield
    sns_signing.uninstall()


@pytest.fixture(autouse=True)
def reset_metric_set() -> Iterator[None]:
    """Every test starts with no metrics, no default dimensions and a cold start, as Powertools' testing
    docs reset them: Metrics keeps them per process, across instances and handler modules."""
    metrics = Metrics()
    metrics.clear_metrics()
    cold_start.is_cold_start = True
    metrics.clear_default_dimensions()
    yield


@pytest.fixture
def clients(mocked_aws: None) -> Clients:
    return Clients()


@pytest.fixture
def bucket(clients: Clients) -> str:
    """The data bucket, versioned (as the template makes it)."""
    clients.s3.create_bucket(Bucket=BUCKET)
    clients.s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return BUCKET


@pytest.fixture
def state_machine_arn(clients: Clients) -> str:
    response = clients.sfn.create_state_machine(
        name=STATE_MACHINE_NAME,
        definition=TRIVIAL_DEFINITION,
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/retrain-state-machine",
    )
    return response["stateMachineArn"]


@dataclass
class Topic:
    arn: str
    queue_url: str
    sqs: Any

    def messages(self) -> list[dict[str, Any]]:
        """SNS notifications delivered so far (subject and message), via an SQS subscription."""
        found: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get(
                "Messages", []
            )
            if not batch:
                return found
            for item in batch:
                envelope = json.loads(item["Body"])
                found.append({"subject": envelope.get("Subject"), "message": envelope["Message"]})
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=item["ReceiptHandle"])


@pytest.fixture
def topic(clients: Clients) -> Topic:
    arn = clients.sns.create_topic(Name="drift-alerts")["TopicArn"]
    queue_url = clients.sqs.create_queue(QueueName="drift-alerts-inbox")["QueueUrl"]
    queue_arn = clients.sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    clients.sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)
    return Topic(arn=arn, queue_url=queue_url, sqs=clients.sqs)


@pytest.fixture
def endpoint(clients: Clients) -> str:
    """A champion endpoint in moto's SageMaker (InService at once); its answers come from `queue_results`."""
    sm = clients.sagemaker
    sm.create_model(
        ModelName="champion-model",
        ExecutionRoleArn=f"arn:aws:iam::{ACCOUNT}:role/sagemaker",
        PrimaryContainer={"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"},
    )
    sm.create_endpoint_config(
        EndpointConfigName="champion-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": "champion-model",
                "InitialInstanceCount": 1,
                "InstanceType": "ml.m5.large",
            }
        ],
    )
    sm.create_endpoint(EndpointName=ENDPOINT_NAME, EndpointConfigName="champion-config")
    return ENDPOINT_NAME


@pytest.fixture(name="queue_results")
def queue_results_fixture(mocked_aws: None):
    """``queue_results(bodies, content_type="text/csv")``: the endpoint's next answers, one per request."""
    return queue_results


@pytest.fixture
def make_frame_fn():
    """``make_frame(rows, seed=..., shift=0.0, label_flip=0.0)``: generated batch or training data."""
    return make_frame


# --- the baseline profile ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def training_frame() -> pd.DataFrame:
    return make_frame(20_000, seed=1)


@pytest.fixture(scope="session")
def baseline_profile(training_frame: pd.DataFrame):
    """Built with the engine from the training frame; the champion's holdout error rate is 10%."""
    from drift_retrain.engine.performance import HoldoutPerformance
    from drift_retrain.engine.profile import build_profile
    from drift_retrain.engine.schema import infer_schema

    schema = infer_schema(training_frame, label=LABEL)
    holdout = HoldoutPerformance(task=schema.task, rows=4000, errors=int(4000 * BASELINE_ERROR_RATE))
    return build_profile(training_frame, schema, holdout=holdout, metadata={"model_name": "champion-model"})


@pytest.fixture(scope="session")
def baseline_profile_json(baseline_profile) -> bytes:
    return baseline_profile.to_json_bytes()


@pytest.fixture
def profile_uploaded(clients: Clients, bucket: str, baseline_profile_json: bytes) -> str:
    clients.s3.put_object(Bucket=bucket, Key=PROFILE_KEY, Body=baseline_profile_json)
    return PROFILE_KEY


# --- the Lambda -------------------------------------------------------------------------------------


@pytest.fixture
def lambda_env(
    monkeypatch: pytest.MonkeyPatch, aws_credentials: None, bucket: str, state_machine_arn: str, topic: Topic
):
    """The variables the template sets on DetectDrift (policy thresholds sized for the test batches)."""
    values = {
        "DATA_BUCKET": bucket,
        "PROFILE_KEY": PROFILE_KEY,
        "ENDPOINT_NAME": ENDPOINT_NAME,
        "STATE_MACHINE_ARN": state_machine_arn,
        "TOPIC_ARN": topic.arn,
        "ALPHA": "0.05",
        "PSI_FLOOR": "0.005",
        "CONCEPT_MARGIN": "0.02",
        "MIN_LABELLED_ROWS": "500",
        "FEATURE_DRIFT_SHARE": "0.3",
        "IMPORTANT_FEATURES": "",
        "MAX_ROWS": "1000000",
        "MAX_PREDICTION_ROWS": "5000",
        "POWERTOOLS_SERVICE_NAME": SERVICE,
        "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@dataclass
class Invocation:
    response: dict[str, Any]
    stdout: list[dict[str, Any]]

    @property
    def emf(self) -> list[dict[str, Any]]:
        """Embedded-metric-format documents printed by Powertools Metrics."""
        return [line for line in self.stdout if "_aws" in line]

    @property
    def logs(self) -> list[dict[str, Any]]:
        return [line for line in self.stdout if "_aws" not in line]

    def metric_values(self, name: str) -> list[float]:
        """Every value of metric ``name`` across the EMF documents (EMF allows a list per document)."""
        found: list[float] = []
        for document in self.emf:
            names = {m["Name"] for d in document["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
            if name in names:
                value = document[name]
                found.extend(value if isinstance(value, list) else [value])
        return found

    def metric(self, name: str) -> Any:
        [value] = self.metric_values(name)
        return value


class DetectDrift:
    """The handler module, loaded fresh per test on first invoke, inside the test's output capture (its
    Logger binds stdout when created, and its Logger and Metrics read the test's environment)."""

    def __init__(self, bucket: str, s3: Any, capsys: pytest.CaptureFixture[str]) -> None:
        self.bucket = bucket
        self.s3 = s3
        self.capsys = capsys
        self._module: Any = None

    @property
    def module(self) -> Any:
        if self._module is None:
            from drift_retrain.aws.clients import LazyClients

            spec = importlib.util.spec_from_file_location("detect_drift_app_under_test", HANDLER_PATH)
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            module.clients = LazyClients(moto_client)
            # Powertools reuses the logging.Logger of a service name, handler included: point it at this
            # test's captured stdout
            for handler in module.logger.handlers:
                handler.stream = sys.stdout
            self._module = module
        return self._module

    def upload(self, key: str, body: bytes) -> dict[str, Any]:
        """Put ``body`` at ``key`` and return the EventBridge event S3 would send for it."""
        response = self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)
        return object_created_event(
            self.bucket, key, version_id=response.get("VersionId"), etag=response["ETag"], size=len(body)
        )

    def invoke(self, event: dict[str, Any]) -> Invocation:
        handler = self.module.lambda_handler
        self.capsys.readouterr()
        response = handler(event, LambdaContext.named("DetectDrift"))
        out = self.capsys.readouterr().out
        lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        return Invocation(response=response, stdout=lines)


@pytest.fixture
def detect_drift(
    lambda_env, clients: Clients, bucket: str, capsys: pytest.CaptureFixture[str]
) -> Iterator[DetectDrift]:
    package_logger = logging.getLogger("drift_retrain")
    saved = (package_logger.handlers[:], package_logger.propagate, package_logger.level)
    lambda_function = DetectDrift(bucket=bucket, s3=clients.s3, capsys=capsys)
    try:
        yield lambda_function
    finally:
        # the handler wires the package logger to Powertools' JSON handler; give other tests it back
        package_logger.handlers[:] = saved[0]
        package_logger.propagate = saved[1]
        package_logger.setLevel(saved[2])
